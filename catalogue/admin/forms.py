"""The forms curators edit records with."""

from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.functional import cached_property

from catalogue.duplicates import likely_duplicates
from catalogue.models import Version
from catalogue.services import check_related_count

SAVE_DESPITE_DUPLICATES_LABEL = "This is not a duplicate: save anyway"


def change_note_field() -> forms.CharField:
    """A curator's note on a change, kept as the message of the version it makes."""
    return forms.CharField(
        label="Change note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text="Optional: why you make this change. The record's history keeps it for "
        "curators; readers never see it.",
    )


class ChangeNoteForm(forms.Form):
    """The note a curator gives a revert or a restore (see `catalogue.admin.history`)."""

    change_note = change_note_field()


class RevertForm(ChangeNoteForm):
    """A revert's note, and how many saves the record had when the revert's changes were
    shown: a revert confirmed after another save is shown again."""

    saves_when_opened = forms.IntegerField(widget=forms.HiddenInput)


@dataclass(frozen=True)
class Difference:
    """A field whose value saved now is not the one a refused form holds."""

    label: str
    saved: str
    yours: str


@dataclass(frozen=True)
class SavedSince:
    """Why a form was refused: the record was saved after the form was opened."""

    last_version: Version | None
    differences: list[Difference]


# Fields of the form that are about the change, not part of the record.
ABOUT_THE_CHANGE = ("change_note", "save_despite_duplicates", "saves_when_opened")


class RecordAdminForm(forms.ModelForm):
    """What every record's admin form shares."""

    # Saved as the version's message by `HistoryAdminMixin.save_model`.
    change_note = change_note_field()

    # How many saves the record had when the form was opened: a form opened before another
    # save is refused rather than saved over it.
    saves_when_opened = forms.IntegerField(widget=forms.HiddenInput, required=False)

    # Shown (by `DuplicateGuardAdminMixin`) only once likely duplicates were found.
    save_despite_duplicates = forms.BooleanField(
        label=SAVE_DESPITE_DUPLICATES_LABEL, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.likely_duplicates = []
        self.saved_since: SavedSince | None = None
        if not self.instance._state.adding:
            self.fields["saves_when_opened"].initial = self.instance.lock_version

    @cached_property
    def changed_data(self) -> list[str]:
        return [name for name in super().changed_data if name not in ABOUT_THE_CHANGE]

    def clean(self):
        cleaned_data = super().clean()
        self.complete_relations(cleaned_data)
        self.check_related_counts(cleaned_data)
        self.check_not_saved_since(cleaned_data)
        self.check_likely_duplicates(cleaned_data)
        return cleaned_data

    def complete_relations(self, cleaned_data) -> None:
        """The record's kind completes its relations as for every other writer (an
        initiative's countries gain its cities')."""
        relations = {
            name: cleaned_data[name]
            for name, field in self.fields.items()
            if isinstance(field, forms.ModelMultipleChoiceField) and name in cleaned_data
        }
        completed = self.instance.completed_relations(relations)
        cleaned_data.update({name: completed[name] for name in relations})

    def check_related_counts(self, cleaned_data) -> None:
        for name, field in self.fields.items():
            if isinstance(field, forms.ModelMultipleChoiceField) and name in cleaned_data:
                try:
                    check_related_count(cleaned_data[name])
                except ValidationError as error:
                    self.add_error(name, error)

    def check_not_saved_since(self, cleaned_data) -> None:
        """Refuses the form if the record (as the view read it, locked) was saved after the form
        was opened, showing where the saved record and the form differ."""
        record = self.instance
        if record._state.adding or cleaned_data.get("saves_when_opened") == record.lock_version:
            return
        self.saved_since = SavedSince(
            last_version=Version.objects.of(record).first(),
            differences=[
                Difference(
                    label=str(self.fields[name].label),
                    saved=shown(self.fields[name], saved_value(record, name)),
                    yours=shown(self.fields[name], cleaned_data.get(name)),
                )
                for name in self.changed_data
            ],
        )
        raise ValidationError(
            "Someone saved this record after you opened this form, so your changes were not "
            "saved. Below is where the record as saved now differs from your form; open the "
            "record again and make your changes on what it is now.",
            code="saved_since",
        )

    def check_likely_duplicates(self, cleaned_data) -> None:
        """Refuses a new name (or acronym) close to an existing record's, unless the
        curator ticked `save_despite_duplicates` after seeing them."""
        name = cleaned_data.get("name")
        name_is_new = self.instance._state.adding or {"name", "acronym"} & set(self.changed_data)
        if not name or not name_is_new:
            return
        self.likely_duplicates = likely_duplicates(
            self._meta.model,
            name,
            acronym=cleaned_data.get("acronym", ""),
            exclude_pk=self.instance.pk,
        )
        if self.likely_duplicates and not cleaned_data.get("save_despite_duplicates"):
            raise ValidationError(
                "Records like this one already exist: see the likely duplicates below. If "
                f'this is a different record, tick "{SAVE_DESPITE_DUPLICATES_LABEL}" and save '
                "again.",
                code="likely_duplicates",
            )


def saved_value(record: models.Model, name: str):
    """The value of `record`'s field `name` as stored: a related record, or a list of them."""
    field = record._meta.get_field(name)
    if field.many_to_many:
        return list(getattr(record, name).all())
    return getattr(record, name)


def shown(form_field: forms.Field, value) -> str:
    """`value` as a curator reads it: a choice by its label, records by their names."""
    if isinstance(value, models.QuerySet | list | tuple):
        return ", ".join(sorted(str(item) for item in value)) or "(empty)"
    if value is None or value == "":
        return "(empty)"
    if isinstance(form_field, forms.ChoiceField) and not isinstance(
        form_field, forms.ModelChoiceField
    ):
        return str(dict(form_field.choices).get(value, value))
    return str(value)
