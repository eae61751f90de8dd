"""The data-quality checks curators work through: each one names the records of one model that
need attention (no sources, no coordinates, never verified, a broken link …).

A check is data: a model, a slug (the value of admin's "needs attention" filter, `?quality=`), a
label, the concern it belongs to (how the curators' dashboard groups it) and the filter that
selects its records, which runs in the database. Admin's list filter and the dashboard both read
`CHECKS`, so a check added here appears in both.
"""

from collections.abc import Callable
from dataclasses import dataclass
from operator import methodcaller

from django.db import models
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from catalogue.history import RECORD_MODELS
from catalogue.models import (
    Agreement,
    AgreementStatus,
    City,
    Course,
    Initiative,
    InitiativeStatus,
    LinkCheck,
    Record,
)

Select = Callable[[models.QuerySet], models.QuerySet]


class Concern(models.TextChoices):
    MISSING = "missing", "Missing information"
    VERIFICATION = "verification", "Verification"
    LINKS = "links", "Broken links"


@dataclass(frozen=True)
class Check:
    """The records of `model` that `select` keeps from a queryset of them need attention."""

    model: type[Record]
    slug: str
    label: str
    concern: Concern
    select: Select

    def records(self, queryset: models.QuerySet | None = None) -> models.QuerySet:
        """The records of `queryset` (by default all of the model's) that fail the check."""
        return self.select(self.model.objects.all() if queryset is None else queryset)


def related_rows(model: type[Record], relation: str) -> models.QuerySet:
    """The rows linking the outer query's record to the objects of `relation`: link rows for a
    reverse foreign key (citations, participations), the join table's for a many-to-many."""
    field = model._meta.get_field(relation)
    if field.many_to_many:
        return field.remote_field.through.objects.filter(**{field.m2m_field_name(): OuterRef("pk")})
    return field.related_model.objects.filter(**{field.field.name: OuterRef("pk")})


def without(relation: str) -> Select:
    """Keeps the records that have nothing in `relation`."""
    return lambda records: records.filter(~Exists(related_rows(records.model, relation)))


def with_broken_links(records: models.QuerySet) -> models.QuerySet:
    """Keeps the records whose website, or the URL of a source they cite, the last link check
    (`manage.py check_links`) found broken."""
    broken = LinkCheck.objects.filter(is_broken=True)
    citations = related_rows(records.model, "citations")
    return records.filter(
        Exists(broken.filter(url=OuterRef("website")))
        | Exists(citations.filter(source__url__in=broken.values("url")))
    )


# A status a source stated longer ago than this many years, counted in calendar years from
# today's, is due to be checked again.
STATUS_STALE_AFTER_YEARS = 3
# The statuses that stay true once reached, which no later source is needed to confirm.
FINAL_STATUSES = {
    Initiative: (InitiativeStatus.COMPLETED,),
    Agreement: (AgreementStatus.ENDED,),
}


def status_cutoff_year() -> int:
    """The earliest year a status may have been stated in and not yet need checking again."""
    return timezone.localdate().year - STATUS_STALE_AFTER_YEARS


def with_stale_status(records: models.QuerySet) -> models.QuerySet:
    """Keeps the records whose status can still change (planned, active, signed, in force …)
    and rests on a source older than the cutoff, or on no dated source at all."""
    return records.exclude(status__in=FINAL_STATUSES[records.model]).filter(
        Q(status_as_of__isnull=True) | Q(status_as_of__lt=status_cutoff_year())
    )


def per_record_model(slug: str, label: str, concern: Concern, select: Select) -> list[Check]:
    return [Check(model, slug, label, concern, select) for model in RECORD_MODELS]


CHECKS: tuple[Check, ...] = (
    *per_record_model("no_sources", "without sources", Concern.MISSING, without("citations")),
    Check(
        City,
        "no_coordinates",
        "without coordinates",
        Concern.MISSING,
        lambda cities: cities.filter(Q(latitude__isnull=True) | Q(longitude__isnull=True)),
    ),
    Check(Initiative, "no_themes", "without themes", Concern.MISSING, without("themes")),
    Check(Initiative, "no_actors", "without actors", Concern.MISSING, without("participations")),
    Check(Agreement, "no_parties", "without parties", Concern.MISSING, without("party_links")),
    Check(
        Course,
        "no_dates",
        "without dates",
        Concern.MISSING,
        lambda courses: courses.filter(starts_on__isnull=True),
    ),
    *per_record_model(
        "never_verified", "never verified", Concern.VERIFICATION, methodcaller("never_verified")
    ),
    *per_record_model(
        "verification_overdue",
        "verified over a year ago",
        Concern.VERIFICATION,
        methodcaller("verification_overdue"),
    ),
    *(
        Check(
            model,
            "status_stale",
            f"status stated before {STATUS_STALE_AFTER_YEARS} years ago",
            Concern.VERIFICATION,
            with_stale_status,
        )
        for model in (Initiative, Agreement)
    ),
    *per_record_model("broken_links", "with a broken link", Concern.LINKS, with_broken_links),
)


def checks_of(model: type[models.Model]) -> list[Check]:
    """The checks of `model`, in the order of `CHECKS`."""
    return [check for check in CHECKS if check.model is model]


def check_of(model: type[models.Model], slug: str | None) -> Check | None:
    return next((check for check in checks_of(model) if check.slug == slug), None)


def check_counts(model: type[Record]) -> dict[str, Count]:
    """For `QuerySet.aggregate()`: how many records of `model` each of its checks selects, by
    the check's slug, so that one query counts them all."""
    records = model.objects.all()
    return {
        check.slug: Count("pk", filter=Q(pk__in=check.records(records).values("pk")))
        for check in checks_of(model)
    }
