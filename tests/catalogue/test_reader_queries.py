"""What readers type, and what each must find: spelling variants and synonyms, accents, typing
errors, acronyms and other names, countries, SDG numbers and whole words, asked of every search
box (the global search page, each kind's list, the API's `q`) on the database the suite runs on.

The catalogue and its synonym groups are made here, so that curators may edit the shipped ones.
"""

import pytest
from django.urls import reverse

from catalogue.models import Actor, City, Country, Initiative, SynonymGroup
from catalogue.search import read_search
from tests.factories import ActorFactory, CityFactory, InitiativeFactory

pytestmark = pytest.mark.usefixtures("empty_catalogue")

SYNONYMS = {
    "centre": "centre\ncenter",
    "programme": "programme\nprogram",
    "european-union": "EU\nEuropean Union",
    "embassy": "embassy\ndiplomatic mission",
}

# (what a reader types, the records it must find, records it must not find), by name.
READER_QUERIES = [
    # Spelling variants and synonyms, both ways.
    ("Global Center on Adaptation", ["Global Centre on Adaptation office"], []),
    ("global centre adaptation", ["Global Centre on Adaptation office"], []),
    ("science attaches program", ["Science attachés programme"], []),
    ("embassy", ["Science attachés programme"], []),
    ("European Union", ["European research office", "EU cities network"], ["Eureka network"]),
    ("EU", ["European research office", "EU cities network"], ["Eureka network"]),
    # Accents.
    ("Saint-Paul-les-Durance", ["Saint-Paul-lès-Durance", "Fusion energy project"], []),
    # Typing errors.
    ("anticipatr", ["Geneva Science and Diplomacy Anticipator"], []),
    ("Gneva science", ["Geneva Science and Diplomacy Anticipator"], []),
    # Acronyms and other names.
    ("GCA", ["Global Centre on Adaptation office"], []),
    ("GESDA", ["Geneva Science and Diplomacy Anticipator"], []),
    ("Geneva Anticipator Foundation", ["Geneva Science and Diplomacy Anticipator"], []),
    # Countries, by name and code.
    (
        "Netherlands",
        ["Global Centre on Adaptation office", "Ministry of Infrastructure and Water Management"],
        ["Geneva Science and Diplomacy Anticipator"],
    ),
    ("NL water", ["Ministry of Infrastructure and Water Management"], []),
    # SDG numbers, however written.
    ("SDG 13", ["Global Centre on Adaptation office"], ["Goal 130 network"]),
    ("goal 13", ["Global Centre on Adaptation office"], ["Goal 130 network"]),
    # Short and capitalised words match whole words; longer ones start words.
    ("MIT", ["Massachusetts Institute of Technology"], ["Mitigation research group"]),
    ("mitig", ["Mitigation research group"], ["Massachusetts Institute of Technology"]),
]


@pytest.fixture
def catalogue() -> dict:
    """The records the reader queries are asked of, by name."""
    SynonymGroup.objects.all().delete()
    for slug, terms in SYNONYMS.items():
        SynonymGroup.objects.create(slug=slug, terms=terms)
    netherlands = Country.objects.get(code="NL")
    durance = CityFactory(name="Saint-Paul-lès-Durance", summary="")
    miami = CityFactory(name="Miami", summary="")
    adaptation = InitiativeFactory(
        name="Global Centre on Adaptation office", acronym="GCA", summary="In Miami."
    )
    adaptation.countries.add(netherlands)
    adaptation.cities.add(miami)
    adaptation.sdgs.add(13)
    fusion = InitiativeFactory(name="Fusion energy project", summary="")
    fusion.cities.add(durance)
    InitiativeFactory(name="Goal 130 network", summary="").sdgs.add(1, 3)
    for name, fields in {
        "Geneva Science and Diplomacy Anticipator": {
            "acronym": "GESDA",
            "alternative_names": "Geneva Anticipator Foundation",
        },
        "European research office": {"summary": "Funded by the European Union."},
        "EU cities network": {},
        "Eureka network": {},
        "Science attachés programme": {"summary": "Scientists at diplomatic missions abroad."},
    }.items():
        InitiativeFactory(name=name, **{"summary": "", **fields})
    ActorFactory(name="Ministry of Infrastructure and Water Management", country=netherlands)
    ActorFactory(name="Massachusetts Institute of Technology", acronym="MIT", summary="")
    ActorFactory(name="Mitigation research group", summary="")
    return {
        record.name: record for model in (City, Initiative, Actor) for record in model.objects.all()
    }


def names_found(client, record_kind, text: str) -> dict[str, set[str]]:
    """The names a search for `text` finds among `record_kind`'s records, by search box."""
    opts = record_kind._meta
    listed = client.get(reverse(f"catalogue:{opts.model_name}-list"), {"q": text, "per_page": 100})
    api = client.get(f"/api/v1/{opts.verbose_name_plural}/", {"q": text, "per_page": 100})
    everywhere = client.get(reverse("catalogue:search"), {"q": text})
    return {
        "list": {record.name for record in listed.context["page"].object_list},
        "api": {row["name"] for row in api.json()["results"]},
        "search page": {
            record.name
            for group in everywhere.context["groups"]
            if group["opts"] == opts
            for record in group["records"]
        },
    }


@pytest.mark.parametrize(("text", "found", "missed"), READER_QUERIES)
def test_every_search_box_finds_what_the_reader_means(client, catalogue, text, found, missed):
    for kind in {type(catalogue[name]) for name in [*found, *missed]}:
        for box, names in names_found(client, kind, text).items():
            for name in found:
                if isinstance(catalogue[name], kind):
                    assert name in names, (text, box, name)
            for name in missed:
                if isinstance(catalogue[name], kind):
                    assert name not in names, (text, box, name)


def test_a_synonym_group_counts_from_the_next_search_on(client, catalogue):
    """No document is rebuilt: a group added, changed or deleted changes the next search."""
    assert names_found(client, City, "Durance town") == {
        "list": set(),
        "api": set(),
        "search page": set(),
    }
    group = SynonymGroup.objects.create(slug="town", terms="town\nSaint-Paul")
    found = {"Saint-Paul-lès-Durance"}
    assert names_found(client, City, "Durance town") == {
        box: found for box in ("list", "api", "search page")
    }
    group.delete()
    assert not read_search("Durance town").needs[1][1:]
