"""Curators write every record with its relations through the API, validated exactly as admin
validates them and all or nothing; nobody else writes, and anonymous readers never see drafts.

Every writable endpoint is tested the same way by `WritableEndpoint`; a model's test case only
declares its payloads, the change it patches, the relation it replaces and the bad payloads.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.fields import ChoiceField
from rest_framework.relations import ManyRelatedField
from rest_framework.serializers import ListSerializer
from rest_framework.test import APIClient

from api.serializers import BriefRelatedField
from api.urls import router
from catalogue.models import (
    Actor,
    Agreement,
    City,
    Course,
    Initiative,
    Publication,
    Record,
    Source,
    Version,
)
from catalogue.services import MAX_RELATED
from tests.api.conftest import token_client
from tests.factories import (
    RECORD_FACTORIES,
    ActorFactory,
    AgreementFactory,
    CityFactory,
    CourseFactory,
    InitiativeFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db


def reader() -> User:
    return User.objects.create_user("reader", password="a-long-passphrase-42")


def staff_but_not_curator() -> User:
    return User.objects.create_user("clerk", password="a-long-passphrase-42", is_staff=True)


def catalogue_rows() -> dict[str, int]:
    """How many rows each catalogue table holds, link and many-to-many tables included; the
    history, which every write adds to, aside."""
    return {
        model._meta.db_table: model.objects.count()
        for model in apps.get_app_config("catalogue").get_models(include_auto_created=True)
        if model is not Version
    }


BRIEF_KEYS = {"slug", "code", "number", "name", "url", "html_url"}


def as_written(value):
    """A value in the form a payload writes it: related objects by their slug, code or number
    rather than as (brief) objects."""
    if isinstance(value, list):
        return [as_written(item) for item in value]
    if isinstance(value, dict) and set(value) <= BRIEF_KEYS:
        return next(value[key] for key in ("slug", "code", "number") if key in value)
    if isinstance(value, dict):
        return {key: as_written(item) for key, item in value.items()}
    return value


def assert_reads_back(written: dict, read: dict) -> None:
    """Every value written reads back: lists in any order, and each row written as one row read,
    which also shows the fields the payload left out."""
    for name, value in as_written(written).items():
        shown = as_written(read[name])
        if isinstance(value, list) and value and isinstance(value[0], dict):
            unmatched = list(shown)
            for row in value:
                match = next((r for r in unmatched if r.items() >= row.items()), None)
                assert match is not None, (name, row, shown)
                unmatched.remove(match)
            assert not unmatched, name
        elif isinstance(value, list):
            assert sorted(shown) == sorted(value), name
        else:
            assert shown == value, name


def assert_errors(fields: dict, expected: dict) -> None:
    """Exactly the fields `expected` names are reported, and a relation's rows by number; a
    string is part of the message."""
    assert set(fields) == set(expected), fields
    for name, wanted in expected.items():
        if isinstance(wanted, dict):
            assert_errors(fields[name], wanted)
        else:
            assert any(wanted in message for message in fields[name]), fields


@dataclass
class Bad:
    """A bad change to a valid payload and the errors it must bring, by field."""

    id: str
    change: Callable[[dict], dict]
    errors: dict


def pytest_generate_tests(metafunc):
    if "bad" in metafunc.fixturenames:
        cases = metafunc.cls.bad_payloads
        metafunc.parametrize("bad", cases, ids=[case.id for case in cases])


class WritableEndpoint:
    """A writable endpoint under /api/v1/: create, patch, replace relations, delete, refuse bad
    payloads without saving anything, and refuse every writer but curators."""

    endpoint: str
    model: type[Record]
    factory: Callable[..., Record]
    # The payload's relation lists.
    relations: tuple[str, ...]
    bad_payloads: list[Bad]

    def payload(self) -> dict:
        """A valid new record with all its relations."""
        raise NotImplementedError

    def patch(self) -> dict:
        return {"summary": "Changed through the API."}

    def replacement(self) -> tuple[str, list]:
        """A relation and the new list a PUT gives it."""
        return "citations", [{"source": SourceFactory().slug, "locator": "ch. 2"}]

    def list_url(self) -> str:
        return f"/api/v1/{self.endpoint}/"

    def detail_url(self, slug: str) -> str:
        return f"/api/v1/{self.endpoint}/{slug}/"

    def create(self, client: APIClient, payload: dict | None = None) -> tuple[dict, dict]:
        payload = payload or self.payload()
        response = client.post(self.list_url(), payload, format="json")
        assert response.status_code == 201, response.json()
        return payload, response.json()

    def test_create_with_relations(self, curator_api):
        payload, created = self.create(curator_api)
        assert set(self.relations) <= set(payload)
        assert_reads_back(payload, created)
        record = self.model.objects.get(slug=payload["slug"])
        assert record.publication == Publication.DRAFT
        read = curator_api.get(self.detail_url(record.slug)).json()
        assert_reads_back(payload, read)
        assert read == created

    def test_patch_a_field_keeps_the_relations(self, curator_api):
        payload, created = self.create(curator_api)
        change = self.patch()
        response = curator_api.patch(self.detail_url(payload["slug"]), change, format="json")
        assert response.status_code == 200, response.json()
        assert_reads_back(change, response.json())
        assert_reads_back(change, curator_api.get(self.detail_url(payload["slug"])).json())
        for name in self.relations:
            assert response.json()[name] == created[name]

    def test_put_replaces_a_given_relation_and_keeps_an_omitted_one(self, curator_api):
        payload, created = self.create(curator_api)
        relation, rows = self.replacement()
        body = {key: value for key, value in payload.items() if key not in self.relations}
        body[relation] = rows
        response = curator_api.put(self.detail_url(payload["slug"]), body, format="json")
        assert response.status_code == 200, response.json()
        read = curator_api.get(self.detail_url(payload["slug"])).json()
        assert_reads_back({relation: rows}, read)
        for name in set(self.relations) - {relation}:
            assert read[name] == created[name]

    def test_delete_removes_the_record_and_its_relations(self, curator_api):
        payload = self.payload()
        before = catalogue_rows()
        self.create(curator_api, payload)
        assert catalogue_rows() != before
        response = curator_api.delete(self.detail_url(payload["slug"]))
        assert response.status_code == 204
        assert curator_api.get(self.detail_url(payload["slug"])).status_code == 404
        assert catalogue_rows() == before

    def test_bad_payload_is_refused_and_nothing_is_saved(self, curator_api, bad):
        payload = self.payload()
        before = catalogue_rows()
        response = curator_api.post(self.list_url(), {**payload, **bad.change(payload)}, "json")
        assert response.status_code == 400
        error = response.json()["error"]
        assert (error["status"], error["code"]) == (400, "invalid")
        assert_errors(error["fields"], bad.errors)
        assert catalogue_rows() == before

    def test_bad_change_is_refused_and_nothing_changes(self, curator_api, bad):
        payload, created = self.create(curator_api)
        before = catalogue_rows()
        url = self.detail_url(payload["slug"])
        response = curator_api.patch(url, bad.change(payload), format="json")
        assert response.status_code == 400
        assert_errors(response.json()["error"]["fields"], bad.errors)
        assert catalogue_rows() == before
        assert curator_api.get(url).json() == created

    @pytest.mark.parametrize(
        ("writer", "status"), [(None, 401), (reader, 401), (staff_but_not_curator, 401)]
    )
    def test_only_curators_write(self, writer, status):
        client = token_client(writer() if writer else None)
        record = self.factory()
        payload = self.payload()
        before = catalogue_rows()
        url = self.detail_url(record.slug)
        assert client.post(self.list_url(), payload, format="json").status_code == status
        assert client.patch(url, self.patch(), format="json").status_code == status
        assert client.put(url, payload, format="json").status_code == status
        response = client.delete(url)
        assert response.status_code == status
        assert response.json()["error"]["status"] == status
        if status == 401:
            assert response["WWW-Authenticate"] == "Token"
        assert catalogue_rows() == before
        assert self.model.objects.get(pk=record.pk).summary == record.summary

    def test_anonymous_readers_never_see_a_draft(self, curator_api):
        draft = self.factory(publication=Publication.DRAFT)
        for client in (token_client(None),):
            listed = client.get(self.list_url(), {"per_page": 500}).json()["results"]
            assert draft.slug not in {record["slug"] for record in listed}
            assert client.get(self.detail_url(draft.slug)).status_code == 404
        listed = curator_api.get(self.list_url(), {"per_page": 500}).json()["results"]
        assert draft.slug in {record["slug"] for record in listed}
        assert curator_api.get(self.detail_url(draft.slug)).status_code == 200


def citations() -> list[dict]:
    return [{"source": SourceFactory().slug, "locator": "p. 4"}, {"source": SourceFactory().slug}]


def duplicate_row(name: str, message: str) -> Bad:
    """The payload's first row of `name` given twice: the second is refused."""
    return Bad(
        f"duplicate {name}",
        lambda payload: {name: [payload[name][0], payload[name][0]]},
        {name: {"1": {"non_field_errors": message}}},
    )


def unknown(name: str, value) -> Bad:
    return Bad(f"unknown {name}", lambda payload: {name: value}, {name: "does not exist"})


def bad_choice(name: str) -> Bad:
    return Bad(f"bad {name}", lambda payload: {name: "alliance"}, {name: "not a valid choice"})


class TestInitiatives(WritableEndpoint):
    endpoint = "initiatives"
    model = Initiative
    factory = InitiativeFactory
    relations = (
        "cities",
        "countries",
        "themes",
        "sdgs",
        "dimensions",
        "drivers",
        "participations",
        "citations",
    )
    bad_payloads = [
        Bad(
            "end before start",
            lambda payload: {"status": "completed", "end_year": 2019},
            {"end_year": "The end year cannot be before the start year."},
        ),
        Bad(
            "end of an active initiative",
            lambda payload: {"end_year": 2024},
            {"end_year": "Only a completed or suspended initiative has an end year."},
        ),
        Bad(
            "participation ends before it starts",
            lambda payload: {
                "participations": [
                    payload["participations"][0],
                    {**payload["participations"][1], "start_year": 2022, "end_year": 2021},
                ]
            },
            {
                "participations": {
                    "1": {"end_year": "The end year cannot be before the start year."}
                }
            },
        ),
        Bad(
            "several rules at once",
            lambda payload: {
                "status": "completed",
                "end_year": 2019,
                "participations": [{**payload["participations"][0], "end_year": 2019}],
            },
            {
                "end_year": "The end year cannot be before the start year.",
                "participations": {"0": {"end_year": "cannot be before the start year"}},
            },
        ),
        Bad(
            "several values at once",
            lambda payload: {
                "kind": "alliance",
                "cities": ["atlantis"],
                "participations": [{**payload["participations"][0], "end_year": 1899}],
            },
            {
                "kind": "not a valid choice",
                "cities": "does not exist",
                "participations": {"0": {"end_year": "1900"}},
            },
        ),
        duplicate_row("participations", "This actor already has this role in this initiative."),
        unknown("cities", ["atlantis"]),
        unknown("sdgs", [18]),
        bad_choice("kind"),
    ]

    def payload(self) -> dict:
        lead, partner = ActorFactory(), ActorFactory()
        return {
            "slug": "api-test-initiative",
            "name": "API test initiative",
            "summary": "Written through the API.",
            "kind": "hub",
            "status": "active",
            "level": "city",
            "start_year": 2020,
            "parent": InitiativeFactory().slug,
            "cities": ["geneva"],
            "countries": ["CH"],
            "themes": ["health", {"slug": "oceans"}],
            "sdgs": [3, 14],
            "dimensions": ["science-in-diplomacy"],
            "drivers": ["global-challenges"],
            "participations": [
                {"actor": lead.slug, "role": "lead", "start_year": 2020, "end_year": None},
                {"actor": {"slug": partner.slug}, "role": "partner"},
            ],
            "citations": citations(),
        }

    def replacement(self) -> tuple[str, list]:
        return "participations", [{"actor": ActorFactory().slug, "role": "member"}]


class TestActors(WritableEndpoint):
    endpoint = "actors"
    model = Actor
    factory = ActorFactory
    relations = ("citations",)
    bad_payloads = [
        Bad(
            "city outside the country",
            lambda payload: {"country": "FR"},
            {"city": "Geneva is in Switzerland, not in France."},
        ),
        Bad("implausible founding year", lambda payload: {"founded": 1800}, {"founded": "1900"}),
        Bad("bad ROR id", lambda payload: {"ror_id": "12345"}, {"ror_id": "Enter a ROR id"}),
        Bad(
            "bad Wikidata id",
            lambda payload: {"wikidata_id": "42"},
            {"wikidata_id": "Enter a Wikidata item id"},
        ),
        duplicate_row("citations", "This source is already cited here with that locator."),
        unknown("parent", "nobody"),
        unknown("country", "XX"),
        bad_choice("kind"),
    ]

    def payload(self) -> dict:
        return {
            "slug": "api-test-actor",
            "name": "API Test Research Institute",
            "kind": "research",
            "acronym": "ATRI",
            "country": "CH",
            "city": {"slug": "geneva"},
            "parent": ActorFactory().slug,
            "founded": 1990,
            "ror_id": "05gq02987",
            "citations": citations(),
        }


class TestCourses(WritableEndpoint):
    endpoint = "courses"
    model = Course
    factory = CourseFactory
    relations = ("audiences", "provisions", "citations")
    bad_payloads = [
        Bad(
            "online course with a city",
            lambda payload: {"format": "online"},
            {"city": "An online course takes place in no city."},
        ),
        Bad(
            "end before start",
            lambda payload: {"ends_on": "2027-05-31"},
            {"ends_on": "The end cannot be before the start."},
        ),
        Bad(
            "deadline after start",
            lambda payload: {"application_deadline": "2027-07-01"},
            {"application_deadline": "The application deadline cannot be after the start."},
        ),
        Bad(
            "free course with a fee",
            lambda payload: {"is_free": True},
            {"fee": "A free course has no fee."},
        ),
        Bad(
            "unknown language",
            lambda payload: {"language": "xx"},
            {"language": "not a language code Sciplo knows"},
        ),
        duplicate_row("provisions", "This actor already has this role in this course."),
        Bad(
            "unknown provider",
            lambda payload: {
                "provisions": [payload["provisions"][0], {"actor": "nobody", "role": "host"}]
            },
            {"provisions": {"1": {"actor": "does not exist"}}},
        ),
        unknown("audiences", ["astronauts"]),
        bad_choice("format"),
    ]

    def payload(self) -> dict:
        organiser, host = ActorFactory(), ActorFactory()
        return {
            "slug": "api-test-course",
            "name": "API test course",
            "kind": "summer_school",
            "edition": 3,
            "format": "in_person",
            "city": "geneva",
            "starts_on": "2027-06-01",
            "ends_on": "2027-06-05",
            "application_deadline": "2027-04-01",
            "audiences": ["diplomats", "scientists"],
            "language": "en",
            "is_free": False,
            "fee": "500 CHF",
            "initiative": InitiativeFactory().slug,
            "provisions": [
                {"actor": organiser.slug, "role": "organiser"},
                {"actor": host.slug, "role": "host"},
            ],
            "citations": citations(),
        }

    def replacement(self) -> tuple[str, list]:
        return "provisions", [{"actor": ActorFactory().slug, "role": "funder"}]


class TestAgreements(WritableEndpoint):
    endpoint = "agreements"
    model = Agreement
    factory = AgreementFactory
    relations = ("parties", "cities", "initiatives", "themes", "citations")
    bad_payloads = [
        Bad(
            "in force before signed",
            lambda payload: {"in_force_on": "2018-01-01", "in_force_on_precision": "year"},
            {"in_force_on": "It cannot enter into force before it is signed."},
        ),
        Bad(
            "party joins before it signs",
            lambda payload: {
                "parties": [
                    payload["parties"][0],
                    {
                        **payload["parties"][1],
                        "signed_on": "2020-01-01",
                        "signed_on_precision": "year",
                        "joined_on": "2019-12-01",
                        "joined_on_precision": "month",
                    },
                ]
            },
            {"parties": {"1": {"joined_on": "A party cannot join before it signs."}}},
        ),
        Bad(
            "duplicate party",
            lambda payload: {
                "parties": [
                    *payload["parties"],
                    {"actor": payload["parties"][0]["actor"], "role": "signatory"},
                ]
            },
            {
                "parties": {
                    "2": {"non_field_errors": "This actor is already a party to this agreement."}
                }
            },
        ),
        Bad(
            "unknown precision",
            lambda payload: {"signed_on_precision": "week"},
            {"signed_on_precision": "not a valid choice"},
        ),
        Bad(
            "day given for a date known to the year",
            lambda payload: {"signed_on": "2019-03-15"},
            {"signed_on": "A date known to a month or a year is stored as its first day."},
        ),
        Bad(
            "date without precision",
            lambda payload: {"ended_on": "2025-01-01"},
            {"ended_on": "Say whether this date is known to the day, month or year."},
        ),
        Bad(
            "party's date without precision",
            lambda payload: {"parties": [{**payload["parties"][0], "withdrew_on": "2024-01-01"}]},
            {"parties": {"0": {"withdrew_on": "Say whether this date is known"}}},
        ),
        unknown("themes", ["astrology"]),
        bad_choice("status"),
    ]

    def payload(self) -> dict:
        first, second = ActorFactory(), ActorFactory()
        return {
            "slug": "api-test-agreement",
            "name": "API test agreement",
            "kind": "mou",
            "status": "in_force",
            "signed_on": "2019-01-01",
            "signed_on_precision": "year",
            "in_force_on": "2019-07-01",
            "in_force_on_precision": "month",
            "parties": [
                {
                    "actor": first.slug,
                    "role": "party",
                    "signed_on": "2019-01-01",
                    "signed_on_precision": "year",
                    "joined_on": "2019-06-15",
                    "joined_on_precision": "day",
                },
                {"actor": second.slug, "role": "party"},
            ],
            "cities": ["miami"],
            "initiatives": [InitiativeFactory().slug],
            "themes": ["climate-adaptation"],
            "citations": citations(),
        }

    def patch(self) -> dict:
        return {"status": "ended", "ended_on": "2024-01-01", "ended_on_precision": "year"}

    def replacement(self) -> tuple[str, list]:
        return "parties", [
            {"actor": ActorFactory().slug, "role": "depositary"},
            {
                "actor": ActorFactory().slug,
                "role": "party",
                "signed_on": "2019-02-01",
                "signed_on_precision": "month",
            },
        ]


class TestCities(WritableEndpoint):
    endpoint = "cities"
    model = City
    factory = CityFactory
    relations = ("citations",)
    bad_payloads = [
        Bad(
            "strategy year without a strategy",
            lambda payload: {"strategy": "none_known"},
            {"strategy_since": "Only a comprehensive strategy has a starting year."},
        ),
        Bad(
            "latitude without longitude",
            lambda payload: {"longitude": None},
            {"longitude": "Give both latitude and longitude, or neither."},
        ),
        Bad("latitude beyond the pole", lambda payload: {"latitude": 95}, {"latitude": "90"}),
        duplicate_row("citations", "This source is already cited here with that locator."),
        Bad(
            "unknown source",
            lambda payload: {"citations": [{"source": "nowhere"}]},
            {"citations": {"0": {"source": "does not exist"}}},
        ),
        unknown("country", "XX"),
        bad_choice("approach"),
    ]

    def payload(self) -> dict:
        return {
            "slug": "api-test-city",
            "name": "API Test City",
            "country": "ES",
            "latitude": 41.6,
            "longitude": 2.2,
            "geonames_id": 999999901,
            "strategy": "comprehensive",
            "strategy_since": 2018,
            "approach": "multi_level",
            "citations": citations(),
        }


def test_error_body_nests_a_party_s_error_at_its_row(curator_api):
    payload = TestAgreements().payload()
    payload["parties"][1].update(
        signed_on="2020-01-01",
        signed_on_precision="year",
        joined_on="2019-01-01",
        joined_on_precision="year",
    )
    payload["in_force_on"] = "2018-06-01"
    response = curator_api.post("/api/v1/agreements/", payload, format="json")
    assert response.json() == {
        "error": {
            "status": 400,
            "code": "invalid",
            "message": "Some values are not valid; see fields.",
            "fields": {
                "in_force_on": ["It cannot enter into force before it is signed."],
                "parties": {"1": {"joined_on": ["A party cannot join before it signs."]}},
            },
        }
    }


def test_a_duplicate_party_in_an_update_keeps_the_old_parties(curator_api):
    payload, _ = TestAgreements().create(curator_api)
    newcomer = ActorFactory().slug
    response = curator_api.patch(
        f"/api/v1/agreements/{payload['slug']}/",
        {"parties": [{"actor": newcomer}, {"actor": newcomer, "role": "observer"}]},
        format="json",
    )
    assert response.json()["error"]["fields"] == {
        "parties": {"1": {"non_field_errors": ["This actor is already a party to this agreement."]}}
    }
    agreement = Agreement.objects.get(slug=payload["slug"])
    assert {party.actor.slug for party in agreement.party_links.all()} == {
        party["actor"] for party in payload["parties"]
    }


def test_an_initiative_s_countries_gain_those_of_its_cities(curator_api):
    payload = {**TestInitiatives().payload(), "cities": ["geneva"], "countries": ["FR"]}
    created = curator_api.post("/api/v1/initiatives/", payload, format="json").json()
    assert {country["code"] for country in created["countries"]} == {"CH", "FR"}
    changed = curator_api.patch(
        f"/api/v1/initiatives/{payload['slug']}/", {"cities": ["barcelona"]}, format="json"
    ).json()
    assert {country["code"] for country in changed["countries"]} == {"CH", "ES", "FR"}
    assert Initiative.objects.get(slug=payload["slug"]).relation_problems() == []


def test_an_actor_others_refer_to_is_not_deleted(curator_api):
    before = catalogue_rows()
    response = curator_api.delete("/api/v1/actors/twas/")
    assert response.status_code == 409
    error = response.json()["error"]
    assert (error["status"], error["code"]) == (409, "protected")
    assert "cannot be deleted while these refer to it" in error["message"]
    assert catalogue_rows() == before


def test_an_agreement_reads_its_published_parties_only(curator_api):
    payload, _ = TestAgreements().create(curator_api)
    hidden = Actor.objects.get(slug=payload["parties"][1]["actor"])
    hidden.publication = Publication.DRAFT
    hidden.save()
    read = curator_api.get(f"/api/v1/agreements/{payload['slug']}/").json()
    assert [party["actor"]["slug"] for party in read["parties"]] == [payload["parties"][0]["actor"]]


def curator_token(username: str) -> str:
    out = StringIO()
    call_command("curator_token", username, stdout=out)
    return out.getvalue().strip()


def in_curators_group(user: User) -> User:
    user.groups.add(Group.objects.get(name="Curators"))
    return user


def former_curator() -> User:
    return in_curators_group(
        User.objects.create_user(
            "former", password="a-long-passphrase-42", is_staff=True, is_active=False
        )
    )


class TestCuratorTokenCommand:
    def test_prints_the_same_token_each_time(self, curator):
        key = curator_token("curator")
        assert key == Token.objects.get(user=curator).key
        assert curator_token("curator") == key

    def test_the_token_lets_a_script_write(self, curator):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {curator_token('curator')}")
        response = client.post("/api/v1/cities/", TestCities().payload(), format="json")
        assert response.status_code == 201

    @pytest.mark.parametrize(
        "make",
        [
            reader,
            staff_but_not_curator,
            lambda: in_curators_group(reader()),
            former_curator,
        ],
        ids=["reader", "staff", "not staff", "inactive"],
    )
    def test_refuses_anyone_but_a_curator(self, make):
        user = make()
        with pytest.raises(CommandError, match="not a curator"):
            curator_token(user.username)
        assert not Token.objects.exists()

    def test_refuses_an_unknown_user(self):
        with pytest.raises(CommandError, match="no user named 'nobody'"):
            curator_token("nobody")


# A key no record has, with bytes a database refuses in text: NUL, and other control characters.
HOSTILE_KEYS = ["%00", "a%00b", "%01", "%1F", "%7F"]


@pytest.mark.parametrize("key", HOSTILE_KEYS)
@pytest.mark.parametrize("prefix", [prefix for prefix, _viewset, _name in router.registry])
def test_a_key_holding_control_characters_is_not_found_on_every_route(curator_api, prefix, key):
    url = f"/api/v1/{prefix}/{key}/"
    for method in ("get", "head", "put", "patch", "delete"):
        response = getattr(curator_api, method)(url, {}, format="json")
        assert response.status_code == 404, (method, url, response.content)


def key_payloads(serializer, key: str):
    """(field, value) for every relation `serializer` writes by key, `key` in the value's place:
    related records, lists of them, and the link rows of lists of rows."""
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        if isinstance(field, BriefRelatedField):
            yield name, key
        elif isinstance(field, ManyRelatedField) and isinstance(
            field.child_relation, BriefRelatedField
        ):
            yield name, [key]
        elif isinstance(field, ListSerializer):
            for inner, value in key_payloads(field.child, key):
                yield name, [{inner: value}]


# The API's routes of records, with the viewset of each.
RECORD_VIEWSETS = [
    (prefix, viewset)
    for prefix, viewset, _basename in router.registry
    if getattr(viewset, "model", None) in RECORD_FACTORIES
]
RECORD_ROUTES = [(prefix, viewset.model) for prefix, viewset in RECORD_VIEWSETS]
WRITTEN_BY_KEY = [
    (prefix, viewset.model, name, value)
    for prefix, viewset in RECORD_VIEWSETS
    for name, value in key_payloads(viewset.serializer_class(), "a\x00b")
]


def patched(client, prefix: str, model, payload: dict):
    """A new record of `model` and the answer to PATCHing `payload` onto it."""
    record = RECORD_FACTORIES[model]()
    return record, client.patch(f"/api/v1/{prefix}/{record.slug}/", payload, format="json")


@pytest.mark.parametrize(("prefix", "model", "name", "value"), WRITTEN_BY_KEY)
def test_a_key_holding_control_characters_is_refused_by_every_related_field(
    curator_api, prefix, model, name, value
):
    _record, response = patched(curator_api, prefix, model, {name: value})
    assert response.status_code == 400, response.content
    assert name in response.json()["error"]["fields"]


@pytest.mark.parametrize(("prefix", "model"), RECORD_ROUTES)
@pytest.mark.parametrize(
    ("field", "text"), [("name", "a\x01b"), ("summary", "a\x00b"), ("description", "a\x1bb")]
)
def test_a_text_holding_a_control_character_is_refused_naming_its_field(
    curator_api, prefix, model, field, text
):
    record, response = patched(curator_api, prefix, model, {field: text})
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    record.refresh_from_db()
    assert getattr(record, field) != text


@pytest.mark.parametrize(
    "leave",
    [
        pytest.param(lambda user: user.groups.clear(), id="out of every group"),
        pytest.param(lambda user: setattr(user, "is_staff", False) or user.save(), id="not staff"),
        pytest.param(lambda user: setattr(user, "is_active", False) or user.save(), id="inactive"),
    ],
)
@pytest.mark.parametrize(("prefix", "model"), RECORD_ROUTES)
def test_a_token_stops_working_when_its_user_stops_being_a_curator(curator, prefix, model, leave):
    client = token_client(curator)
    draft = RECORD_FACTORIES[model](publication=Publication.DRAFT)
    url = f"/api/v1/{prefix}/{draft.slug}/"
    assert client.get(url).status_code == 200
    leave(curator)
    for response in (client.get(url), client.get(f"/api/v1/{prefix}/"), client.delete(url)):
        assert response.status_code == 401, response.content
        assert response.json()["error"]["code"] == "authentication_failed"
    assert type(draft).objects.filter(pk=draft.pk).exists()


@pytest.mark.parametrize("depth", [33, 5000])
@pytest.mark.parametrize(("prefix", "model"), RECORD_ROUTES)
def test_a_body_nested_too_deep_is_refused_naming_the_limit(curator_api, prefix, model, depth):
    record = RECORD_FACTORIES[model]()
    body = '{"name": ' + "[" * depth + "]" * depth + "}"
    before = catalogue_rows()
    for method, url in (
        ("post", f"/api/v1/{prefix}/"),
        ("put", f"/api/v1/{prefix}/{record.slug}/"),
        ("patch", f"/api/v1/{prefix}/{record.slug}/"),
    ):
        response = getattr(curator_api, method)(url, body, content_type="application/json")
        assert response.status_code == 400, (method, response.content[:300])
        assert "nested more than 32 levels deep" in response.json()["error"]["message"]
    assert catalogue_rows() == before


@pytest.mark.parametrize("character", ['"', "<", ">", "\\", "^", "`", "{", "|", "}"])
@pytest.mark.parametrize(("prefix", "model"), RECORD_ROUTES)
def test_a_website_holding_a_character_no_uri_may_hold_is_refused(
    curator_api, prefix, model, character
):
    record, response = patched(
        curator_api, prefix, model, {"website": f"https://example.org/a{character}b"}
    )
    assert response.status_code == 400, response.content
    assert "website" in response.json()["error"]["fields"]
    assert type(record).objects.get(pk=record.pk).website == record.website


def test_a_source_url_holding_a_quote_is_refused_naming_it():
    source = SourceFactory(url="https://example.org/report")
    source.url = 'https://example.org/"report"'
    with pytest.raises(ValidationError) as caught:
        source.full_clean()
    assert "url" in caught.value.message_dict


def list_relations(serializer) -> list[tuple[str, Callable[[int], list]]]:
    """(field, items) for every relation `serializer` writes as a list: `items(n)` gives a valid
    value of `n` distinct related records, or link rows naming as many."""

    def related_keys(field: BriefRelatedField, n: int) -> list:
        model = field.get_queryset().model
        factory = RECORD_FACTORIES.get(model, SourceFactory if model is Source else None)
        objects = [factory() for _ in range(n)] if factory else list(model.objects.all()[:n])
        assert len(objects) == n, f"only {len(objects)} {model._meta.verbose_name_plural}"
        return [getattr(obj, field.slug_field) for obj in objects]

    def rows(child, n: int) -> list[dict]:
        columns = {}
        for name, field in child.fields.items():
            if isinstance(field, BriefRelatedField) and not field.read_only:
                columns[name] = related_keys(field, n)
            elif isinstance(field, ChoiceField) and field.required:
                columns[name] = [next(iter(field.choices))] * n
        lines = zip(*columns.values(), strict=True)
        return [dict(zip(columns, values, strict=True)) for values in lines]

    relations = []
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        if isinstance(field, ManyRelatedField):
            relations.append((name, partial(related_keys, field.child_relation)))
        elif isinstance(field, ListSerializer):
            relations.append((name, partial(rows, field.child)))
    return relations


LIST_RELATIONS = [
    pytest.param(prefix, viewset.model, name, items, id=f"{prefix}-{name}")
    for prefix, viewset in RECORD_VIEWSETS
    for name, items in list_relations(viewset.serializer_class())
]


@pytest.mark.parametrize(("prefix", "model", "name", "items"), LIST_RELATIONS)
def test_a_relation_beyond_the_limit_is_refused_naming_it_unread(
    curator_api, prefix, model, name, items, django_assert_max_num_queries
):
    payload = {name: items(1) * (MAX_RELATED + 1)}
    record = RECORD_FACTORIES[model]()
    before = catalogue_rows()
    # Refused before any of the 501 is looked up: the token, the record, nothing per item.
    with django_assert_max_num_queries(12):
        response = curator_api.patch(f"/api/v1/{prefix}/{record.slug}/", payload, format="json")
    assert response.status_code == 400, response.content
    assert f"at most {MAX_RELATED}" in str(response.json()["error"]["fields"][name])
    assert catalogue_rows() == before


@pytest.mark.parametrize(("prefix", "model", "name", "items"), LIST_RELATIONS)
def test_writing_many_links_costs_the_queries_of_writing_one(
    curator_api, prefix, model, name, items
):
    def queries_to_write(n: int) -> int:
        record, payload = RECORD_FACTORIES[model](), {name: items(n)}
        with CaptureQueriesContext(connection) as queries:
            response = curator_api.patch(f"/api/v1/{prefix}/{record.slug}/", payload, format="json")
        assert response.status_code == 200, response.content
        assert len(response.json()[name]) == n
        return len(queries)

    assert queries_to_write(3) == queries_to_write(1)


def test_a_relation_at_the_limit_is_written(curator_api):
    agreement = AgreementFactory()
    actors = Actor.objects.bulk_create(ActorFactory.build() for _ in range(MAX_RELATED))
    dates = {"signed_on": "2019-05-01", "joined_on": "2020-01-01", "withdrew_on": "2024-02-01"}
    precisions = {f"{name}_precision": "day" for name in dates}
    parties = [{"actor": actor.slug, "role": "party", **dates, **precisions} for actor in actors]
    response = curator_api.patch(
        f"/api/v1/agreements/{agreement.slug}/", {"parties": parties}, format="json"
    )
    assert response.status_code == 200, response.content[:500]
    assert agreement.party_links.count() == MAX_RELATED
