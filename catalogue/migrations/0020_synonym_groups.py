"""The search's synonym groups, which curators maintain as they maintain themes and
contributors may view."""

from django.contrib.auth.management import create_permissions
from django.db import migrations, models

import catalogue.models.text

GRANTED = {
    "Curators": ("add", "change", "delete", "view"),
    "Contributors": ("view",),
}


def grant(apps, schema_editor):
    catalogue = apps.get_app_config("catalogue")
    catalogue.models_module = True
    create_permissions(catalogue, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, actions in GRANTED.items():
        group, _ = Group.objects.get_or_create(name=name)
        codenames = [f"{action}_synonymgroup" for action in actions]
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="catalogue", codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0019_status_as_of"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.CreateModel(
            name="SynonymGroup",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("slug", models.SlugField(max_length=100, unique=True)),
                (
                    "terms",
                    models.TextField(
                        help_text="Two or more words or phrases, one a line, that mean the same to a search.",
                        validators=[catalogue.models.text.multi_line],
                    ),
                ),
                (
                    "note",
                    models.TextField(
                        blank=True,
                        help_text="Why they are synonyms, for curators.",
                        validators=[catalogue.models.text.multi_line],
                    ),
                ),
            ],
            options={
                "verbose_name": "search synonym group",
                "ordering": ["slug"],
            },
        ),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
