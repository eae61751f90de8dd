"""The reference data shipped in fixtures/reference/ loads completely and safely."""

import pytest

from catalogue.models import SDG, Audience, Country, Dimension, Driver, SynonymGroup, Theme
from catalogue.reference_data import load_reference_data

pytestmark = pytest.mark.django_db


def test_every_iso_country_with_its_m49_region():
    assert Country.objects.count() == 249
    switzerland = Country.objects.get(code="CH")
    assert (switzerland.region, switzerland.sub_region) == ("Europe", "Western Europe")
    rwanda = Country.objects.get(code="RW")
    assert (rwanda.region, rwanda.sub_region) == ("Africa", "Sub-Saharan Africa")
    assert Country.objects.get(code="MX").sub_region == "Latin America and the Caribbean"
    assert Country.objects.get(code="IN").numeric_code == "356"
    assert set(Country.objects.values_list("region", flat=True)) == {
        "Africa",
        "Americas",
        "Asia",
        "Europe",
        "Oceania",
        "",
    }
    assert list(Country.objects.filter(region="").values_list("code", flat=True)) == ["AQ"]


def test_the_17_sdgs():
    assert list(SDG.objects.values_list("number", flat=True)) == list(range(1, 18))
    assert str(SDG.objects.get(number=11)) == "SDG 11: Sustainable cities and communities"


def test_the_vocabularies():
    assert Theme.objects.count() == 18
    assert Theme.objects.filter(slug="climate-adaptation").exists()
    assert {"climate-change", "agriculture-and-food", "weather-and-climate-services"} <= set(
        Theme.objects.values_list("slug", flat=True)
    )
    assert set(Dimension.objects.values_list("slug", flat=True)) == {
        "science-in-diplomacy",
        "diplomacy-for-science",
        "science-for-diplomacy",
    }
    assert set(Driver.objects.values_list("slug", flat=True)) == {
        "national-interests",
        "cross-border-needs",
        "global-challenges",
    }
    assert Audience.objects.filter(slug="early-career-researchers").exists()


def test_loading_again_changes_nothing_and_keeps_curators_edits():
    theme = Theme.objects.get(slug="oceans")
    theme.name = "Oceans and seas"
    theme.save()
    Theme.objects.create(slug="space", name="Space")
    counts = {model: model.objects.count() for model in (Country, SDG, Theme, Audience)}

    load_reference_data()

    assert {model: model.objects.count() for model in counts} == counts
    assert Theme.objects.get(slug="oceans").name == "Oceans and seas"
    assert Theme.objects.filter(slug="space").exists()


def test_every_synonym_group_keeps_the_rules_curators_keep():
    """The shipped groups load, each valid as admin would check it: two phrases or more, and
    no phrase in two groups."""
    groups = list(SynonymGroup.objects.all())
    assert len(groups) > 10
    for group in groups:
        group.full_clean()


def test_loading_again_keeps_a_curators_synonym_groups():
    group = SynonymGroup.objects.get(slug="centre-center")
    group.terms = "centre\ncenter\ncentro"
    group.save()
    SynonymGroup.objects.create(slug="kigali", terms="Kigali\nKGL")

    load_reference_data()

    assert SynonymGroup.objects.get(slug="centre-center").term_list() == [
        "centre",
        "center",
        "centro",
    ]
    assert SynonymGroup.objects.filter(slug="kigali").exists()
