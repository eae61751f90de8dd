"""The API's formats besides JSON: every list as CSV (the whole filtered result, streamed, with
the site's export columns) and every kind of record as schema.org JSON-LD, the same document its
page embeds."""

import csv
import io
import json
import re
from typing import NamedTuple

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalogue.models import (
    SDG,
    Actor,
    Agreement,
    AgreementParty,
    City,
    Country,
    Course,
    Initiative,
    Publication,
    Source,
    Theme,
)
from tests.factories import (
    ActorFactory,
    AgreementFactory,
    CityFactory,
    CourseFactory,
    InitiativeFactory,
)

pytestmark = pytest.mark.django_db

ACCEPT_CSV = {"HTTP_ACCEPT": "text/csv"}
ACCEPT_JSONLD = {"HTTP_ACCEPT": "application/ld+json"}


class Endpoint(NamedTuple):
    path: str
    model: type
    lookup: str = "slug"
    factory: type | None = None
    # Pinned for a CSV of records, the same for 3 rows and for 60: the revision token, the
    # synonym groups and the words no record holds (the search's reading), the search's
    # matches, the temporary table of the chosen ids (made, emptied, filled, dropped), the rows
    # and one query per to-many column (catalogue/exports.py).
    queries: int = 0


RECORD_LISTS = [
    Endpoint("/api/v1/initiatives/", Initiative, factory=InitiativeFactory, queries=11),
    Endpoint("/api/v1/actors/", Actor, factory=ActorFactory, queries=9),
    Endpoint("/api/v1/courses/", Course, factory=CourseFactory, queries=10),
    Endpoint("/api/v1/agreements/", Agreement, factory=AgreementFactory, queries=11),
    Endpoint("/api/v1/cities/", City, factory=CityFactory, queries=9),
]
REFERENCE_LISTS = [
    Endpoint("/api/v1/themes/", Theme),
    Endpoint("/api/v1/sdgs/", SDG, lookup="number"),
    Endpoint("/api/v1/countries/", Country, lookup="code"),
    Endpoint("/api/v1/sources/", Source),
]
LISTS = RECORD_LISTS + REFERENCE_LISTS


def ids(endpoints: list[Endpoint]) -> list[str]:
    return [endpoint.path.split("/")[-2] for endpoint in endpoints]


def csv_rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(r'attachment; filename="[\w-]+\.csv"', response["Content-Disposition"])
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def every_page(api, url: str, params=None) -> list[dict]:
    results = []
    body = api.get(url, params).json()
    while True:
        results += body["results"]
        if not body["next"]:
            return results
        body = api.get(body["next"]).json()


def error_of(response, status: int) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["status"] == status
    return error


# CSV


@pytest.mark.parametrize("endpoint", LISTS, ids=ids(LISTS))
@pytest.mark.parametrize("asked_by", ["format", "accept"])
def test_every_list_is_the_json_list_in_csv(api, endpoint, asked_by):
    if asked_by == "format":
        response = api.get(endpoint.path, {"format": "csv"})
    else:
        response = api.get(endpoint.path, **ACCEPT_CSV)
    rows = csv_rows(response)
    listed = every_page(api, endpoint.path, {"per_page": 500})
    assert [row[endpoint.lookup] for row in rows] == [str(item[endpoint.lookup]) for item in listed]


@pytest.mark.parametrize("endpoint", RECORD_LISTS, ids=ids(RECORD_LISTS))
def test_csv_holds_the_whole_filtered_result_not_one_page(api, endpoint):
    endpoint.factory.create_batch(120, summary="Streamed marker")
    endpoint.factory.create_batch(3, summary="Another text")
    endpoint.factory.create_batch(2, summary="Streamed marker", publication=Publication.DRAFT)
    query = {"q": "streamed marker", "sort": "-name"}
    page = api.get(endpoint.path, query).json()
    assert page["count"] == 120 and len(page["results"]) == 50
    rows = csv_rows(api.get(endpoint.path, {**query, "format": "csv"}))
    assert [row["slug"] for row in rows] == [
        item["slug"] for item in every_page(api, endpoint.path, query)
    ]
    assert len(rows) == 120
    assert rows[0]["url"].startswith("http://testserver/")
    assert {"slug", "name", "summary", "website", "last_verified"} <= set(rows[0])


def test_csv_applies_every_filter_of_the_json_list(api):
    oceans = Theme.objects.get(slug="oceans")
    for initiative in InitiativeFactory.create_batch(60, level="global"):
        initiative.themes.add(oceans)
    InitiativeFactory.create_batch(5, level="city")
    query = {"theme": "oceans", "level": "global"}
    rows = csv_rows(api.get("/api/v1/initiatives/", {**query, "format": "csv"}))
    expected = every_page(api, "/api/v1/initiatives/", query)
    assert len(expected) >= 60
    assert [row["slug"] for row in rows] == [item["slug"] for item in expected]
    assert {row["level"] for row in rows} == {"global"}


def test_csv_of_reference_data_keeps_its_own_fields(api):
    sources = {row["slug"]: row for row in csv_rows(api.get("/api/v1/sources/?format=csv"))}
    assert "url" not in next(iter(sources.values()))
    [sdg] = [row for row in csv_rows(api.get("/api/v1/sdgs/?format=csv")) if row["number"] == "13"]
    assert sdg["name"] == SDG.objects.get(number=13).name
    [swiss] = [
        row for row in csv_rows(api.get("/api/v1/countries/?format=csv")) if row["code"] == "CH"
    ]
    assert swiss["name"] == "Switzerland" and swiss["region"] == "Europe"


def test_csv_flattens_relations_to_names(api):
    rows = {row["slug"]: row for row in csv_rows(api.get("/api/v1/agreements/?format=csv"))}
    iter_row = rows["iter-agreement"]
    parties = iter_row["parties"].split("; ")
    assert len(parties) >= 7
    assert any(party.startswith("European Atomic Energy Community") for party in parties)
    assert iter_row["signed"] == "2006-11-21"
    assert (
        rows["uk-new-zealand-research-science-innovation-arrangement-2022"]["signed"] == "2022-07"
    )
    initiative = InitiativeFactory()
    initiative.cities.add(CityFactory(name="Alphaville"), CityFactory(name="Betaville"))
    initiative.cities.add(CityFactory(name="Draftville", publication=Publication.DRAFT))
    [row] = csv_rows(api.get("/api/v1/initiatives/", {"q": initiative.name, "format": "csv"}))
    assert row["cities"] == "Alphaville; Betaville"


def test_csv_shows_drafts_to_curators_only(api, curator):
    draft = CityFactory(publication=Publication.DRAFT)
    assert draft.slug not in {
        row["slug"] for row in csv_rows(api.get("/api/v1/cities/?format=csv"))
    }
    api.force_authenticate(curator)
    assert draft.slug in {row["slug"] for row in csv_rows(api.get("/api/v1/cities/?format=csv"))}


@pytest.mark.parametrize("endpoint", RECORD_LISTS, ids=ids(RECORD_LISTS))
def test_csv_costs_the_same_number_of_queries_whatever_its_length(api, endpoint):
    counts = []
    for size, word in ((3, "three"), (60, "sixty")):
        # A word rather than the number, which a factory's name ("Record 460") may contain.
        marker = f"Counted marker {word}"
        endpoint.factory.create_batch(size, summary=marker)
        # The list index is built by the first list after a write (test_index.py).
        api.get(endpoint.path, {"per_page": 1})
        with CaptureQueriesContext(connection) as queries:
            rows = csv_rows(api.get(endpoint.path, {"q": marker, "format": "csv"}))
        assert len(rows) == size
        counts.append(len(queries))
    assert counts == [endpoint.queries, endpoint.queries]


def test_a_bad_filter_on_a_csv_list_is_the_json_error(api):
    error = error_of(api.get("/api/v1/initiatives/", {"level": "nowhere", "format": "csv"}), 400)
    assert "level" in error["fields"]


def test_csv_of_one_record_is_not_offered(api):
    url = "/api/v1/cities/geneva/"
    error_of(api.get(url, {"format": "csv"}), 404)
    error_of(api.get(url, **ACCEPT_CSV), 406)


def test_json_stays_the_default(api):
    browser = {"HTTP_ACCEPT": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    for response in (api.get("/api/v1/cities/"), api.get("/api/v1/cities/geneva/", **browser)):
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        assert "Accept" in response["Vary"]
    error_of(api.get("/api/v1/cities/", {"format": "api"}), 404)


# JSON-LD


def jsonld_of(api, path: str, **headers) -> dict:
    response = api.get(path, **headers) if headers else api.get(path, {"format": "jsonld"})
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/ld+json"
    data = json.loads(response.content)
    assert data["@context"] == "https://schema.org"
    return data


def page(path: str) -> str:
    return "http://testserver" + path


def test_agreement_is_legislation_with_dates_as_precise_as_known(api):
    iter_ld = jsonld_of(api, "/api/v1/agreements/iter-agreement/", **ACCEPT_JSONLD)
    assert iter_ld["@type"] == "Legislation"
    assert iter_ld["@id"] == page("/agreements/iter-agreement/")
    assert iter_ld["name"] == "ITER Agreement"
    assert iter_ld["legislationDate"] == "2006-11-21"
    assert iter_ld["legislationDateOfApplicability"] == "2007-10-24"
    assert iter_ld["legislationLegalForce"] == "https://schema.org/InForce"
    makers = {item["@id"]: item for item in iter_ld["legislationPassedBy"]}
    assert makers[page("/actors/euratom/")]["@type"] == "GovernmentOrganization"
    # The IAEA is the depositary, not a party.
    assert page("/actors/iaea/") not in makers
    assert {item["@id"] for item in iter_ld["about"]} == {page("/initiatives/iter/")}
    arrangement = jsonld_of(
        api, "/api/v1/agreements/uk-new-zealand-research-science-innovation-arrangement-2022/"
    )
    assert arrangement["legislationDate"] == "2022-07"
    assert "legislationDateOfApplicability" not in arrangement


def test_city_is_a_place_with_coordinates_in_its_country(api):
    geneva = jsonld_of(api, "/api/v1/cities/geneva/")
    assert geneva["@type"] == "City"
    assert geneva["geo"] == {"@type": "GeoCoordinates", "latitude": 46.20222, "longitude": 6.14569}
    assert geneva["containedInPlace"] == {
        "@type": "Country",
        "name": "Switzerland",
        "identifier": "CH",
    }
    assert "https://www.geonames.org/2660646" in geneva["sameAs"]


def test_course_has_its_edition_as_a_course_instance(api):
    course = jsonld_of(api, "/api/v1/courses/aaas-twas-science-diplomacy-course-2023/")
    assert course["@type"] == "Course"
    [instance] = course["hasCourseInstance"]
    assert instance["@type"] == "CourseInstance"
    assert (instance["startDate"], instance["endDate"]) == ("2023-06-20", "2023-06-23")
    assert instance["courseMode"] == "onsite"
    assert instance["location"] == {
        "@type": "City",
        "@id": page("/cities/trieste/"),
        "name": City.objects.get(slug="trieste").name,
    }
    # TWAS organises and hosts it: one provider all the same.
    assert sorted(provider["@id"] for provider in course["provider"]) == [
        page("/actors/aaas/"),
        page("/actors/twas/"),
    ]
    assert len(course["audience"]) == 3


def test_actor_is_an_organization_placed_in_its_city(api):
    twas = jsonld_of(api, "/api/v1/actors/twas/")
    assert twas["@type"] == "ResearchOrganization"
    assert twas["location"]["@id"] == page("/cities/trieste/")
    assert twas["address"] == {
        "@type": "PostalAddress",
        "addressLocality": City.objects.get(slug="trieste").name,
        "addressCountry": "IT",
    }
    miami = jsonld_of(api, "/api/v1/actors/city-of-miami/")
    assert miami["@type"] == "GovernmentOrganization"


def test_initiative_is_a_project_with_its_participants(api):
    office = jsonld_of(api, "/api/v1/initiatives/gca-miami-office/")
    assert office["@type"] == "Project"
    miami = page("/actors/city-of-miami/")
    assert miami in {item["@id"] for item in office["founder"]}
    assert miami in {item["@id"] for item in office["member"]}
    assert {country["identifier"] for country in office["areaServed"]} == {"NL", "US"}
    assert page("/cities/miami/") in {place["@id"] for place in office["location"]}


def test_jsonld_leaves_out_unpublished_records_and_empty_values(api):
    actor = ActorFactory(
        parent=ActorFactory(publication=Publication.DRAFT),
        city=CityFactory(publication=Publication.DRAFT),
        kind="non_profit",
        wikidata_id="Q42",
        ror_id="05gq02987",
    )
    data = jsonld_of(api, f"/api/v1/actors/{actor.slug}/")
    assert data["@type"] == "NGO"
    assert data["sameAs"] == ["https://www.wikidata.org/wiki/Q42", "https://ror.org/05gq02987"]
    assert not {"parentOrganization", "location", "address", "url", "description"} & set(data)
    person = jsonld_of(api, f"/api/v1/actors/{ActorFactory(kind='person', parent=actor).slug}/")
    assert person["@type"] == "Person"
    assert person["worksFor"]["@id"] == page(actor.get_absolute_url())


def test_jsonld_is_only_for_one_record(api):
    error_of(api.get("/api/v1/cities/", {"format": "jsonld"}), 404)
    error_of(api.get("/api/v1/cities/", **ACCEPT_JSONLD), 406)
    error_of(api.get("/api/v1/themes/oceans/", {"format": "jsonld"}), 404)
    error_of(api.get("/api/v1/cities/nowhere/", {"format": "jsonld"}), 404)


EMBEDDED = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.DOTALL)


@pytest.mark.parametrize(
    "path",
    [
        "/agreements/iter-agreement/",
        "/cities/geneva/",
        "/courses/aaas-twas-science-diplomacy-course-2023/",
        "/actors/twas/",
        "/initiatives/gca-miami-office/",
    ],
)
def test_record_page_embeds_the_apis_jsonld(api, client, path):
    response = client.get(path)
    assert response.status_code == 200
    head = response.content.decode().split("</head>")[0]
    [embedded] = EMBEDDED.findall(head)
    assert json.loads(embedded) == jsonld_of(api, f"/api/v1{path}")


def test_embedded_jsonld_cannot_end_its_script(client):
    city = CityFactory(name="</script><script>alert(1)</script> & <!--")
    text = client.get(city.get_absolute_url()).content.decode()
    [embedded] = EMBEDDED.findall(text)
    assert "<" not in embedded and ">" not in embedded and "&" not in embedded
    assert json.loads(embedded)["name"] == city.name


def test_agreement_parties_in_jsonld_follow_their_roles(api):
    agreement = AgreementFactory(status="in_force")
    signatory, observer = ActorFactory(), ActorFactory()
    AgreementParty.objects.create(agreement=agreement, actor=signatory, role="signatory")
    AgreementParty.objects.create(agreement=agreement, actor=observer, role="observer")
    data = jsonld_of(api, f"/api/v1/agreements/{agreement.slug}/")
    assert [item["@id"] for item in data["legislationPassedBy"]] == [
        page(signatory.get_absolute_url())
    ]
    assert "legislationDate" not in data
