"""The forms curators edit records with."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import cached_property

from catalogue.duplicates import likely_duplicates
from catalogue.models.initiatives import involved_countries

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


class RecordAdminForm(forms.ModelForm):
    """What every record's admin form shares."""

    # Saved as the version's message by `HistoryAdminMixin.save_model`.
    change_note = change_note_field()

    # Shown (by `DuplicateGuardAdminMixin`) only once likely duplicates were found.
    save_despite_duplicates = forms.BooleanField(
        label=SAVE_DESPITE_DUPLICATES_LABEL, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.likely_duplicates = []

    @cached_property
    def changed_data(self) -> list[str]:
        # The note and the tick are about the change, not part of the record: admin's log of
        # what changed leaves them out.
        return [
            name
            for name in super().changed_data
            if name not in ("change_note", "save_despite_duplicates")
        ]

    def clean(self):
        cleaned_data = super().clean()
        self.check_likely_duplicates(cleaned_data)
        return cleaned_data

    def check_likely_duplicates(self, cleaned_data) -> None:
        """Refuses a new name (or an actor's acronym) close to an existing record's, unless the
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


class InitiativeAdminForm(RecordAdminForm):
    def clean(self):
        cleaned_data = super().clean()
        if "countries" in cleaned_data and "cities" in cleaned_data:
            cleaned_data["countries"] = involved_countries(
                cleaned_data["countries"], cleaned_data["cities"]
            )
        return cleaned_data
