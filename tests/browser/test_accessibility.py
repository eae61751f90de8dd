"""Every kind of page a reader opens passes axe-core's checks, at a desktop's size and a phone's,
and none is wider than a phone's screen.

axe-core (installed from the npm registry, package.json) is put into each page as Chromium
loads it from the live server; any violation of moderate impact or worse fails the test,
named with the elements it concerns.
"""

from pathlib import Path

import pytest
from django.urls import reverse

from catalogue.models import Actor, Agreement, City, Course, Initiative, Theme
from tests.browser.conftest import open_page

pytestmark = pytest.mark.django_db

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = ("moderate", "serious", "critical")
# WCAG 2.2 A and AA (target sizes among them), and axe's best practices (landmarks, headings).
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
SIZES = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {
        "viewport": {"width": 360, "height": 740},
        "is_mobile": True,
        "has_touch": True,
    },
}
PAGES = [
    "/",
    "/search/?q=science",
    "/search/?q=zzzzqx",
    "/initiatives/",
    "/initiatives/?q=science&status=active",
    "/actors/",
    "/courses/",
    "/courses/upcoming/",
    "/courses/past/",
    "/agreements/",
    "/agreements/timeline/",
    "/cities/",
    "/cities/map/",
    "/themes/",
    "/no-such-page/",
]
# A record page of each kind (the first published record by name) and a theme's page.
RECORD_MODELS = (Initiative, Actor, Course, Agreement, City)


@pytest.fixture(scope="module")
def record_pages(django_db_blocker) -> list[str]:
    with django_db_blocker.unblock():
        theme = Theme.objects.order_by("name").first()
        return [
            *(
                model.objects.published().order_by("name").first().get_absolute_url()
                for model in RECORD_MODELS
            ),
            reverse("catalogue:theme-detail", args=[theme.slug]),
        ]


def violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        "rules => axe.run(document, {runOnly: {type: 'tag', values: rules}, "
        "resultTypes: ['violations']})",
        RULES,
    )["violations"]
    return [
        f"{rule['id']} ({rule['impact']}): {rule['help']} — "
        + "; ".join(" ".join(node["target"]) for node in rule["nodes"][:5])
        for rule in found
        if rule["impact"] in FAILING_IMPACTS
    ]


@pytest.mark.parametrize("size", SIZES)
def test_every_kind_of_page_passes_axe_and_fits_the_screen(browser, site_url, record_pages, size):
    # axe is put in as an inline script, which the site's content security policy refuses.
    context, page = open_page(browser, site_url, bypass_csp=True, **SIZES[size])
    failures = {}
    try:
        for path in [*PAGES, *record_pages]:
            # Once what scripts draw (the map's markers) is drawn too.
            page.goto(path, wait_until="networkidle")
            found = violations(page)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > SIZES[size]["viewport"]["width"]:
                found.append(f"the page is {width} px wide")
            if found:
                failures[path] = found
    finally:
        context.close()
    assert not failures, "\n".join(
        f"{path}:\n  " + "\n  ".join(found) for path, found in failures.items()
    )
