"""The cities map, the agreements timeline, the upcoming and past course pages and the
iCalendar feed of upcoming courses."""

import datetime
import json
import re
from html.parser import HTMLParser

import icalendar
import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import resolve, reverse
from django.utils import timezone

from catalogue.models import (
    AgreementParty,
    City,
    CourseFormat,
    CourseProvider,
    Participation,
    ParticipationRole,
    ProviderRole,
    Publication,
)
from tests.factories import (
    ActorFactory,
    AgreementFactory,
    CityFactory,
    CourseFactory,
    InitiativeFactory,
)

pytestmark = pytest.mark.django_db

MAP_URL = reverse("catalogue:city-map")
TIMELINE_URL = reverse("catalogue:agreement-timeline")
UPCOMING_URL = reverse("catalogue:course-upcoming")
PAST_URL = reverse("catalogue:course-past")
CALENDAR_URL = reverse("catalogue:course-calendar")


def days_from_today(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


class AssetCollector(HTMLParser):
    """The addresses of the scripts, style sheets, images and data files a page loads."""

    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "img") and attrs.get("src"):
            self.urls.append(attrs["src"])
        if tag == "link" and attrs.get("rel") in ("stylesheet", "icon", "preload"):
            self.urls.append(attrs["href"])
        self.urls.extend(value for name, value in attrs.items() if name.endswith("-url"))


def loaded_assets(html: str) -> list[str]:
    collector = AssetCollector()
    collector.feed(html)
    return collector.urls


def map_data(response) -> dict[str, dict]:
    """The cities the map page embeds for its script, by name."""
    match = re.search(
        r'<script id="city-map-data" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    return {city["name"]: city for city in json.loads(match.group(1))}


def counts_of(city: dict) -> dict[str, int]:
    return {count["label"].split()[0].rstrip("s"): count["count"] for count in city["counts"]}


def table_rows(html: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a></th>', html)


# The cities map


def test_new_pages_are_not_taken_for_record_slugs():
    assert resolve(MAP_URL).url_name == "city-map"
    assert resolve(TIMELINE_URL).url_name == "agreement-timeline"
    assert resolve(UPCOMING_URL).url_name == "course-upcoming"
    assert resolve(PAST_URL).url_name == "course-past"
    assert resolve(CALENDAR_URL).url_name == "course-calendar"
    assert (MAP_URL, TIMELINE_URL, UPCOMING_URL, PAST_URL, CALENDAR_URL) == (
        "/cities/map/",
        "/agreements/timeline/",
        "/courses/upcoming/",
        "/courses/past/",
        "/courses/upcoming.ics",
    )


def test_map_shows_every_published_seed_city_with_coordinates(client):
    response = client.get(MAP_URL)
    assert response.status_code == 200
    expected = set(
        City.objects.published().filter(latitude__isnull=False).values_list("name", flat=True)
    )
    assert len(expected) == 12
    data = map_data(response)
    assert set(data) == expected
    assert set(table_rows(response.content.decode())) == expected
    geneva = data["Geneva"]
    assert geneva["url"] == "/cities/geneva/"
    assert geneva["country"] == "Switzerland"
    assert geneva["strategy"] == "Individual initiatives only"
    assert (geneva["latitude"], geneva["longitude"]) == (46.20222, 6.14569)


def test_map_counts_match_the_seed(client):
    data = map_data(client.get(MAP_URL))
    # GESDA, the Geneva Science-Policy Interface and Geneva 2030; the City of Geneva and the
    # universities and research centres that launched the GSPI are based there.
    assert counts_of(data["Geneva"]) == {"initiative": 3, "actor": 2, "course": 0, "agreement": 0}
    # The GCA office, the City of Miami, and the 2019 agreement that set the office up.
    assert counts_of(data["Miami"]) == {"initiative": 1, "actor": 1, "course": 0, "agreement": 1}
    # The 2023 AAAS-TWAS course and the OPCW-IAP-TWAS workshop; TWAS is based there.
    assert counts_of(data["Trieste"]) == {"initiative": 1, "actor": 1, "course": 2, "agreement": 0}
    # The GCA office in Miami and its agreement, which draw on Rotterdam.
    assert counts_of(data["Rotterdam"]) == {
        "initiative": 1,
        "actor": 0,
        "course": 0,
        "agreement": 1,
    }
    miami_agreements = data["Miami"]["counts"][3]
    assert miami_agreements == {
        "count": 1,
        "label": "agreement",
        "url": "/agreements/?city=miami",
    }
    assert data["Rotterdam"]["counts"][3]["url"] == "/agreements/?city=rotterdam"
    assert data["Rotterdam"]["counts"][1] == {"count": 0, "label": "actors based here", "url": ""}


def test_map_table_links_counts_to_filtered_lists(client):
    html = client.get(MAP_URL).content.decode()
    assert '<a href="/cities/geneva/">Geneva</a>' in html
    assert (
        '<a href="/initiatives/?city=geneva">3<span class="visually-hidden">'
        " initiatives in Geneva</span></a>" in html
    )


def test_map_leaves_out_drafts_and_cities_without_coordinates(client):
    CityFactory(name="Draftville", publication=Publication.DRAFT)
    CityFactory(name="Nowhere", latitude=None, longitude=None)
    geneva = City.objects.get(slug="geneva")
    InitiativeFactory(publication=Publication.DRAFT).cities.add(geneva)
    InitiativeFactory(publication=Publication.ARCHIVED).cities.add(geneva)
    ActorFactory(publication=Publication.IN_REVIEW, city=geneva)
    CourseFactory(publication=Publication.DRAFT, city=geneva)
    AgreementFactory(publication=Publication.DRAFT).cities.add(geneva)
    response = client.get(MAP_URL)
    data = map_data(response)
    assert "Draftville" not in data
    assert "Nowhere" not in data
    assert "Draftville" not in response.content.decode()
    assert counts_of(data["Geneva"]) == {"initiative": 3, "actor": 2, "course": 0, "agreement": 0}

    InitiativeFactory().cities.add(geneva)
    CourseFactory(city=geneva)
    assert counts_of(map_data(client.get(MAP_URL))["Geneva"])["initiative"] == 4


def test_map_loads_only_our_own_static_files(client):
    html = client.get(MAP_URL).content.decode()
    assets = loaded_assets(html)
    static_url = "/" + settings.STATIC_URL.lstrip("/")
    assert f"{static_url}vendor/leaflet/leaflet.js" in assets
    assert f"{static_url}vendor/leaflet/leaflet.css" in assets
    assert f"{static_url}vendor/topojson-client/topojson-client.min.js" in assets
    assert f"{static_url}vendor/world-atlas/countries-110m.json" in assets
    assert f"{static_url}catalogue/map.js" in assets
    assert f"{static_url}catalogue/map.css" in assets
    for url in assets:
        # This site's own: its static files, or its API (the search box's type-ahead).
        assert url.startswith("/") and not url.startswith("//"), url
        if url.startswith(static_url):
            assert finders.find(url.removeprefix(static_url)), f"{url} is not a static file"
        else:
            assert url == reverse("api:names"), url
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)


def test_map_assets_come_from_the_npm_packages():
    leaflet = finders.find("vendor/leaflet/leaflet.js")
    assert leaflet and "node_modules" in leaflet
    with open(leaflet) as script:
        assert "Leaflet 1.9.4" in script.read(500)
    countries = finders.find("vendor/world-atlas/countries-110m.json")
    with open(countries) as topology:
        assert "countries" in json.load(topology)["objects"]
    assert finders.find("vendor/topojson-client/topojson-client.min.js")
    # Only the packages' distributed folders are exposed, not node_modules as a whole.
    assert finders.find("vendor/leaflet/package.json") is None
    assert finders.find("leaflet/package.json") is None


def test_map_without_javascript_says_so_beside_the_table(client):
    html = client.get(MAP_URL).content.decode()
    assert "The map needs JavaScript" in html
    assert "<caption>12 cities on the map" in html


def add_city_with_records() -> None:
    city = CityFactory()
    actor = ActorFactory(city=city)
    initiative = InitiativeFactory()
    initiative.cities.add(city)
    Participation.objects.create(initiative=initiative, actor=actor, role=ParticipationRole.LEAD)
    CourseFactory(city=city)
    AgreementFactory().cities.add(city)


def test_map_query_count_does_not_grow_with_the_catalogue(client, django_assert_num_queries):
    add_city_with_records()
    with django_assert_num_queries(1):
        assert client.get(MAP_URL).status_code == 200
    for _ in range(5):
        add_city_with_records()
    with django_assert_num_queries(1):
        response = client.get(MAP_URL)
    assert len(map_data(response)) == 18


# The agreements timeline


def timeline_sections(html: str) -> list[tuple[str, str]]:
    """(heading, body) of each year's section, in page order."""
    return re.findall(r"<section[^>]*>\s*<h2[^>]*>([^<]+)</h2>(.*?)</section>", html, re.S)


def test_timeline_groups_seed_agreements_by_year_newest_first(client):
    response = client.get(TIMELINE_URL)
    assert response.status_code == 200
    sections = timeline_sections(response.content.decode())
    headings = [heading for heading, _body in sections]
    assert headings == ["2022", "2021", "2019", "2006", "Date of signature not known"]
    by_heading = dict(sections)
    assert '<time datetime="2006-11-21">21 November 2006</time>' in by_heading["2006"]
    assert "ITER Agreement" in by_heading["2006"]
    assert '<time datetime="2022-07">July 2022</time>' in by_heading["2022"]
    assert "UK–New Zealand research, science and innovation arrangement" in by_heading["2022"]
    assert '<time datetime="2019">2019</time>' in by_heading["2019"]
    undated = by_heading["Date of signature not known"]
    assert "US–Cuba agreement" in undated
    assert "China–Iceland Arctic Research Observatory" in undated
    assert "<time" not in undated
    assert "Treaty · in force" in by_heading["2006"]
    assert "Government of Japan" in by_heading["2006"]


def test_timeline_orders_a_year_by_date_and_leaves_out_drafts(client):
    AgreementFactory(
        name="Autumn accord", signed_on=datetime.date(2031, 10, 2), signed_on_precision="day"
    )
    AgreementFactory(
        name="Spring accord", signed_on=datetime.date(2031, 3, 1), signed_on_precision="month"
    )
    AgreementFactory(
        name="Draft accord",
        signed_on=datetime.date(2031, 5, 5),
        signed_on_precision="day",
        publication=Publication.DRAFT,
    )
    undated = AgreementFactory(name="Undated accord")
    hidden_party = ActorFactory(name="Hidden Party", publication=Publication.DRAFT)
    shown_party = ActorFactory(name="Shown Party")
    AgreementParty.objects.create(agreement=undated, actor=hidden_party)
    AgreementParty.objects.create(agreement=undated, actor=shown_party)

    html = client.get(TIMELINE_URL).content.decode()
    sections = timeline_sections(html)
    assert sections[0][0] == "2031"
    year_2031 = sections[0][1]
    assert year_2031.index("March 2031") < year_2031.index("2 October 2031")
    assert year_2031.index("Spring accord") < year_2031.index("Autumn accord")
    assert "Draft accord" not in html
    assert sections[-1][0] == "Date of signature not known"
    assert "Undated accord" in sections[-1][1]
    assert "Shown Party" in sections[-1][1]
    assert "Hidden Party" not in html


def add_agreement_with_parties(year: int) -> None:
    agreement = AgreementFactory(signed_on=datetime.date(year, 1, 1), signed_on_precision="year")
    for _ in range(2):
        AgreementParty.objects.create(agreement=agreement, actor=ActorFactory())


def test_timeline_query_count_does_not_grow_with_the_catalogue(client, django_assert_num_queries):
    add_agreement_with_parties(2030)
    with django_assert_num_queries(2):
        assert client.get(TIMELINE_URL).status_code == 200
    for year in range(2031, 2036):
        add_agreement_with_parties(year)
    with django_assert_num_queries(2):
        html = client.get(TIMELINE_URL).content.decode()
    assert len(timeline_sections(html)) == 5 + 6


# Upcoming and past courses


@pytest.fixture
def editions():
    """Course editions around today: two upcoming (one open for application), one running, one
    past, and an upcoming draft."""
    geneva = City.objects.get(slug="geneva")
    return {
        "open": CourseFactory(
            name="Open course",
            city=geneva,
            starts_on=days_from_today(20),
            ends_on=days_from_today(24),
            application_deadline=days_from_today(5),
            summary="A week on science diplomacy.",
        ),
        "closed": CourseFactory(
            name="Closed online course",
            format=CourseFormat.ONLINE,
            starts_on=days_from_today(10),
            application_deadline=days_from_today(-1),
        ),
        "running": CourseFactory(
            name="Running course", starts_on=days_from_today(-1), ends_on=days_from_today(2)
        ),
        "past": CourseFactory(
            name="Last month’s course",
            starts_on=days_from_today(-40),
            ends_on=days_from_today(-30),
        ),
        "draft": CourseFactory(
            name="Draft course", starts_on=days_from_today(15), publication=Publication.DRAFT
        ),
    }


def course_names(html: str) -> list[str]:
    return re.findall(r'<h3 class="record-card__title"><a href="[^"]+">([^<]+)</a>', html)


def test_seed_courses_are_all_past(client):
    html = client.get(UPCOMING_URL).content.decode()
    assert course_names(html) == []
    assert "No upcoming edition is catalogued yet." in html
    past = course_names(client.get(PAST_URL).content.decode())
    assert past == [
        "10th AAAS-TWAS Course on Science Diplomacy (2023, Trieste)",
        "9th AAAS-TWAS Course on Science Diplomacy (2022, virtual)",
    ]


def test_upcoming_courses_soonest_first_with_open_ones_highlighted(client, editions):
    response = client.get(UPCOMING_URL)
    assert response.status_code == 200
    assert response.templates[0].name == "catalogue/course_upcoming.html"
    html = response.content.decode()
    assert course_names(html) == ["Closed online course", "Open course"]
    assert html.count("record-card--open") == 1
    open_card = html[html.index('<li class="record-card record-card--open">') :]
    assert open_card.index("Open course") < open_card.index("</li>")
    assert '<span class="state state--open">open for application</span>' in open_card
    deadline = editions["open"].application_deadline
    assert (
        f'Application deadline: <time datetime="{deadline.isoformat()}">'
        f"{deadline.day} {deadline:%B %Y}</time>" in html
    )
    assert f'<link rel="alternate" type="text/calendar" href="{CALENDAR_URL}"' in html, (
        "the page names its calendar feed"
    )


def test_past_courses_latest_first(client, editions):
    html = client.get(PAST_URL).content.decode()
    names = course_names(html)
    assert names[0] == "Last month’s course"
    assert names[1:] == [
        "10th AAAS-TWAS Course on Science Diplomacy (2023, Trieste)",
        "9th AAAS-TWAS Course on Science Diplomacy (2022, virtual)",
    ]
    assert "Application deadline" not in html


def add_upcoming_course(days: int) -> None:
    course = CourseFactory(
        city=CityFactory(), starts_on=days_from_today(days), ends_on=days_from_today(days + 2)
    )
    for role in (ProviderRole.ORGANISER, ProviderRole.HOST):
        CourseProvider.objects.create(course=course, actor=ActorFactory(), role=role)


def add_past_course(days: int) -> None:
    course = CourseFactory(city=CityFactory(), starts_on=days_from_today(-days))
    CourseProvider.objects.create(course=course, actor=ActorFactory(), role=ProviderRole.FUNDER)


@pytest.mark.parametrize(
    ("url", "add_course"),
    [(UPCOMING_URL, add_upcoming_course), (PAST_URL, add_past_course), (CALENDAR_URL, None)],
    ids=["upcoming", "past", "calendar"],
)
def test_course_pages_query_count_does_not_grow(client, django_assert_num_queries, url, add_course):
    add_course = add_course or add_upcoming_course
    # The course rows and their providers; the feed shows no providers.
    queries = 1 if url == CALENDAR_URL else 2
    add_course(10)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
    for days in range(11, 16):
        add_course(days)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200


# The iCalendar feed


def test_calendar_feed_has_an_event_per_upcoming_edition(client, editions):
    response = client.get(CALENDAR_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    content = response.content
    assert content.endswith(b"\r\n")
    assert b"\n" not in content.replace(b"\r\n", b""), "every line ends with CRLF"

    calendar = icalendar.Calendar.from_ical(content)
    assert calendar["VERSION"] == "2.0"
    assert str(calendar["PRODID"]).startswith("-//Sciplo//")
    assert calendar["CALSCALE"] == "GREGORIAN"
    assert calendar["X-WR-CALNAME"] == "Sciplo: upcoming science-diplomacy courses"
    events = {str(event["UID"]): event for event in calendar.walk("VEVENT")}
    open_course, closed_course = editions["open"], editions["closed"]
    assert set(events) == {f"{open_course.slug}@sciplo", f"{closed_course.slug}@sciplo"}

    event = events[f"{open_course.slug}@sciplo"]
    assert event.decoded("DTSTART") == open_course.starts_on
    assert event["DTSTART"].params["VALUE"] == "DATE"
    assert event.decoded("DTEND") == open_course.ends_on + datetime.timedelta(days=1)
    assert str(event["SUMMARY"]) == "Open course"
    assert str(event["URL"]) == f"http://testserver/courses/{open_course.slug}/"
    assert str(event["LOCATION"]) == "Geneva, Switzerland"
    deadline = open_course.application_deadline
    assert str(event["DESCRIPTION"]) == (
        f"A week on science diplomacy.\n\nApplication deadline: {deadline.day} {deadline:%B %Y}"
    )
    stamp = event.decoded("DTSTAMP")
    assert stamp.utcoffset() == datetime.timedelta(0)
    assert stamp == open_course.updated_at.replace(microsecond=0)

    one_day = events[f"{closed_course.slug}@sciplo"]
    assert one_day.decoded("DTSTART") == closed_course.starts_on
    assert one_day.decoded("DTEND") == closed_course.starts_on + datetime.timedelta(days=1)
    assert str(one_day["LOCATION"]) == "Online"


def test_calendar_feed_of_the_seed_is_an_empty_calendar(client):
    calendar = icalendar.Calendar.from_ical(client.get(CALENDAR_URL).content)
    assert calendar.walk("VEVENT") == []
