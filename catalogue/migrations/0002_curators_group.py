"""The Curators group and exactly the permissions curators need.

Curators maintain every record, its relations and citations, the sources and the extendable
vocabularies (themes, audiences); countries, SDGs, dimensions and drivers are canonical lists
they may only view. They get no rights over user accounts.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_NAME = "Curators"
FULL = ("add", "change", "delete", "view")
CURATOR_PERMISSIONS = {
    "actor": FULL,
    "actorcitation": FULL,
    "agreement": FULL,
    "agreementcitation": FULL,
    "agreementparty": FULL,
    "audience": FULL,
    "city": FULL,
    "citycitation": FULL,
    "country": ("view",),
    "course": FULL,
    "coursecitation": FULL,
    "courseprovider": FULL,
    "dimension": ("view",),
    "driver": ("view",),
    "initiative": FULL,
    "initiativecitation": FULL,
    "participation": FULL,
    "sdg": ("view",),
    "source": FULL,
    "theme": FULL,
}


def create_curators_group(apps, schema_editor):
    # Permissions are normally created after all migrations have run; create them now so the
    # group can hold them on a fresh database.
    catalogue = apps.get_app_config("catalogue")
    catalogue.models_module = True
    create_permissions(catalogue, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP_NAME)
    codenames = [
        f"{action}_{model}" for model, actions in CURATOR_PERMISSIONS.items() for action in actions
    ]
    permissions = Permission.objects.filter(
        content_type__app_label="catalogue", codename__in=codenames
    )
    if permissions.count() != len(codenames):
        raise RuntimeError("Some curator permissions do not exist.")
    group.permissions.set(permissions)


def delete_curators_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_curators_group, delete_curators_group)]
