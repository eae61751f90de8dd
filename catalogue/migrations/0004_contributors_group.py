"""The Contributors group, and the Curators' rights over the editorial workflow and history.

Contributors write drafts and submit them for review: they add and change records, their
relations, citations and sources, but neither publish nor delete. Curators also publish, send
back and archive (`publish_<model>`), delete, and read the history and the link checks.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

RECORDS = ("actor", "agreement", "city", "course", "initiative")
LINK_ROWS = (
    "actorcitation",
    "agreementcitation",
    "agreementparty",
    "citycitation",
    "coursecitation",
    "courseprovider",
    "initiativecitation",
    "participation",
)
VIEW_ONLY = ("audience", "country", "dimension", "driver", "sdg", "theme")
GROUPS = {
    "Contributors": [
        *(f"{action}_{model}" for model in (*RECORDS, *LINK_ROWS, "source") for action in ("add", "change", "view")),
        *(f"view_{model}" for model in VIEW_ONLY),
    ],
    "Curators": [
        *(f"publish_{model}" for model in RECORDS),
        "view_version",
        "view_linkcheck",
    ],
}


def grant(apps, schema_editor):
    catalogue = apps.get_app_config("catalogue")
    catalogue.models_module = True
    create_permissions(catalogue, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(
            content_type__app_label="catalogue", codename__in=codenames
        )
        if permissions.count() != len(codenames):
            raise RuntimeError(f"Some permissions of the {name} group do not exist.")
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name="Contributors").delete()
    curators = Group.objects.filter(name="Curators").first()
    if curators is not None:
        curators.permissions.remove(
            *apps.get_model("auth", "Permission").objects.filter(
                content_type__app_label="catalogue", codename__in=GROUPS["Curators"]
            )
        )


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0003_history_links_publish_permission")]

    operations = [migrations.RunPython(grant, revoke)]
