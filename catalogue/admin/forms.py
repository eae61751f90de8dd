"""The forms curators edit records with."""

from django import forms

from catalogue.models.initiatives import involved_countries


class RecordAdminForm(forms.ModelForm):
    """What every record's admin form shares."""


class InitiativeAdminForm(RecordAdminForm):
    def clean(self):
        cleaned_data = super().clean()
        if "countries" in cleaned_data and "cities" in cleaned_data:
            cleaned_data["countries"] = involved_countries(
                cleaned_data["countries"], cleaned_data["cities"]
            )
        return cleaned_data
