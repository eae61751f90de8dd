"""Every read endpoint of the API, checked the same way: lists, retrieval, paging, the site's
filters and facets with the same meaning, drafts hidden, query budget."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalogue.models import (
    SDG,
    Actor,
    Agreement,
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


def every_page(api, url: str) -> list[dict]:
    results = []
    while url:
        body = api.get(url).json()
        results += body["results"]
        url = body["next"]
    return results


class ReadEndpoint:
    """What every endpoint must do; a subclass names its model and address."""

    path = ""
    model = None
    lookup = "slug"

    def visible(self):
        return self.model.objects.all()

    def test_pages_through_every_object_once(self, api):
        objects = every_page(api, f"{self.path}?per_page=7")
        keys = [str(item[self.lookup]) for item in objects]
        expected = {str(value) for value in self.visible().values_list(self.lookup, flat=True)}
        assert len(keys) == len(set(keys)) == len(expected)
        assert set(keys) == expected

    def test_retrieves_by_its_key(self, api):
        item = self.visible().first()
        key = getattr(item, self.lookup)
        body = api.get(f"{self.path}{key}/").json()
        assert str(body[self.lookup]) == str(key)
        assert body["url"].endswith(f"{self.path}{key}/")

    def test_unknown_key_is_a_404_in_the_error_format(self, api):
        response = api.get(f"{self.path}no-such-thing-0/")
        assert response.status_code == 404
        assert response.json()["error"]["status"] == 404


class RecordEndpoint(ReadEndpoint):
    factory = None
    site_path = ""
    # Pinned, the same for a page of 5 and of 50: the revision token, the page's rows and one
    # query per relation of the representation (catalogue/representations.py); the count comes
    # from the list index.
    queries = 0

    def visible(self):
        return self.model.objects.published()

    def test_records_link_to_their_page_on_the_site(self, api):
        record = self.visible().first()
        body = api.get(f"{self.path}{record.slug}/").json()
        assert body["html_url"] == f"http://testserver{record.get_absolute_url()}"

    def test_drafts_are_never_shown_to_anonymous_clients(self, api):
        draft = self.factory(publication=Publication.DRAFT, name="Unpublished draft")
        slugs = [item["slug"] for item in every_page(api, f"{self.path}?per_page=100")]
        assert draft.slug not in slugs
        assert api.get(f"{self.path}{draft.slug}/").status_code == 404

    def test_a_site_query_string_means_the_same(self, api, client):
        site = client.get(self.site_path)
        for _facet, values in site.context["facets"]:
            for value in values[:2]:
                site_total = client.get(f"{self.site_path}?{value.url}").context["total"]
                assert api.get(f"{self.path}?{value.url}").json()["count"] == site_total

    def test_facets_are_the_sites_numbers(self, api, client):
        site = client.get(self.site_path)
        names = ",".join(facet.param for facet, _values in site.context["facets"])
        body = api.get(f"{self.path}?facets={names}").json()
        for facet, values in site.context["facets"]:
            assert [(v["value"], v["count"]) for v in body["facets"][facet.param]] == [
                (v.value, v.count) for v in values
            ]

    def test_query_count_does_not_grow_with_the_page(self, api):
        # Both pages hold every seed record, so every relation the serializer loads is met.
        counts = []
        for extra, per_page in ((20, 100), (80, 200)):
            self.factory.create_batch(extra)
            # The list index is built by the first request after a write (test_index.py).
            api.get(f"{self.path}?per_page=1")
            with CaptureQueriesContext(connection) as queries:
                body = api.get(f"{self.path}?per_page={per_page}").json()
            assert body["next"] is None
            counts.append(len(queries))
        assert counts == [self.queries, self.queries]


class TestInitiatives(RecordEndpoint):
    path, site_path, model, factory, queries = (
        "/api/v1/initiatives/", "/initiatives/", Initiative, InitiativeFactory, 10,
    )  # fmt: skip


class TestActors(RecordEndpoint):
    path, site_path, model, factory, queries = (
        "/api/v1/actors/", "/actors/", Actor, ActorFactory, 3,
    )  # fmt: skip


class TestCourses(RecordEndpoint):
    path, site_path, model, factory, queries = (
        "/api/v1/courses/", "/courses/", Course, CourseFactory, 5,
    )  # fmt: skip


class TestAgreements(RecordEndpoint):
    path, site_path, model, factory, queries = (
        "/api/v1/agreements/", "/agreements/", Agreement, AgreementFactory, 8,
    )  # fmt: skip


class TestCities(RecordEndpoint):
    path, site_path, model, factory, queries = (
        "/api/v1/cities/", "/cities/", City, CityFactory, 3,
    )  # fmt: skip


class TestThemes(ReadEndpoint):
    path, model = "/api/v1/themes/", Theme


class TestSDGs(ReadEndpoint):
    path, model, lookup = "/api/v1/sdgs/", SDG, "number"


class TestCountries(ReadEndpoint):
    path, model, lookup = "/api/v1/countries/", Country, "code"


class TestSources(ReadEndpoint):
    path, model = "/api/v1/sources/", Source


def test_relations_are_brief_objects_with_roles_and_dated_actions(api):
    body = api.get("/api/v1/agreements/iter-agreement/").json()
    assert body["signed_on"] == "2006-11-21" and body["signed_on_precision"] == "day"
    party = next(p for p in body["parties"] if p["actor"]["slug"] == "euratom")
    assert party["role"] == "party"
    assert party["signed_on"] == "2006-11-21"
    assert set(party["actor"]) == {"slug", "name", "url", "html_url"}
    initiative = api.get("/api/v1/initiatives/gesda/").json()
    roles = {(p["actor"]["slug"], p["role"]) for p in initiative["participations"]}
    assert ("swiss-federal-council", "lead") in roles
    assert {"code": "CH"}.items() <= initiative["countries"][0].items()


def test_an_invalid_filter_is_named_in_the_error(api):
    body = api.get("/api/v1/initiatives/?kind=alliance&facets=nope").json()
    assert body["error"]["status"] == 400
    assert "kind" in body["error"]["fields"]


@pytest.mark.parametrize("links", [1, 6])
def test_retrieving_costs_the_same_whatever_the_number_of_relations(api, links):
    initiative = InitiativeFactory()
    for actor in ActorFactory.create_batch(links):
        initiative.participations.create(actor=actor, role="partner")
    initiative.themes.set(Theme.objects.all()[:links])
    with CaptureQueriesContext(connection) as queries:
        body = api.get(f"/api/v1/initiatives/{initiative.slug}/").json()
    assert len(body["participations"]) == links
    # The revision token, the record's id, its row and one query per relation it shows.
    assert len(queries) == 11


@pytest.mark.parametrize(
    "factory", [InitiativeFactory, AgreementFactory], ids=["initiative", "agreement"]
)
def test_the_year_a_status_was_stated_is_read_beside_it(api, factory):
    record = factory(status_as_of=2021)
    path = f"/api/v1/{record._meta.model_name}s/{record.slug}/"
    body = api.get(path).json()
    assert body["status_as_of"] == 2021
    assert body["status"] == record.status
