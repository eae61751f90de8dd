"""Courses: training in science diplomacy, one row per edition, and who provides it."""

import datetime

from django.conf import global_settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from catalogue.constraints import FieldCheckConstraint
from catalogue.models.base import (
    NAMES,
    Citation,
    Record,
    RecordManager,
    RecordQuerySet,
    choice_order,
    not_before_constraint,
    published_links,
    published_only,
)
from catalogue.models.text import single_line

LANGUAGE_NAMES = dict(global_settings.LANGUAGES)


def validate_language_code(code: str) -> None:
    if code not in LANGUAGE_NAMES:
        raise ValidationError(f"{code!r} is not a language code Sciplo knows; use one such as en.")


class CourseKind(models.TextChoices):
    COURSE = "course", "course"
    WORKSHOP = "workshop", "workshop"
    FELLOWSHIP = "fellowship", "fellowship"
    SUMMER_SCHOOL = "summer_school", "summer school"
    LECTURE_SERIES = "lecture_series", "lecture series"


class CourseFormat(models.TextChoices):
    IN_PERSON = "in_person", "in person"
    ONLINE = "online", "online"
    HYBRID = "hybrid", "hybrid"


class CourseState(models.TextChoices):
    """Where an edition stands on a given day; computed from its dates, never stored."""

    UPCOMING = "upcoming", "upcoming"
    OPEN = "open", "open for application"
    RUNNING = "running", "running"
    PAST = "past", "past"


def state_condition(state: CourseState, today: datetime.date) -> Q:
    """The editions in `state` on `today`, as a database condition (see `Course.state_on`)."""
    not_started = Q(starts_on__gt=today)
    open_for_application = Q(application_deadline__gte=today)
    ended = Q(ends_on__lt=today) | Q(ends_on__isnull=True, starts_on__lt=today)
    if state == CourseState.OPEN:
        return not_started & open_for_application
    if state == CourseState.UPCOMING:
        return not_started & ~open_for_application
    if state == CourseState.RUNNING:
        return Q(starts_on__lte=today) & ~ended
    return ended


def course_state(
    starts_on: datetime.date | None,
    ends_on: datetime.date | None,
    application_deadline: datetime.date | None,
    day: datetime.date,
) -> CourseState | None:
    """Where an edition with these dates stands on `day`; None when its dates are not known. The
    same as `state_condition`, for one edition."""
    if starts_on is None:
        return None
    if (ends_on or starts_on) < day:
        return CourseState.PAST
    if starts_on <= day:
        return CourseState.RUNNING
    if application_deadline is not None and application_deadline >= day:
        return CourseState.OPEN
    return CourseState.UPCOMING


class CourseQuerySet(RecordQuerySet):
    def with_last_day(self):
        return self.annotate(last_day=Coalesce("ends_on", "starts_on"))

    def upcoming(self, today: datetime.date | None = None):
        """Editions that have not started yet, soonest first."""
        today = today or timezone.localdate()
        return self.filter(starts_on__gt=today).order_by("starts_on", "name")

    def past(self, today: datetime.date | None = None):
        """Editions that have ended, latest first."""
        today = today or timezone.localdate()
        return self.with_last_day().filter(last_day__lt=today).order_by("-last_day", "name")

    def latest_first(self):
        """Editions by start date, latest first and undated ones last."""
        return self.order_by(models.F("starts_on").desc(nulls_last=True), "name")

    def for_api(self):
        """Where an edition is, who provides it in which role and the initiative it belongs to;
        only published records. Its page shows the same."""
        return (
            super()
            .for_api()
            .select_related("city__country", "initiative")
            .prefetch_related(
                published_links(
                    self.model,
                    "provisions",
                    "actor",
                    choice_order("role", ProviderRole),
                    "actor__name",
                ),
                published_only(self.model, "audiences"),
            )
        )


class Course(Record):
    kind = models.CharField(max_length=20, choices=CourseKind.choices, db_index=True)
    edition = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The edition's number, if the providers number them."
    )
    format = models.CharField(
        max_length=10,
        choices=CourseFormat.choices,
        blank=True,
        db_index=True,
        help_text="Leave empty if the source does not say.",
    )
    city = models.ForeignKey(
        "catalogue.City",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="courses",
        help_text="Where it takes place; empty for an online course.",
    )
    starts_on = models.DateField("starts", null=True, blank=True, db_index=True)
    ends_on = models.DateField("ends", null=True, blank=True)
    application_deadline = models.DateField(null=True, blank=True)
    audiences = models.ManyToManyField("catalogue.Audience", blank=True, related_name="courses")
    language = models.CharField(
        max_length=7,
        blank=True,
        db_index=True,
        validators=[validate_language_code],
        help_text="Language code, such as en or es.",
    )
    is_free = models.BooleanField(
        "free of charge", null=True, blank=True, help_text="Leave unknown if the source is silent."
    )
    fee = models.CharField(
        max_length=100,
        blank=True,
        validators=[single_line],
        help_text="The fee as the provider states it.",
    )
    initiative = models.ForeignKey(
        "catalogue.Initiative",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="courses",
        help_text="The initiative this course belongs to.",
    )
    providers = models.ManyToManyField(
        "catalogue.Actor", through="CourseProvider", related_name="courses"
    )
    sources = models.ManyToManyField(
        "catalogue.Source", through="CourseCitation", related_name="courses"
    )

    objects = RecordManager.from_queryset(CourseQuerySet)()

    search_fields = (
        *NAMES,
        ("B", "summary"),
        ("B", "providers__name"),
        ("B", "providers__acronym"),
        ("B", "city__name"),
        ("B", "city__country__name"),
        ("B", "city__country__code"),
        ("C", "description"),
    )
    list_select_related = ("city",)
    list_prefetch_related = ("providers",)
    link_relations = ("provisions", "citations")

    class Meta(Record.Meta):
        constraints = [
            not_before_constraint("ends_on", "starts_on", "The end cannot be before the start."),
            FieldCheckConstraint(
                field="application_deadline",
                condition=Q(application_deadline__isnull=True)
                | Q(starts_on__isnull=True)
                | Q(application_deadline__lte=models.F("starts_on")),
                name="catalogue_course_deadline_not_after_start",
                violation_error_message="The application deadline cannot be after the start.",
            ),
            FieldCheckConstraint(
                field="ends_on",
                condition=Q(ends_on__isnull=True) | Q(starts_on__isnull=False),
                name="catalogue_course_end_needs_start",
                violation_error_message="Give the start date before the end date.",
            ),
            FieldCheckConstraint(
                field="fee",
                condition=~Q(is_free=True) | Q(fee=""),
                name="catalogue_course_free_has_no_fee",
                violation_error_message="A free course has no fee.",
            ),
            FieldCheckConstraint(
                field="city",
                condition=~Q(format=CourseFormat.ONLINE) | Q(city__isnull=True),
                name="catalogue_course_online_has_no_city",
                violation_error_message="An online course takes place in no city.",
            ),
        ]

    def state_on(self, day: datetime.date) -> CourseState | None:
        """None when the dates are not known."""
        return course_state(self.starts_on, self.ends_on, self.application_deadline, day)

    @property
    def state(self) -> CourseState | None:
        return self.state_on(timezone.localdate())

    @property
    def language_name(self) -> str:
        return LANGUAGE_NAMES.get(self.language, "")


class ProviderRole(models.TextChoices):
    ORGANISER = "organiser", "organiser"
    PARTNER = "partner", "partner"
    HOST = "host", "host"
    FUNDER = "funder", "funder"


class CourseProvider(models.Model):
    """An actor providing a course edition in one role."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="provisions")
    actor = models.ForeignKey(
        "catalogue.Actor", on_delete=models.PROTECT, related_name="course_provisions"
    )
    role = models.CharField(max_length=10, choices=ProviderRole.choices, db_index=True)

    class Meta:
        ordering = ["course", "role", "actor__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "actor", "role"],
                name="catalogue_courseprovider_unique",
                violation_error_message="This actor already has this role in this course.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.actor} — {self.get_role_display()} of {self.course}"


class CourseCitation(Citation):
    record = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="citations")
