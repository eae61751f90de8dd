"""What every record shares: publication state, verification, citations and common rules."""

import datetime

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models, router, transaction
from django.db.models import F, Q
from django.utils import timezone

from catalogue.addresses import path_to
from catalogue.constraints import FieldCheckConstraint, broken_checks
from catalogue.models.text import multi_line, single_line, web_address
from catalogue.search import search

FIRST_PLAUSIBLE_YEAR = 1900
LAST_PLAUSIBLE_YEAR = 2100
VERIFICATION_LIFETIME = datetime.timedelta(days=365)


def verification_cutoff() -> datetime.date:
    """The earliest day a verification still holds: a record last verified before it is
    overdue."""
    return timezone.localdate() - VERIFICATION_LIFETIME


# The year a record's status was last stated by a source, shown beside the status.
STATUS_AS_OF_HELP = (
    "The year of the newest source the status rests on; empty when no source states it."
)


def year_field(verbose_name: str, **kwargs) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        verbose_name,
        null=True,
        blank=True,
        validators=[
            MinValueValidator(FIRST_PLAUSIBLE_YEAR, f"Enter a year from {FIRST_PLAUSIBLE_YEAR}."),
            MaxValueValidator(LAST_PLAUSIBLE_YEAR, f"Enter a year up to {LAST_PLAUSIBLE_YEAR}."),
        ],
        **kwargs,
    )


def plausible_year_constraint(field: str) -> FieldCheckConstraint:
    return FieldCheckConstraint(
        field=field,
        condition=Q(**{f"{field}__isnull": True})
        | Q(**{f"{field}__gte": FIRST_PLAUSIBLE_YEAR, f"{field}__lte": LAST_PLAUSIBLE_YEAR}),
        name=f"%(app_label)s_%(class)s_{field}_plausible",
        violation_error_message=(
            f"Enter a year from {FIRST_PLAUSIBLE_YEAR} to {LAST_PLAUSIBLE_YEAR}."
        ),
    )


def not_before_constraint(later: str, earlier: str, message: str) -> FieldCheckConstraint:
    """`later` is empty, `earlier` is empty, or `later` is on or after `earlier`."""
    return FieldCheckConstraint(
        field=later,
        condition=Q(**{f"{later}__isnull": True})
        | Q(**{f"{earlier}__isnull": True})
        | Q(**{f"{later}__gte": F(earlier)}),
        name=f"%(app_label)s_%(class)s_{later}_not_before_{earlier}",
        violation_error_message=message,
    )


def not_own_parent_constraint(message: str) -> FieldCheckConstraint:
    return FieldCheckConstraint(
        field="parent",
        condition=Q(parent__isnull=True) | ~Q(parent=F("pk")),
        name="%(app_label)s_%(class)s_not_own_parent",
        violation_error_message=message,
    )


def validate_not_own_ancestor(instance: models.Model, message: str) -> None:
    """Follows `parent` upwards and refuses a chain that comes back to `instance`."""
    seen = set()
    ancestor = instance.parent
    while ancestor is not None and ancestor.pk not in seen:
        if instance.pk is not None and ancestor.pk == instance.pk:
            raise ValidationError({"parent": message})
        seen.add(ancestor.pk)
        ancestor = ancestor.parent


def choice_labels(choices) -> dict[str, str]:
    """The label of each value of `choices` ((value, label) pairs), by the value as text."""
    return {str(value): str(label) for value, label in choices}


class Publication(models.TextChoices):
    DRAFT = "draft", "draft"
    IN_REVIEW = "in_review", "in review"
    PUBLISHED = "published", "published"
    ARCHIVED = "archived", "archived"


# What readers may open by URL: archived records stay citable.
REACHABLE = (Publication.PUBLISHED, Publication.ARCHIVED)


def published_only(model: type[models.Model], relation: str) -> models.Prefetch | str:
    """A prefetch of `relation` that leaves out unpublished records."""
    related_model = model._meta.get_field(relation).related_model
    if issubclass(related_model, Record):
        # Distinct: an actor providing a course in two roles is still one provider.
        return models.Prefetch(relation, queryset=related_model.objects.published().distinct())
    return relation


def published_links(
    model: type[models.Model],
    relation: str,
    record: str,
    *ordering,
    to_attr: str | None = None,
    record_prefetch: tuple[str, ...] = (),
) -> models.Prefetch:
    """A prefetch of the link rows `relation` (participations, parties, providers) whose
    `record` is published, each with that record loaded, in `ordering` if given, and with the
    record's own relations `record_prefetch`."""
    link_model = model._meta.get_field(relation).related_model
    links = link_model.objects.filter(**{f"{record}__publication": Publication.PUBLISHED})
    if record_prefetch:
        related = link_model._meta.get_field(record).related_model
        records = related.objects.prefetch_related(*record_prefetch)
        links = links.prefetch_related(models.Prefetch(record, queryset=records))
    else:
        links = links.select_related(record)
    if ordering:
        links = links.order_by(*ordering)
    return models.Prefetch(relation, queryset=links, to_attr=to_attr)


def choice_order(field: str, choices: type[models.Choices]) -> models.Case:
    """Sorts rows by where their `field` value stands among `choices`, so that a lead comes
    before a member rather than after it, as the alphabet would have it."""
    return models.Case(
        *(models.When(**{field: value}, then=position) for position, value in enumerate(choices)),
        default=len(choices),
        output_field=models.IntegerField(),
    )


class RecordQuerySet(models.QuerySet):
    def published(self):
        """What readers see in lists and counts."""
        return self.filter(publication=Publication.PUBLISHED)

    def reachable(self):
        """What readers may open by URL: archived records stay citable."""
        return self.filter(publication__in=REACHABLE)

    def search(self, text: str):
        return search(self, text)

    def never_verified(self):
        return self.filter(last_verified__isnull=True)

    def verification_overdue(self):
        """Records verified, but before `verification_cutoff()`; with the records never
        verified, those whose `is_verification_overdue` holds."""
        return self.filter(last_verified__lt=verification_cutoff())

    def verification_current(self):
        """Records verified on or after `verification_cutoff()`."""
        return self.filter(last_verified__gte=verification_cutoff())

    def for_list(self):
        """Loads what a list row shows: `list_select_related` and `list_prefetch_related` of
        the model, related records limited to published ones."""
        model = self.model
        return self.select_related(*model.list_select_related).prefetch_related(
            *(published_only(model, name) for name in model.list_prefetch_related)
        )

    def for_api(self):
        """Loads what the API's representation of a record shows, its sources; each model's
        queryset adds the relations its representation shows."""
        citation_model = self.model._meta.get_field("citations").related_model
        return self.prefetch_related(
            models.Prefetch("citations", queryset=citation_model.objects.select_related("source"))
        )

    def for_detail(self):
        """Loads what a record's page shows: its representation in the API and, added by each
        model's queryset, the records that link to it."""
        return self.for_api()


class SlugManager(models.Manager):
    """Looks rows up by slug, so fixtures can name them."""

    def get_by_natural_key(self, slug: str):
        return self.get(slug=slug)


RecordManager = SlugManager.from_queryset(RecordQuerySet)


wikidata_id_validator = RegexValidator(
    r"^Q[1-9][0-9]*\Z", "Enter a Wikidata item id: Q followed by digits, such as Q42."
)


# What a record is called, each name searched as much as the first ("A").
NAMES = (("A", "name"), ("A", "acronym"), ("A", "alternative_names"))


class Record(models.Model):
    """Fields and behaviour shared by actors, initiatives, courses, agreements and cities.

    A save writes only the fields that changed since the record was read, and only if no other
    save came in between: `lock_version` counts the saves, and a save made from a copy older
    than the row raises `RecordChanged`. Writers that let a person decide on what they saw
    (admin's forms, the API's `If-Match`) compare `lock_version` with what the person saw.
    """

    slug = models.SlugField(
        max_length=100,
        unique=True,
        help_text="Stable identifier used in URLs and the API; do not change once published.",
    )
    name = models.CharField(max_length=255, db_index=True, validators=[single_line])
    acronym = models.CharField(max_length=30, blank=True, db_index=True, validators=[single_line])
    alternative_names = models.TextField(
        blank=True,
        validators=[multi_line],
        help_text="Other names and spellings the record is known by, one a line.",
    )
    summary = models.TextField(
        max_length=600,
        blank=True,
        validators=[multi_line],
        help_text="One or two sentences for lists and previews.",
    )
    description = models.TextField(blank=True, validators=[multi_line])
    website = models.URLField(max_length=500, blank=True, validators=[web_address])
    publication = models.CharField(
        max_length=10,
        choices=Publication.choices,
        default=Publication.DRAFT,
        db_index=True,
        help_text="Readers see published records; archived records stay reachable by URL.",
    )
    # Defaults rather than auto_now/auto_now_add, which raw fixture loads would skip.
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    last_verified = models.DateField(
        null=True,
        blank=True,
        help_text="The day a curator last checked this record against its sources.",
    )
    wikidata_id = models.CharField(
        "Wikidata id", max_length=16, blank=True, validators=[wikidata_id_validator]
    )
    lock_version = models.PositiveIntegerField(
        "saves", default=1, editable=False, help_text="How many times the record was saved."
    )

    objects = RecordManager()

    # Where `search()` looks: (weight, path) pairs, "A" for names down to "C" for long text.
    search_fields = (*NAMES, ("B", "summary"), ("C", "description"))
    # What a list row shows besides the record's own fields (see `RecordQuerySet.for_list`).
    list_select_related: tuple[str, ...] = ()
    list_prefetch_related: tuple[str, ...] = ()
    # The relations whose rows belong to the record: saved, versioned and dumped with it.
    link_relations: tuple[str, ...] = ("citations",)

    class Meta:
        abstract = True
        ordering = ["name"]
        # "publish": move a record through review to published or archived (see `workflow`).
        default_permissions = ("add", "change", "delete", "view", "publish")

    def __str__(self) -> str:
        return self.name

    def save(self, *, update_fields=None, using=None, **kwargs) -> None:
        self.updated_at = timezone.now()
        if self._state.adding:
            super().save(update_fields=update_fields, using=using, **kwargs)
        else:
            self.save_over_copy_read(update_fields=update_fields, using=using, **kwargs)
        self._loaded = self.field_values()

    def get_absolute_url(self) -> str:
        return path_to(f"catalogue:{self._meta.model_name}-detail", self.slug)

    def completed_relations(self, relations: dict) -> dict:
        """The many-to-many `relations` (field name to the objects it will hold) a write gives
        the record, completed by the rules of its kind, which every writer applies (admin,
        the API, imports, history): as given, unless a kind's rules say more."""
        return relations

    def validate_constraints(self, exclude=None) -> None:
        """Django's, but the record's check constraints are judged in one query together
        (`broken_checks`), not in one query each."""
        exclude = set(exclude or ())
        using = router.db_for_write(type(self), instance=self)
        errors = {}
        for constraint in self._meta.constraints:
            if isinstance(constraint, models.CheckConstraint):
                continue
            try:
                constraint.validate(type(self), self, exclude=exclude, using=using)
            except ValidationError as error:
                errors = error.update_error_dict(errors)
        broken = broken_checks([self], [exclude], using=using)[0]
        if broken is not None:
            errors = broken.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    @classmethod
    def from_db(cls, db, field_names, values):
        record = super().from_db(db, field_names, values)
        record._loaded = record.field_values()
        return record

    def refresh_from_db(self, using=None, fields=None, from_queryset=None) -> None:
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        if hasattr(self, "_loaded"):
            self._loaded |= self.field_values()

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    def save_over_copy_read(self, *, update_fields, using, **kwargs) -> None:
        """Saves the fields changed since this copy was read, unless another save came first."""
        using = using or router.db_for_write(type(self), instance=self)
        if update_fields is None:
            update_fields = self.unsaved_fields()
        with transaction.atomic(using=using):
            # Claimed first: the update waits for a writer holding the row, and then finds
            # whether that writer saved over the copy this one was made from.
            claimed = (
                type(self)
                ._base_manager.using(using)
                .filter(pk=self.pk, lock_version=self.lock_version)
                .update(lock_version=F("lock_version") + 1)
            )
            if not claimed:
                raise RecordChanged(self)
            self.lock_version += 1
            if update_fields is not None:
                update_fields = {*update_fields, "updated_at", "lock_version"}
            super().save(update_fields=update_fields, using=using, **kwargs)

    def field_values(self) -> dict:
        """The concrete fields' values as they are on this copy, by attribute name."""
        deferred = self.get_deferred_fields()
        return {
            field.attname: getattr(self, field.attname)
            for field in self._meta.concrete_fields
            if field.attname not in deferred
        }

    def unsaved_fields(self) -> list[str] | None:
        """The fields set on this copy to values other than those read from the database (a
        field deferred when read counts once it is set), or None (every field) for a copy that
        was not read from it."""
        loaded = getattr(self, "_loaded", None)
        if loaded is None:
            return None
        deferred = self.get_deferred_fields()
        missing = object()
        return [
            field.name
            for field in self._meta.concrete_fields
            if field.attname not in deferred
            and getattr(self, field.attname) != loaded.get(field.attname, missing)
        ]

    @property
    def is_published(self) -> bool:
        return self.publication == Publication.PUBLISHED

    @property
    def is_verification_overdue(self) -> bool:
        """Never verified, or verified more than a year ago."""
        return self.last_verified is None or self.last_verified < verification_cutoff()


class RecordChanged(Exception):
    """A record was saved (or deleted) by another writer after the copy being saved was read."""

    def __init__(self, record: Record):
        super().__init__(
            f"“{record}” was changed by another save after it was read here; read it again and "
            "make the change on what it is now."
        )
        self.record = record


class Citation(models.Model):
    """A record resting on a source, optionally at a locator (page, section).

    Each kind of record has its own citation table whose foreign key `record` points at it, so the
    database keeps citations consistent and deleting a record deletes its citations.
    """

    source = models.ForeignKey("catalogue.Source", on_delete=models.PROTECT)
    locator = models.CharField(
        max_length=200,
        blank=True,
        validators=[single_line],
        help_text="Where in the source: a page, a section, a heading.",
    )

    class Meta:
        abstract = True
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["record", "source", "locator"],
                name="%(app_label)s_%(class)s_unique",
                violation_error_message="This source is already cited here with that locator.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.source}, {self.locator}" if self.locator else str(self.source)
