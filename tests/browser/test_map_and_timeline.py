"""The cities map, the agreements timeline and the course pages, in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.django_db


def cities_drawn(page) -> int:
    """The cities on the map: its markers, and those its group markers hold."""
    expect(page.locator(".city-marker").first).to_be_attached()
    held = page.locator(".city-group .city-group__count").all_inner_texts()
    return page.locator(".city-marker").count() + sum(int(count) for count in held)


def test_use_the_map_with_nothing_from_other_hosts(page, site_url):
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto("/cities/")
    page.get_by_role("link", name="World map").click()
    assert cities_drawn(page) == 12
    expect(page.locator(".city-map__country").first).to_be_attached()
    # Geneva and Saint-Paul-lès-Durance stand too close to be told apart at first: their group
    # zooms in on them.
    group = page.locator(".city-group", has_text="Geneva")
    group.click()
    # The group goes once the zoom has ended; a marker clicked while it still moves is missed.
    expect(group).to_have_count(0)
    page.get_by_label(re.compile(r"^Geneva,")).click()
    popup = page.locator(".city-popup")
    expect(popup).to_contain_text("Geneva")
    expect(popup).to_contain_text("3 initiatives")
    screenshot(page, "cities-map")
    popup.get_by_role("link", name="Geneva").first.click()
    expect(page).to_have_url(re.compile(r"/cities/geneva/$"))
    assert [url for url in requested if not url.startswith(site_url)] == []


def test_open_a_marker_by_keyboard(page):
    page.goto("/cities/map/")
    marker = page.get_by_label(re.compile(r"^Miami,"))
    marker.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".city-popup")).to_contain_text("1 agreement")


def test_open_a_group_of_cities_by_keyboard(page):
    page.goto("/cities/map/")
    group = page.locator(".city-group", has_text="Saint-Paul-lès-Durance")
    expect(group).to_contain_text("Geneva")
    group.focus()
    page.keyboard.press("Enter")
    marker = page.get_by_label(re.compile(r"^Saint-Paul-lès-Durance,"))
    marker.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".city-popup")).to_contain_text("Saint-Paul-lès-Durance")


def test_the_map_page_keeps_a_table_for_readers_without_maps(page_without_javascript):
    page = page_without_javascript
    page.goto("/cities/map/")
    table = page.get_by_role("table")
    expect(table.get_by_role("row")).to_have_count(13)
    expect(table).to_contain_text("Saint-Paul-lès-Durance")


def test_agreements_timeline(page):
    page.goto("/agreements/")
    page.get_by_role("link", name="Timeline by year").click()
    year_2006 = page.locator("section", has=page.get_by_role("heading", name="2006"))
    expect(year_2006).to_contain_text("21 November 2006")
    expect(year_2006).to_contain_text("ITER Agreement")
    screenshot(page, "agreements-timeline")


def test_course_list_links_the_calendar(page):
    page.goto("/courses/")
    screenshot(page, "courses")
    page.get_by_role("link", name="Upcoming editions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Upcoming courses")
    feed = page.locator('link[rel="alternate"][type="text/calendar"]')
    expect(feed).to_have_attribute("href", re.compile(r"/courses/upcoming\.ics$"))
