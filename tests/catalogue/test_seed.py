"""The seed catalogue holds what the four seed documents name, each record citing its sources, and
loads only into an empty catalogue."""

import datetime
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from catalogue import urls as catalogue_urls
from catalogue.models import (
    Actor,
    Agreement,
    City,
    Course,
    CourseFormat,
    Initiative,
    Participation,
    Publication,
    Source,
)
from catalogue.seed import CATALOGUE_MODELS, load_seed_catalogue

pytestmark = pytest.mark.django_db

CIDOB_CITIES = [
    "barcelona",
    "geneva",
    "mexico-city",
    "miami",
    "kigali",
    "bangalore",
    "berlin",
    "helsinki",
]
CITIES = [*CIDOB_CITIES, "trieste", "saint-paul-les-durance", "saint-petersburg"]
INITIATIVES = [
    "scitech-diplohub",
    "gesda",
    "geneva-science-policy-interface",
    "geneva-2030-ecosystem",
    "gca-miami-office",
    "fisd-bangalore-science-diplomacy-programme",
    "brain-city-berlin",
    "berlin-partner-network",
    "health-capital-helsinki",
    "kigali-innovation-city",
    "jrc-cities-science-initiative",
    "iter",
    "all-atlantic-ocean-research-alliance",
    "act-accelerator",
    "climate-diplomacy-fund",
    "stick-to-science",
    "european-russian-centre-arctic-research",
    "china-iceland-arctic-research-observatory",
]
ACTORS = [
    "twas", "aaas", "royal-society", "fcdo", "uk-science-and-innovation-network", "ukri", "aria",
    "european-commission", "jrc", "eeas", "iter-organization", "ipcc", "ipbes", "leopoldina",
    "c40-cities", "iclei", "metropolis", "un-habitat", "who", "opcw", "interacademy-partnership",
    "barcelona-city-council", "city-of-geneva", "mexico-city-government", "city-of-miami",
    "city-of-kigali", "city-of-berlin", "dutch-ministry-of-infrastructure-and-water-management",
    "global-centre-on-adaptation", "fisd", "skoltech", "mit", "polar-research-institute-of-china",
    "nansen-centre",
]  # fmt: skip
COURSES = [
    "aaas-twas-science-diplomacy-course-2023",
    "aaas-twas-science-diplomacy-course-2022",
    "mexico-city-science-policy-interface-fellowship",
    "opcw-iap-twas-workshop-responsible-chemistry-biology",
]
AGREEMENTS = {
    "miami-dutch-ministry-gca-office-agreement-2019": "2019",
    "iter-agreement": "21 November 2006",
    "uk-new-zealand-research-science-innovation-arrangement-2022": "July 2022",
    "uk-usa-data-sharing-agreement-2021": "2021",
    "us-cuba-gps-monitoring-equipment-agreement": None,
    "china-iceland-arctic-research-observatory-agreement": None,
}
SEED_DOCUMENTS = [
    "twas-science-diplomacy",
    "post-science-diplomacy-overview",
    "cidob-city-led-science-diplomacy-2021",
    "innovation-diplomacy-diplomatic-missions-2025",
]


@pytest.mark.parametrize(
    ("model", "slugs"),
    [
        (City, CITIES),
        (Initiative, INITIATIVES),
        (Actor, ACTORS),
        (Course, COURSES),
        (Agreement, list(AGREEMENTS)),
        (Source, SEED_DOCUMENTS),
    ],
    ids=["cities", "initiatives", "actors", "courses", "agreements", "sources"],
)
def test_the_seed_holds_every_named_record(model, slugs):
    found = set(model.objects.filter(slug__in=slugs).values_list("slug", flat=True))
    assert sorted(set(slugs) - found) == []


@pytest.mark.parametrize("model", [City, Actor, Initiative, Course, Agreement], ids=str)
def test_every_record_is_published_and_cites_a_source(model):
    records = model.objects.all()
    assert records.exists()
    assert not records.exclude(publication=Publication.PUBLISHED).exists()
    assert not records.filter(citations__isnull=True).exists()
    assert not records.filter(last_verified__isnull=True).exists()


def test_cities_have_coordinates_and_the_cidob_classification():
    assert not City.objects.filter(latitude__isnull=True).exists()
    barcelona = City.objects.get(slug="barcelona")
    assert (barcelona.strategy, barcelona.approach) == ("comprehensive", "multi_level")
    assert City.objects.get(slug="miami").approach == "climate"
    assert City.objects.get(slug="geneva").approach == "science_policy_nexus"
    assert City.objects.get(slug="berlin").approach == "local_capital"
    assert not City.objects.filter(slug__in=CIDOB_CITIES, approach="").exists()
    assert City.objects.get(slug="geneva").citations.filter(source__slug="geonames").exists()


def test_actor_hierarchy_and_participations():
    assert Actor.objects.get(slug="uk-science-and-innovation-network").parent.slug == "fcdo"
    assert Actor.objects.get(slug="jrc").parent.slug == "european-commission"
    gesda_leads = set(
        Participation.objects.filter(initiative__slug="gesda").values_list("actor__slug", flat=True)
    )
    assert {"swiss-federal-council", "canton-of-geneva", "city-of-geneva"} <= gesda_leads
    assert Participation.objects.filter(
        initiative__slug="iter", actor__slug="iter-organization", role="lead"
    ).exists()


def test_courses_as_the_twas_page_gives_them():
    trieste_2023 = Course.objects.get(slug="aaas-twas-science-diplomacy-course-2023")
    assert trieste_2023.city.slug == "trieste"
    assert (trieste_2023.starts_on, trieste_2023.ends_on) == (
        datetime.date(2023, 6, 20),
        datetime.date(2023, 6, 23),
    )
    ninth = Course.objects.get(slug="aaas-twas-science-diplomacy-course-2022")
    assert (ninth.edition, ninth.format, ninth.city) == (9, CourseFormat.ONLINE, None)
    workshop = Course.objects.get(slug="opcw-iap-twas-workshop-responsible-chemistry-biology")
    assert set(workshop.providers.values_list("slug", flat=True)) == {
        "opcw",
        "interacademy-partnership",
        "twas",
    }


@pytest.mark.parametrize(("slug", "signed"), AGREEMENTS.items(), ids=list(AGREEMENTS))
def test_agreement_dates_show_exactly_what_the_sources_say(slug, signed):
    agreement = Agreement.objects.get(slug=slug)
    assert (str(agreement.signed) if agreement.signed else None) == signed


def test_the_miami_agreement_is_city_to_state():
    agreement = Agreement.objects.get(slug="miami-dutch-ministry-gca-office-agreement-2019")
    assert agreement.is_city_to_state and agreement.is_bilateral
    assert agreement.initiatives.filter(slug="gca-miami-office").exists()


def counts() -> dict:
    return {model: model.objects.count() for model in CATALOGUE_MODELS}


def test_running_the_seed_again_changes_nothing():
    gesda = Initiative.objects.get(slug="gesda")
    gesda.summary = "Edited by a curator."
    gesda.save()
    before = counts()
    out = StringIO()
    call_command("seed_catalogue", stdout=out)
    assert "already holds records" in out.getvalue()
    assert counts() == before
    assert Initiative.objects.get(slug="gesda").summary == "Edited by a curator."


def test_the_seed_loads_into_an_empty_catalogue():
    before = counts()
    for model in (Agreement, Course, Initiative):
        model.objects.all().delete()
    Actor.objects.update(parent=None)
    for model in (Actor, City, Source):
        model.objects.all().delete()
    assert load_seed_catalogue() is True
    assert counts() == before


def test_no_public_page_speaks_of_the_seed(client):
    """The word "seed" is the project's name for where the catalogue started, not a reader's:
    no public page of the shipped catalogue says it, in its text or its data."""
    # Every page without a slug in its address (lists, maps, calendars, feeds), a search, and
    # every record's page.
    paths = [
        reverse(f"catalogue:{pattern.name}")
        for pattern in catalogue_urls.urlpatterns
        if pattern.name and not pattern.pattern.converters
    ]
    paths.append(reverse("catalogue:search") + "?q=twas")
    for model in CATALOGUE_MODELS[1:]:
        paths += [record.get_absolute_url() for record in model.objects.published()]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        text = response.content.decode()
        assert not re.search(r"\bseed", text, re.IGNORECASE), (
            path,
            re.findall(r".{0,60}seed.{0,60}", text, re.IGNORECASE),
        )
