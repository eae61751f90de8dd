"""A curator adding a record whose name is close to an existing one's sees the likely duplicates
while typing, is stopped on saving, and saves all the same once sure, in a real browser."""

import pytest
from playwright.sync_api import expect

from catalogue.admin.forms import SAVE_DESPITE_DUPLICATES_LABEL
from catalogue.models import Initiative, Version
from tests.browser.conftest import committed_curator, sign_in

# On SQLite the live server shares the test's connection, and so its transaction; on PostgreSQL
# it has its own, and commits: hence the clean-up in `curator`.
pytestmark = pytest.mark.django_db

NEW_NAME = "Geneva Science & Diplomacy Anticipator"


@pytest.fixture(scope="module")
def curator(django_db_setup, django_db_blocker):
    """A curator the live server can sign in, removed afterwards with what the test added."""
    with django_db_blocker.unblock():
        curator = committed_curator("duplicate-curator")
        yield curator
        Initiative.objects.filter(name=NEW_NAME).delete()
        Version.objects.filter(name=NEW_NAME).delete()
        curator.delete()


def test_a_curator_sees_likely_duplicates_and_saves_anyway(page, curator):
    sign_in(page, curator)

    page.goto("/admin/catalogue/initiative/add/")
    page.get_by_label("Name:", exact=True).press_sequentially("GESDA")
    hint = page.locator(".likely-duplicates-hint")
    link = hint.get_by_role("link", name="Geneva Science and Diplomacy Anticipator")
    expect(link).to_have_attribute("target", "_blank")
    expect(hint).to_contain_text("same acronym, published")
    page.get_by_label("Name:", exact=True).fill("Quantum diplomacy lab")
    expect(hint).to_be_empty()

    page.get_by_label("Name:", exact=True).fill(NEW_NAME)
    page.get_by_label("Kind").select_option("hub")
    page.get_by_label("Status:", exact=True).select_option("active")
    page.get_by_label("Level").select_option("city")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".errorlist.nonfield")).to_contain_text("Records like this one")
    duplicates = page.get_by_role("table", name="Existing records close to this one")
    expect(duplicates.get_by_role("row")).to_have_count(2)
    expect(duplicates).to_contain_text("similar name")

    page.get_by_label(SAVE_DESPITE_DUPLICATES_LABEL).check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    assert Initiative.objects.filter(name=NEW_NAME).count() == 1
