"""Takes out of every curated text already stored the control characters the text rules
(catalogue.models.text) now refuse on every write: a one-line text (a name, a title, a
locator) loses them all, a text of several lines all but its tabs and line breaks."""

import re

from django.db import migrations, models

CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")
CONTROL_CHARACTER_BUT_LINE_BREAKS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The catalogue's own bookkeeping, whose texts are no curator's.
INTERNAL = {"version", "linkcheck", "revision", "importjob"}


def clean_stored_texts(apps, schema_editor):
    for model in apps.get_app_config("catalogue").get_models():
        if model._meta.model_name in INTERNAL or "search" in model._meta.model_name:
            continue
        patterns = {
            field.attname: (
                CONTROL_CHARACTER_BUT_LINE_BREAKS
                if isinstance(field, models.TextField)
                else CONTROL_CHARACTER
            )
            for field in model._meta.concrete_fields
            if isinstance(field, models.CharField | models.TextField)
            and not field.primary_key
            and not field.choices
        }
        if not patterns:
            continue
        changed = []
        for instance in model._base_manager.only("pk", *patterns).iterator(chunk_size=2000):
            dirty = False
            for name, pattern in patterns.items():
                value = getattr(instance, name)
                if value and pattern.search(value):
                    setattr(instance, name, pattern.sub("", value))
                    dirty = True
            if dirty:
                changed.append(instance)
        model._base_manager.bulk_update(changed, list(patterns), batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0013_import_jobs")]

    operations = [migrations.RunPython(clean_stored_texts, migrations.RunPython.noop)]
