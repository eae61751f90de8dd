"""Loading the reference data shipped in fixtures/reference/.

Countries and SDGs are canonical lists: loading brings them up to date. Themes, dimensions,
drivers, audiences and the search's synonym groups are vocabularies curators may extend and
edit: loading only adds the terms that are missing, so it never undoes a curator's edit.
"""

import csv
from pathlib import Path

import yaml
from django.conf import settings
from django.db import transaction

from catalogue.models import SDG, Audience, Country, Dimension, Driver, SynonymGroup, Theme

REFERENCE_DIR = settings.BASE_DIR / "fixtures" / "reference"
VOCABULARIES = {
    "themes.yaml": Theme,
    "dimensions.yaml": Dimension,
    "drivers.yaml": Driver,
    "audiences.yaml": Audience,
    "synonyms.yaml": SynonymGroup,
}


def read_yaml(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as file:
        return yaml.safe_load(file)


@transaction.atomic
def load_reference_data(directory: Path = REFERENCE_DIR) -> dict[str, int]:
    """Loads every reference file; returns how many rows each file holds."""
    loaded = {}
    with (directory / "countries.csv").open(encoding="utf-8", newline="") as file:
        countries = list(csv.DictReader(file))
    for row in countries:
        country = Country(**row)
        country.full_clean(validate_unique=False)
        Country.objects.update_or_create(code=country.code, defaults=row)
    loaded["countries.csv"] = len(countries)

    sdgs = read_yaml(directory / "sdgs.yaml")
    for row in sdgs:
        SDG.objects.update_or_create(number=row["number"], defaults={"name": row["name"]})
    loaded["sdgs.yaml"] = len(sdgs)

    for file_name, model in VOCABULARIES.items():
        terms = read_yaml(directory / file_name)
        for term in terms:
            model.objects.get_or_create(slug=term["slug"], defaults=term)
        loaded[file_name] = len(terms)
    return loaded
