"""A curator edits a record in admin, reads the change in its history and reverts it, in a real
browser; the old value is back in admin and on the public page."""

import pytest
from playwright.sync_api import expect

from catalogue import history
from catalogue.models import Initiative, Version
from tests.browser.conftest import committed_curator, screenshot, sign_in
from tests.factories import InitiativeFactory

# On SQLite the live server shares the test's connection, and so its transaction; on PostgreSQL
# it has its own, and commits: hence the clean-up in `harbour`.
pytestmark = pytest.mark.django_db

FIRST_SUMMARY = "The harbour's first summary."


@pytest.fixture(scope="module")
def harbour(django_db_setup, django_db_blocker):
    """A curator the live server can sign in, and a published initiative with its first
    version, committed, and removed afterwards with everything the test wrote about them.

    The test itself reads nothing: on SQLite a read in the test's transaction would lock the
    table the server then writes to."""
    with django_db_blocker.unblock():
        curator = committed_curator("revert-curator")
        with history.recording(user=curator):
            initiative = InitiativeFactory(
                name="Harbour revert hub", slug="harbour-revert-hub", summary=FIRST_SUMMARY
            )
        [first] = Version.objects.of(initiative)
        yield curator, initiative, first
        Initiative.objects.filter(pk=initiative.pk).delete()
        Version.objects.filter(slug=initiative.slug).delete()
        curator.delete()


def test_a_curator_reverts_an_edit_from_the_history(page, harbour):
    curator, initiative, first = harbour
    sign_in(page, curator)

    page.goto(f"/admin/catalogue/initiative/{initiative.pk}/change/")
    page.get_by_label("Summary").fill("A changed summary.")
    page.get_by_label("Change note").fill("Trying a shorter summary.")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.get_by_label("Summary")).to_have_value("A changed summary.")

    page.get_by_role("link", name="History").click()
    newest = page.locator("#change-history tbody tr").first
    expect(newest).to_contain_text("Trying a shorter summary.")
    expect(newest).to_contain_text("revert-curator")
    newest.get_by_text("Changes", exact=True).click()
    expect(newest.locator("del")).to_have_text("The harbour's first")
    expect(newest.locator("ins")).to_have_text("A changed")
    screenshot(page, "admin-history")

    page.locator(f"#version-{first.pk}").get_by_role("link", name="Revert to this version").click()
    expect(page.get_by_role("heading", name="Reverting changes these fields")).to_be_visible()
    page.get_by_label("Change note").fill("Back to the first summary.")
    page.get_by_role("button", name="Yes, revert").click()

    expect(page.locator(".messagelist")).to_contain_text("is back to its version of")
    expect(page.get_by_label("Summary")).to_have_value(FIRST_SUMMARY)
    page.goto(initiative.get_absolute_url())
    expect(page.locator(".lead")).to_have_text(FIRST_SUMMARY)
    expect(page.locator("section.changes li").first).to_contain_text("Updated")
    expect(page.locator("section.changes li").first).to_contain_text("summary")
    expect(page.locator("body")).not_to_contain_text("Back to the first summary.")
