"""The seed catalogue: the records the four seed documents name, in fixtures/seed/.

The fixtures are Django fixtures keyed by slugs (natural keys). They load only into an empty
catalogue, so running the set-up again never duplicates a record or undoes a curator's edit, and
every loaded object is validated with `full_clean()` before the load is committed.
"""

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command

from catalogue.history import recording
from catalogue.models import Actor, Agreement, City, Course, Initiative, Source

SEED_DIR = settings.BASE_DIR / "fixtures" / "seed"
SEED_FILES = [
    "sources.yaml",
    "cities.yaml",
    "actors.yaml",
    "initiatives.yaml",
    "courses.yaml",
    "agreements.yaml",
]
CATALOGUE_MODELS = (Source, City, Actor, Initiative, Course, Agreement)


class SeedError(Exception):
    pass


def catalogue_is_empty() -> bool:
    return not any(model.objects.exists() for model in CATALOGUE_MODELS)


def validate_catalogue() -> None:
    """Runs every model's own validation over every stored row of the catalogue app."""
    problems = []
    for model in apps.get_app_config("catalogue").get_models():
        for instance in model.objects.all():
            try:
                instance.full_clean()
            except ValidationError as error:
                problems.append(f"{model._meta.label} {instance}: {error.message_dict}")
            if hasattr(instance, "relation_problems"):
                problems += [
                    f"{model._meta.label} {instance}: {problem}"
                    for problem in instance.relation_problems()
                ]
    if problems:
        raise SeedError("The seed catalogue breaks the catalogue's rules:\n" + "\n".join(problems))


def load_seed_catalogue() -> bool:
    """Loads the seed catalogue into an empty catalogue; returns whether it loaded anything."""
    if not catalogue_is_empty():
        return False
    # One transaction, and each record's first version says where it came from.
    with recording(message="Loaded from the seed catalogue (fixtures/seed/)."):
        call_command("loaddata", *(SEED_DIR / name for name in SEED_FILES), verbosity=0)
        validate_catalogue()
    return True
