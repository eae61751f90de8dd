"""Every kind of page works under the Content-Security-Policy, in a real browser: Chromium reports
no script, style, image or connection the policy refused, on the readers' pages (the map's
Leaflet included), admin's pages (its widgets included) and the API's Swagger and Redoc pages,
which still draw the API."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import committed_curator, sign_in

pytestmark = pytest.mark.django_db

READERS_PAGES = [
    "/",
    "/initiatives/?status=active",
    "/initiatives/gesda/",
    "/actors/",
    "/cities/map/",
    "/agreements/timeline/",
    "/search/?q=science",
]
CURATORS_PAGES = [
    "/admin/",
    "/admin/catalogue/initiative/",
    "/admin/catalogue/initiative/add/",
    "/admin/catalogue/agreement/add/",
    "/admin/catalogue/initiative/import/",
]


@pytest.fixture(scope="module")
def csp_curator(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        curator = committed_curator("csp-curator")
        yield curator
        curator.delete()


def refusals(page) -> list[str]:
    """What Chromium reports the policy refused on `page` from now on."""
    refused = []
    page.on(
        "console",
        lambda message: (
            refused.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return refused


def test_readers_pages_break_no_rule_of_the_policy(page):
    refused = refusals(page)
    for path in READERS_PAGES:
        response = page.goto(path)
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
    expect(page.locator(".leaflet-container")).to_have_count(0)  # The last page is no map.
    page.goto("/cities/map/")
    expect(page.locator(".leaflet-marker-icon, .leaflet-interactive").first).to_be_visible()
    assert refused == []


def test_admin_pages_break_no_rule_of_the_policy(page, csp_curator):
    refused = refusals(page)
    sign_in(page, csp_curator)
    for path in CURATORS_PAGES:
        page.goto(path)
        page.wait_for_load_state("networkidle")
    # The date widgets' calendar, drawn by admin's scripts.
    page.goto("/admin/catalogue/initiative/add/")
    expect(page.locator(".related-widget-wrapper").first).to_be_visible()
    assert refused == []


def test_the_api_pages_draw_the_api_under_the_policy(page):
    refused = refusals(page)
    page.goto("/api/v1/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Sciplo")
    page.goto("/api/v1/redoc/")
    expect(page.get_by_role("heading", level=1).first).to_contain_text("Sciplo")
    page.wait_for_load_state("networkidle")
    # Redoc's footer asks for its maker's logo from their server: the policy keeps it out, as
    # it keeps out everything from another host.
    assert [text for text in refused if "https://cdn.redoc.ly/" not in text] == []
