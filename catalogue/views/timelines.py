"""The agreements timeline: published agreements by the year they were signed."""

from dataclasses import dataclass
from itertools import groupby

from django.db.models.functions import ExtractYear
from django.views.generic import ListView

from catalogue.models import Agreement
from catalogue.models.base import published_only


@dataclass
class TimelineYear:
    """The agreements signed in one year; `year` is None for those whose signature date no
    source gives."""

    year: int | None
    agreements: list[Agreement]

    @property
    def heading(self) -> str:
        return str(self.year) if self.year else "Date of signature not known"

    @property
    def anchor(self) -> str:
        return f"year-{self.year}" if self.year else "year-unknown"


def signature_year(agreement: Agreement) -> int | None:
    return agreement.signed_on.year if agreement.signed_on else None


class AgreementTimelineView(ListView):
    """Newest year first, each year in date order, and the undated last."""

    template_name = "catalogue/agreement_timeline.html"
    context_object_name = "agreements"
    # Within a year, a date known only to the year or month is stored as the period's first day,
    # so it comes before the days of that period.
    queryset = (
        Agreement.objects.published()
        .prefetch_related(published_only(Agreement, "parties"))
        .order_by(ExtractYear("signed_on").desc(nulls_last=True), "signed_on", "name")
    )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["years"] = [
            TimelineYear(year, list(agreements))
            for year, agreements in groupby(self.object_list, key=signature_year)
        ]
        return context
