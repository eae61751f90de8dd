"""Curators maintain every record in admin; nobody else gets anything from it."""

import datetime

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from catalogue.models import (
    Actor,
    Agreement,
    AgreementParty,
    City,
    Initiative,
    LinkCheck,
    SynonymGroup,
)
from catalogue.services import MAX_RELATED
from tests.factories import ActorFactory, CityFactory

pytestmark = pytest.mark.django_db

CATALOGUE_ADMINS = [
    model_admin
    for model, model_admin in admin.site._registry.items()
    if model._meta.app_label == "catalogue"
]


@pytest.fixture(autouse=True)
def link_check():
    """The seed catalogue has no link check (`manage.py check_links` writes them): one for the
    pages of the link checks' admin."""
    return LinkCheck.objects.create(
        url="https://example.org/", status_code=200, is_broken=False, checked_at=timezone.now()
    )


def admin_urls(model_admin) -> list[str]:
    opts = model_admin.model._meta
    instance = model_admin.model.objects.first()
    assert instance is not None, f"The test catalogue has no {opts.verbose_name}."
    prefix = f"admin:{opts.app_label}_{opts.model_name}"
    return [
        reverse(f"{prefix}_changelist"),
        reverse(f"{prefix}_add"),
        reverse(f"{prefix}_change", args=[instance.pk]),
    ]


@pytest.mark.parametrize("model_admin", CATALOGUE_ADMINS, ids=str)
def test_curator_sees_every_page(curator_client, curator, model_admin):
    changelist, add, change = admin_urls(model_admin)
    opts = model_admin.model._meta
    assert curator_client.get(changelist).status_code == 200
    assert curator_client.get(changelist, {"q": "a"}).status_code == 200
    assert curator_client.get(change).status_code == 200
    may_add = curator.has_perm(f"catalogue.add_{opts.model_name}")
    assert curator_client.get(add).status_code == (200 if may_add else 403)


@pytest.mark.parametrize("model_admin", CATALOGUE_ADMINS, ids=str)
def test_anonymous_and_non_staff_get_nothing(client, model_admin):
    reader = User.objects.create_user("reader", password="a-long-passphrase-42")
    for url in admin_urls(model_admin):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/admin/login/")
    client.force_login(reader)
    for url in admin_urls(model_admin):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/admin/login/")


def test_curators_group_holds_exactly_the_curation_permissions():
    permissions = set(
        Group.objects.get(name="Curators").permissions.values_list(
            "content_type__app_label", "codename"
        )
    )
    assert {app for app, _ in permissions} == {"catalogue"}
    for model in (
        "actor",
        "initiative",
        "course",
        "agreement",
        "city",
        "source",
        "theme",
        "synonymgroup",
    ):
        for action in ("add", "change", "delete", "view"):
            assert ("catalogue", f"{action}_{model}") in permissions
    for relation in ("participation", "agreementparty", "courseprovider", "actorcitation"):
        assert ("catalogue", f"change_{relation}") in permissions
    for canonical in ("country", "sdg", "dimension", "driver"):
        assert ("catalogue", f"view_{canonical}") in permissions
        assert ("catalogue", f"change_{canonical}") not in permissions


def test_curator_cannot_manage_accounts(curator_client):
    assert curator_client.get(reverse("admin:auth_user_changelist")).status_code == 403


def agreement_form(**overrides) -> dict:
    data = {
        "name": "UK–New Zealand arrangement (test)",
        "slug": "uk-new-zealand-arrangement-test",
        "summary": "",
        "description": "",
        "kind": "cooperation",
        "status": "signed",
        "signed_on_year": "2022",
        "signed_on_month": "7",
        "signed_on_day": "",
        "in_force_on_year": "",
        "in_force_on_month": "",
        "in_force_on_day": "",
        "ended_on_year": "",
        "ended_on_month": "",
        "ended_on_day": "",
        "website": "",
        "wikidata_id": "",
        "publication": "draft",
        "last_verified": "",
        "party_links-TOTAL_FORMS": "1",
        "party_links-INITIAL_FORMS": "0",
        "party_links-0-actor": "",
        "party_links-0-role": "party",
        "party_links-0-signed_on_year": "2022",
        "party_links-0-signed_on_month": "7",
        "party_links-0-signed_on_day": "",
        "citations-TOTAL_FORMS": "0",
        "citations-INITIAL_FORMS": "0",
    }
    for suffix in ("joined_on", "withdrew_on"):
        for part in ("year", "month", "day"):
            data[f"party_links-0-{suffix}_{part}"] = ""
    data.update(overrides)
    return data


def test_curator_enters_a_date_known_to_the_month(curator_client):
    actor = ActorFactory()
    response = curator_client.post(
        reverse("admin:catalogue_agreement_add"),
        agreement_form(**{"party_links-0-actor": actor.pk}),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    agreement = Agreement.objects.get(slug="uk-new-zealand-arrangement-test")
    assert str(agreement.signed) == "July 2022"
    assert agreement.signed_on == datetime.date(2022, 7, 1)
    party = AgreementParty.objects.get(agreement=agreement)
    assert (party.actor, str(party.signed)) == (actor, "July 2022")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"signed_on_day": "31", "signed_on_month": "6"},
            "signed_on",
            "31 June 2022 is not a date",
        ),
        ({"signed_on_year": "", "signed_on_month": "7"}, "signed_on", "Enter the year"),
        (
            {"in_force_on_year": "2021", "in_force_on_month": "", "in_force_on_day": ""},
            "in_force_on",
            "before it is signed",
        ),
        ({"slug": "not a slug!"}, "slug", "valid"),
        ({"kind": "alliance"}, "kind", "Select a valid choice"),
    ],
)
def test_admin_refuses_bad_values_and_saves_nothing(curator_client, overrides, field, message):
    actor = ActorFactory()
    response = curator_client.post(
        reverse("admin:catalogue_agreement_add"),
        agreement_form(**{"party_links-0-actor": actor.pk, **overrides}),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert any(message in text for text in errors[field]), errors
    assert not Agreement.objects.filter(name="UK–New Zealand arrangement (test)").exists()
    assert not AgreementParty.objects.filter(actor=actor).exists()


def test_admin_refuses_a_party_twice(curator_client):
    actor = ActorFactory()
    data = agreement_form(
        **{
            "party_links-TOTAL_FORMS": "2",
            "party_links-0-actor": actor.pk,
            "party_links-1-actor": actor.pk,
            "party_links-1-role": "party",
        }
    )
    for suffix in ("signed_on", "joined_on", "withdrew_on"):
        for part in ("year", "month", "day"):
            data[f"party_links-1-{suffix}_{part}"] = ""
    response = curator_client.post(reverse("admin:catalogue_agreement_add"), data)
    assert response.status_code == 200
    assert "Please correct the duplicate data for actor" in response.content.decode()
    assert not Agreement.objects.filter(slug="uk-new-zealand-arrangement-test").exists()


def test_view_on_site_links_to_the_record(curator_client):
    actor = Actor.objects.first()
    response = curator_client.get(reverse("admin:catalogue_actor_change", args=[actor.pk]))
    content_type = ContentType.objects.get_for_model(Actor)
    shortcut = reverse("admin:view_on_site", args=[content_type.pk, actor.pk])
    assert shortcut in response.content.decode()
    assert curator_client.get(shortcut).url.endswith(actor.get_absolute_url())


def test_an_initiatives_countries_gain_those_of_its_cities(curator_client):
    geneva = City.objects.get(slug="geneva")
    data = {
        "name": "Test initiative in Geneva",
        "slug": "test-initiative-in-geneva",
        "kind": "hub",
        "status": "active",
        "level": "city",
        "cities": [geneva.pk],
        "countries": ["FR"],
        "publication": "draft",
        "participations-TOTAL_FORMS": "0",
        "participations-INITIAL_FORMS": "0",
        "citations-TOTAL_FORMS": "0",
        "citations-INITIAL_FORMS": "0",
    }
    response = curator_client.post(reverse("admin:catalogue_initiative_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    initiative = Initiative.objects.get(slug="test-initiative-in-geneva")
    assert set(initiative.countries.values_list("code", flat=True)) == {"CH", "FR"}


def test_admin_refuses_more_related_records_than_a_record_holds(curator_client):
    cities = City.objects.bulk_create(CityFactory.build() for _ in range(MAX_RELATED + 1))
    actor = ActorFactory()
    rows = MAX_RELATED + 1
    data = agreement_form(
        **{"party_links-TOTAL_FORMS": str(rows), "cities": [city.pk for city in cities]}
    )
    for row in range(rows):
        data[f"party_links-{row}-actor"] = actor.pk
        data[f"party_links-{row}-role"] = "party"
    response = curator_client.post(reverse("admin:catalogue_agreement_add"), data)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["cities"] == [
        f"A record holds at most {MAX_RELATED} of these; this gives {MAX_RELATED + 1}."
    ]
    formsets = {f.formset.prefix: f.formset for f in response.context["inline_admin_formsets"]}
    too_many_parties = f"Please submit at most {MAX_RELATED} forms."
    assert formsets["party_links"].non_form_errors() == [too_many_parties]
    assert not Agreement.objects.filter(slug="uk-new-zealand-arrangement-test").exists()


@pytest.mark.parametrize(
    ("terms", "message"),
    [
        ("centre", "Enter at least two different words or phrases"),
        ("Centre\ncentres", "Enter at least two different words or phrases"),
        ("hub\n—", "Each line must hold a word."),
        ("core\nCenter", "“Center” is already in the group"),
    ],
)
def test_admin_refuses_a_synonym_group_that_breaks_the_rules(curator_client, terms, message):
    """A group needs two different phrases (case, accents and endings aside), and a phrase
    belongs to one group only; the error names the field and nothing is saved."""
    SynonymGroup.objects.all().delete()
    SynonymGroup.objects.create(slug="centre", terms="centre\ncenter")
    response = curator_client.post(
        reverse("admin:catalogue_synonymgroup_add"), {"slug": "new", "terms": terms, "note": ""}
    )
    assert response.status_code == 200
    assert message in " ".join(response.context["adminform"].form.errors["terms"])
    assert not SynonymGroup.objects.filter(slug="new").exists()


def test_curator_adds_a_synonym_group(curator_client):
    response = curator_client.post(
        reverse("admin:catalogue_synonymgroup_add"),
        {"slug": "hub", "terms": "hub\ncentre of excellence", "note": "In the field's usage."},
    )
    assert response.status_code == 302
    assert SynonymGroup.objects.get(slug="hub").term_list() == ["hub", "centre of excellence"]
