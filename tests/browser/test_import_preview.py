"""A curator imports a CSV file in admin, in a real browser: a file with a bad row is refused
with the row and field named, the corrected file is previewed, confirmed and listed. Tasks run
in the request here (tests/conftest.py); tests/test_task_worker.py runs them in the worker."""

import pytest
from playwright.sync_api import expect

from catalogue.models import Initiative, Version
from tests.browser.conftest import committed_curator, screenshot, sign_in

# On SQLite the live server shares the test's connection, and so its transaction; on PostgreSQL
# it has its own, and commits: hence the clean-up in `importing_curator`.
pytestmark = pytest.mark.django_db

SLUGS = ("browser-import-hub", "browser-import-network")
HEADER = "slug,name,kind,status,level,publication,participations"
HUB = "browser-import-hub,Browser Import Hub,hub,active,city,published,aaas | lead"


def csv_file(*lines: str) -> dict:
    return {
        "name": "initiatives.csv",
        "mimeType": "text/csv",
        "buffer": "\r\n".join(lines).encode(),
    }


@pytest.fixture(scope="module")
def importing_curator(django_db_setup, django_db_blocker):
    """A curator the live server can sign in, committed, and removed afterwards with what the
    test imported."""
    with django_db_blocker.unblock():
        curator = committed_curator("import-curator")
        yield curator
        Initiative.objects.filter(slug__in=SLUGS).delete()
        Version.objects.filter(slug__in=SLUGS).delete()
        curator.delete()


def preview(page, file: dict) -> None:
    page.get_by_label("File").set_input_files(file)
    page.get_by_role("button", name="Preview import").click()


def test_a_curator_fixes_a_refused_file_and_imports_it(page, importing_curator):
    sign_in(page, importing_curator)
    page.goto("/admin/catalogue/initiative/")
    page.get_by_role("link", name="Import", exact=True).click()
    expect(page.get_by_role("heading", name="Import initiatives")).to_be_visible()

    preview(
        page,
        csv_file(
            HEADER, HUB, "browser-import-network,Browser Import Network,network,dormant,global,,"
        ),
    )
    expect(page.locator(".errornote")).to_have_text(
        "Nothing was imported: row 3 of initiatives.csv has errors. Correct the file and upload "
        "it again."
    )
    refused = page.locator("#import-preview tbody tr").nth(1)
    expect(refused.get_by_role("rowheader")).to_have_text("3")
    expect(refused).to_contain_text("refused")
    expect(refused.locator(".errorlist")).to_have_text(
        "status: Value 'dormant' is not a valid choice."
    )
    expect(page.get_by_role("button", name="Confirm import")).to_have_count(0)

    preview(
        page,
        csv_file(
            HEADER, HUB, "browser-import-network,Browser Import Network,network,active,global,,"
        ),
    )
    rows = page.locator("#import-preview tbody tr")
    expect(rows).to_have_count(2)
    for row in (rows.nth(0), rows.nth(1)):
        expect(row.locator("td").nth(2)).to_have_text("create")
    expect(page.locator(".errornote")).to_have_count(0)
    screenshot(page, "admin-import-preview")

    page.get_by_role("button", name="Confirm import").click()
    expect(page.get_by_role("status")).to_have_text(
        "Imported 2 rows: 2 created, 0 changed. Back to the initiatives."
    )
    page.get_by_role("link", name="Back to the initiatives").click()
    expect(page.get_by_role("heading", name="Select initiative to change")).to_be_visible()
    page.get_by_role("searchbox").fill("Browser Import")
    page.keyboard.press("Enter")
    results = page.locator("#result_list tbody")
    expect(results).to_contain_text("Browser Import Hub")
    expect(results).to_contain_text("Browser Import Network")
