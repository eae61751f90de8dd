"""The seed catalogue holds what the four seed documents name, each record citing its sources, and
loads only into an empty catalogue."""

import datetime
import re
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from catalogue import urls as catalogue_urls
from catalogue.models import (
    Actor,
    Agreement,
    AgreementParty,
    City,
    Course,
    CourseFormat,
    Initiative,
    InitiativeStatus,
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
    "aaas-twas-science-diplomacy-programme",
    "horizon-europe",
    "european-structural-and-investment-funds",
    "mexico-city-science-policy-interface-fellowship-programme",
    "un-sustainable-development-solutions-network",
    "kigali-regional-workshop-energy-efficiency-buildings-2013",
    "climate-chance-summit-africa-2021",
    "chinese-research-station-svalbard",
    "skoltech-set-up-with-mit",
]
ACTORS = [
    "twas", "aaas", "royal-society", "fcdo", "uk-science-and-innovation-network", "ukri", "aria",
    "european-commission", "jrc", "eeas", "iter-organization", "ipcc", "ipbes", "leopoldina",
    "c40-cities", "iclei", "metropolis", "un-habitat", "who", "opcw", "interacademy-partnership",
    "barcelona-city-council", "city-of-geneva", "mexico-city-government", "city-of-miami",
    "city-of-kigali", "city-of-berlin", "dutch-ministry-of-infrastructure-and-water-management",
    "global-centre-on-adaptation", "fisd", "skoltech", "mit", "polar-research-institute-of-china",
    "nansen-centre", "unesco", "european-union", "scitech-diplohub",
    "un-sustainable-development-solutions-network", "oecd-observatory-of-public-sector-innovation",
    "s4d4c", "house-of-lords-science-and-technology-committee",
    "national-science-and-technology-council",
    "icelandic-partner-china-iceland-observatory",
]  # fmt: skip
COURSES = [
    "aaas-twas-science-diplomacy-course-2023",
    "aaas-twas-science-diplomacy-course-2022",
    "mexico-city-science-policy-interface-fellowship",
    "opcw-iap-twas-workshop-responsible-chemistry-biology",
    "s4d4c-talk-at-twas-clemens-mantl",
]
AGREEMENTS = {
    "miami-dutch-ministry-gca-office-agreement-2019": "2019",
    "iter-agreement": "21 November 2006",
    "uk-new-zealand-research-science-innovation-arrangement-2022": "July 2022",
    "uk-usa-data-sharing-agreement-2021": "2021",
    "us-cuba-gps-monitoring-equipment-agreement": None,
    "china-iceland-arctic-research-observatory-agreement": None,
    "uk-association-to-horizon-europe": None,
    "swiss-association-to-horizon-europe": None,
    "treaty-on-the-non-proliferation-of-nuclear-weapons": None,
    "international-treaty-for-the-protection-of-the-arctic": None,
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
    Initiative.objects.update(parent=None)
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


# The source texts of the four documents the catalogue started from, beside the project (CI has
# them at ../shared/seeds), by the slug of the source each one is.
SOURCE_TEXTS = settings.BASE_DIR.parent / "shared" / "seeds"
SOURCE_TEXT_PREFIXES = {
    "000_": "twas-science-diplomacy",
    "001_": "post-science-diplomacy-overview",
    "002_": "cidob-city-led-science-diplomacy-2021",
    "003_": "innovation-diplomacy-diplomatic-missions-2025",
}


def comparable(text: str) -> str:
    """Letters and digits only, lower case: a heading broken over lines or hyphenated at a line's
    end, or written with other quotes and dashes, still matches."""
    return re.sub(r"[\W_]+", "", text.casefold())


def source_texts() -> dict[str, str]:
    if not SOURCE_TEXTS.is_dir():
        pytest.skip(f"the source documents are not at {SOURCE_TEXTS}")
    texts = {}
    for path in Path(SOURCE_TEXTS).iterdir():
        for prefix, slug in SOURCE_TEXT_PREFIXES.items():
            if path.name.startswith(prefix):
                texts[slug] = comparable(path.read_text(encoding="utf-8"))
    assert set(texts) == set(SOURCE_TEXT_PREFIXES.values())
    return texts


def locator_parts(locator: str) -> list[str]:
    """What a locator says occurs in its document: the passages it quotes, or else each of the
    headings it names, outermost first, separated by commas."""
    quoted = re.findall(r'"([^"]+)"', locator)
    return quoted or [part.strip() for part in locator.split(",")]


@pytest.mark.parametrize("model", [City, Actor, Initiative, Course, Agreement], ids=str)
def test_every_locator_occurs_in_its_documents_text(model):
    texts = source_texts()
    citations = model.citations.rel.related_model.objects.filter(source__slug__in=texts)
    assert citations.exists()
    missing = [
        (citation.record.slug, citation.locator, part)
        for citation in citations.select_related("record", "source")
        for part in locator_parts(citation.locator)
        if not citation.locator or comparable(part) not in texts[citation.source.slug]
    ]
    assert missing == []


def test_every_initiative_has_a_theme_and_the_facets_are_not_thin():
    assert not Initiative.objects.filter(themes__isnull=True).exists()
    initiatives = Initiative.objects.count()
    dimension_tags = Initiative.dimensions.through.objects.count()
    driver_tags = Initiative.drivers.through.objects.count()
    assert dimension_tags >= initiatives * 3 // 4
    assert driver_tags >= initiatives * 3 // 4
    for slug in ("science-in-diplomacy", "diplomacy-for-science", "science-for-diplomacy"):
        assert Initiative.objects.filter(dimensions__slug=slug).count() >= 4, slug
    for slug in ("national-interests", "cross-border-needs", "global-challenges"):
        assert Initiative.objects.filter(drivers__slug=slug).count() >= 4, slug


def test_an_initiative_tagged_with_climate_action_has_a_climate_theme():
    climate_themes = {"climate-change", "climate-adaptation"}
    for initiative in Initiative.objects.filter(sdgs__number=13).exclude(
        slug__in=["geneva-2030-ecosystem", "un-sustainable-development-solutions-network"]
    ):
        assert climate_themes & set(initiative.themes.values_list("slug", flat=True)), initiative
    geneva_2030 = Initiative.objects.get(slug="geneva-2030-ecosystem")
    assert geneva_2030.drivers.filter(slug="global-challenges").exists()


def test_the_themes_the_documents_need():
    arrangement = Agreement.objects.get(
        slug="uk-new-zealand-research-science-innovation-arrangement-2022"
    )
    assert arrangement.themes.filter(slug="agriculture-and-food").exists()
    gps = Agreement.objects.get(slug="us-cuba-gps-monitoring-equipment-agreement")
    assert gps.themes.filter(slug="weather-and-climate-services").exists()


@pytest.mark.parametrize(
    "slug",
    [
        "scitech-diplohub",
        "gca-miami-office",
        "mexico-city-science-policy-interface-fellowship-programme",
        "brain-city-berlin",
        "kigali-innovation-city",
    ],
)
def test_city_led_initiatives_are_at_city_level(slug):
    assert Initiative.objects.get(slug=slug).level == "city"


@pytest.mark.parametrize(
    ("initiative", "actor", "role"),
    [
        ("un-sustainable-development-solutions-network", "scitech-diplohub", "member"),
        ("scitech-diplohub", "scitech-diplohub", "lead"),
        ("scitech-diplohub", "barcelona-city-council", "partner"),
        ("scitech-diplohub", "scitech-diplohub-support-network", "partner"),
        ("brain-city-berlin", "city-of-berlin", "lead"),
        ("brain-city-berlin", "berlin-research-institutions", "member"),
        ("berlin-partner-network", "city-of-berlin", "partner"),
        ("skoltech-set-up-with-mit", "skoltech", "lead"),
        ("skoltech-set-up-with-mit", "mit", "partner"),
        ("kigali-regional-workshop-energy-efficiency-buildings-2013", "un-habitat", "partner"),
        ("kigali-regional-workshop-energy-efficiency-buildings-2013", "city-of-kigali", "lead"),
        ("climate-chance-summit-africa-2021", "iclei", "partner"),
        ("climate-chance-summit-africa-2021", "city-of-kigali", "host"),
        ("iter", "uk-government", "partner"),
        ("geneva-science-policy-interface", "geneva-universities-and-research-centres", "founder"),
        ("health-capital-helsinki", "helsinki-metropolitan-area-institutions", "founder"),
        ("stick-to-science", "uk-swiss-educational-bodies-and-learned-societies", "lead"),
        ("horizon-europe", "european-union", "funder"),
        (
            "china-iceland-arctic-research-observatory",
            "icelandic-partner-china-iceland-observatory",
            "partner",
        ),
        (
            "mexico-city-science-policy-interface-fellowship-programme",
            "mexico-city-government",
            "lead",
        ),
    ],
)  # fmt: skip
def test_relations_the_documents_state_are_links(initiative, actor, role):
    assert Participation.objects.filter(
        initiative__slug=initiative, actor__slug=actor, role=role
    ).exists()


@pytest.mark.parametrize(
    ("actor", "parent"),
    [
        ("twas", "unesco"),
        ("jrc", "european-commission"),
        ("european-commission", "european-union"),
        ("eeas", "european-union"),
        ("uk-science-and-innovation-network", "fcdo"),
        ("national-science-and-technology-council", "uk-government"),
    ],
)
def test_parent_organisations(actor, parent):
    assert Actor.objects.get(slug=actor).parent.slug == parent


def test_initiatives_and_courses_linked_where_the_documents_link_them():
    assert Initiative.objects.get(slug="berlin-partner-network").parent.slug == "brain-city-berlin"
    assert Course.objects.get(slug="mexico-city-science-policy-interface-fellowship").initiative
    rotterdam = City.objects.get(slug="rotterdam")
    assert rotterdam.initiatives.filter(slug="gca-miami-office").exists()
    miami_agreement = "miami-dutch-ministry-gca-office-agreement-2019"
    assert rotterdam.agreements.filter(slug=miami_agreement).exists()


@pytest.mark.parametrize(
    ("agreement", "parties"),
    [
        (
            "china-iceland-arctic-research-observatory-agreement",
            {"polar-research-institute-of-china", "icelandic-partner-china-iceland-observatory"},
        ),
        ("uk-association-to-horizon-europe", {"uk-government", "european-union"}),
        ("swiss-association-to-horizon-europe", {"swiss-federal-council", "european-union"}),
    ],
)
def test_agreement_parties(agreement, parties):
    found = AgreementParty.objects.filter(agreement__slug=agreement, role="party")
    assert set(found.values_list("actor__slug", flat=True)) == parties


def test_counts_the_documents_give_are_kept_where_the_model_has_a_place():
    # POST names the UK, China, India, Japan, Korea, Russia, the US and the EU Member States
    # (through Euratom) among ITER's 35 nations: each one it names takes part.
    iter_actors = set(
        Participation.objects.filter(initiative__slug="iter").values_list("actor__slug", flat=True)
    )
    assert {
        "uk-government", "china-government", "india-government", "japan-government",
        "korea-government", "russia-government", "us-government", "euratom",
    } <= iter_actors  # fmt: skip
    assert "35 nations" in Initiative.objects.get(slug="iter").description
    assert "four universities" in Initiative.objects.get(slug="kigali-innovation-city").description


# The year of each document a status rests on: the CIDOB note is of October 2021; the POST
# overview is undated and reports events up to August 2022; the TWAS page is undated and reports
# the June 2023 course.
STATUS_YEARS = {
    "cidob-city-led-science-diplomacy-2021": 2021,
    "post-science-diplomacy-overview": 2022,
    "twas-science-diplomacy": 2023,
}


@pytest.mark.parametrize("model", [Initiative, Agreement], ids=str)
def test_every_status_says_as_of_when_a_document_stated_it(model):
    for record in model.objects.all():
        if record.status_as_of is None:
            # Only where the status is a value the catalogue needs, not one a source states.
            assert "only" in record.description and "status" in record.description, record
            continue
        cited = set(record.citations.values_list("source__slug", flat=True))
        years = {STATUS_YEARS[slug] for slug in cited if slug in STATUS_YEARS}
        assert record.status_as_of in years, record
    assert (
        model.objects.filter(status_as_of__isnull=True).count() <= 2
        if model is Agreement
        else not model.objects.filter(status_as_of__isnull=True).exists()
    )


def test_the_status_of_a_planned_summit_is_due_for_checking():
    summit = Initiative.objects.get(slug="climate-chance-summit-africa-2021")
    assert (summit.status, summit.status_as_of) == (InitiativeStatus.PLANNED, 2021)
