"""A reader filters, searches, pages and navigates the lists in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

# The live server reads the session's test database, which this mark makes pytest-django create.
pytestmark = pytest.mark.django_db


def result_count(page):
    return page.locator(".results__count")


def facet_value(page, facet_title: str, label: str):
    facet = page.locator("details.facet", has=page.locator("summary", has_text=facet_title))
    return facet.locator(".facet__value", has_text=label).first


def test_filter_by_theme_and_city_and_see_the_counts_change(page):
    page.goto("/initiatives/")
    expect(result_count(page)).to_have_text("27 initiatives")
    theme = facet_value(page, "Theme", "Science-policy interface")
    expect(theme.locator(".facet__count")).to_have_text("8")
    theme.click()
    expect(result_count(page)).to_have_text("8 initiatives")
    expect(page).to_have_url(re.compile(r"theme=science-policy-interface"))
    geneva = facet_value(page, "City", "Geneva")
    expect(geneva.locator(".facet__count")).to_have_text("3")
    geneva.click()
    expect(result_count(page)).to_have_text("3 initiatives")
    expect(facet_value(page, "Level of governance", "city").locator(".facet__count")).to_have_text(
        "3"
    )
    screenshot(page, "initiatives-filtered")

    page.get_by_role("link", name=re.compile(r"^City: Geneva")).click()
    expect(result_count(page)).to_have_text("8 initiatives")
    page.go_back()
    expect(result_count(page)).to_have_text("3 initiatives")
    page.get_by_role("link", name="Clear all").click()
    expect(result_count(page)).to_have_text("27 initiatives")


def test_search_a_list(page):
    page.goto("/initiatives/")
    page.get_by_label("Search initiatives").fill("GCA")
    page.get_by_label("Search initiatives").press("Enter")
    expect(page).to_have_url(re.compile(r"q=GCA"))
    expect(page.locator(".record-card").first).to_contain_text("Global Centre on Adaptation")
    expect(page.get_by_role("link", name=re.compile(r"^Search: GCA"))).to_be_visible()


def test_page_through_results(page):
    page.goto("/actors/")
    pager = page.get_by_role("navigation", name="Pages of results")
    expect(pager).to_contain_text("Showing 1–25 of 68")
    pager.get_by_role("link", name="Next →").click()
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(pager).to_contain_text("Showing 26–50 of 68")
    pager.get_by_role("link", name="3", exact=True).click()
    expect(pager).to_contain_text("Showing 51–68 of 68")


def test_sort_changes_only_when_asked_and_keeps_focus(page):
    page.goto("/initiatives/")
    sort = page.get_by_label("Sort by")
    # Moving through the choices with the arrow keys loads nothing.
    sort.focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(300)
    assert "sort=" not in page.url
    sort.select_option("-name")
    page.wait_for_timeout(300)
    assert "sort=" not in page.url
    # Enter applies it, and the page that answers keeps focus on the choice.
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"sort=-name"))
    expect(page.locator(".record-card__title").first).to_have_text(
        "United Nations Sustainable Development Solutions Network"
    )
    expect(page.get_by_label("Sort by")).to_be_focused()
    page.get_by_label("Per page").select_option("50")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"per_page=50"))
    expect(page.get_by_role("button", name="Apply")).to_be_focused()


def test_a_list_by_keyboard_alone(page):
    page.goto("/initiatives/")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    # The results come first, then the filters.
    for _ in range(250):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.className")
        if "facet__value" in focused:
            break
    else:
        raise AssertionError("no facet value is reachable by Tab")
    label = page.evaluate("document.activeElement.querySelector('.facet__label').textContent")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"\?.+="))
    expect(page.locator(".chip").first).to_contain_text(label.strip())


def test_filters_work_without_javascript(page_without_javascript):
    page = page_without_javascript
    page.goto("/courses/")
    total = result_count(page).text_content()
    facet_value(page, "Kind", "workshop").click()
    expect(result_count(page)).to_have_text("1 course")
    page.get_by_label("Sort by").select_option("-name")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"kind=workshop.*sort=-name|sort=-name.*kind=workshop"))
    page.get_by_role("link", name="Clear all").click()
    expect(result_count(page)).to_have_text(total)


def test_readable_on_a_phone(phone_page):
    phone_page.goto("/initiatives/?theme=talent-and-mobility")
    expect(result_count(phone_page)).to_have_text("4 initiatives")
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px wide)"
    screenshot(phone_page, "initiatives-on-a-phone")
    # The results come first, and a link leads to the filters after them, and back.
    results = phone_page.locator("#results").bounding_box()
    filters = phone_page.locator("#filters").bounding_box()
    assert results["y"] < filters["y"]
    phone_page.get_by_role("link", name="Filters (1 chosen)").click()
    expect(phone_page.locator("#filters")).to_be_focused()
    phone_page.get_by_role("link", name="Back to the results").click()
    expect(phone_page.locator("#results")).to_be_focused()


def test_skip_to_results(page):
    page.goto("/initiatives/")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to results")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#results")).to_be_focused()


def test_the_search_box_offers_names_as_a_reader_types(page):
    page.goto("/")
    box = page.locator("#site-search-q")
    box.press_sequentially("genev", delay=30)
    names = page.get_by_role("listbox", name="Records whose names match")
    expect(names).to_be_visible()
    expect(names.get_by_role("option").first).to_contain_text("Geneva")
    expect(box).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", "site-search-name-0")
    expect(names.get_by_role("option").first).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/(initiatives|actors|courses|agreements|cities)/[^/]+/$"))
    # Escape closes the list, and Enter then searches as the plain form does.
    page.goto("/")
    box.press_sequentially("genev", delay=30)
    expect(names).to_be_visible()
    page.keyboard.press("Escape")
    expect(names).to_be_hidden()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q=genev"))
