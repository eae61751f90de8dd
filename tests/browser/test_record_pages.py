"""A reader follows relations from record to record, and back, in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.django_db


def test_follow_a_relation_and_come_back(page):
    page.goto("/initiatives/")
    page.get_by_role("link", name="Geneva Science and Diplomacy Anticipator").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Geneva Science and Diplomacy Anticipator"
    )
    screenshot(page, "initiative-page")
    page.get_by_role("link", name="Swiss Federal Council").first.click()
    expect(page).to_have_url(re.compile(r"/actors/swiss-federal-council/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Swiss Federal Council")
    page.get_by_role("link", name="Geneva Science and Diplomacy Anticipator").first.click()
    expect(page).to_have_url(re.compile(r"/initiatives/gesda/$"))


def test_what_has_a_city_signed_and_with_whom(page):
    page.goto("/cities/miami/")
    signed = page.locator("section", has=page.get_by_role("heading", name=re.compile("signed")))
    expect(signed).to_contain_text("Dutch Ministry of Infrastructure and Water Management")
    signed.get_by_role("link", name=re.compile(r"^Agreement between Miami")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Agreement between Miami")
    expect(page.locator("body")).to_contain_text("2019")
    screenshot(page, "agreement-page")


def test_copy_a_citation(page):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto("/agreements/iter-agreement/")
    citation = page.get_by_label("Citation, ready to copy")
    expect(citation).to_contain_text("“ITER Agreement” (agreement)")
    page.get_by_role("button", name="Copy").click()
    assert page.evaluate("navigator.clipboard.readText()") == citation.input_value()


def test_home_page(page):
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sciplo")
    screenshot(page, "home")
    page.get_by_label("Search initiatives, actors, courses, agreements and cities").fill("Trieste")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile(r"^Courses"))).to_be_visible()
    screenshot(page, "search")
