"""Initiatives, and the actors taking part in them."""

from django.db import models
from django.db.models import Q

from catalogue.constraints import FieldCheckConstraint
from catalogue.models.base import (
    NAMES,
    STATUS_AS_OF_HELP,
    Citation,
    Record,
    RecordManager,
    RecordQuerySet,
    choice_order,
    not_before_constraint,
    not_own_parent_constraint,
    plausible_year_constraint,
    published_links,
    published_only,
    validate_not_own_ancestor,
    year_field,
)
from catalogue.models.courses import Course
from catalogue.models.reference import Country


class InitiativeKind(models.TextChoices):
    HUB = "hub", "hub"
    PROGRAMME = "programme", "programme"
    NETWORK = "network", "network"
    FUND = "fund", "fund"
    FACILITY = "facility", "facility"
    OFFICE = "office", "office"
    CAMPAIGN = "campaign", "campaign"
    RESEARCH_CENTRE = "research_centre", "research centre"


class InitiativeStatus(models.TextChoices):
    PLANNED = "planned", "planned"
    ACTIVE = "active", "active"
    COMPLETED = "completed", "completed"
    SUSPENDED = "suspended", "suspended"


class Level(models.TextChoices):
    """The level of governance an initiative works at."""

    CITY = "city", "city"
    NATIONAL = "national", "national"
    REGIONAL = "regional", "regional"
    GLOBAL = "global", "global"


class InitiativeQuerySet(RecordQuerySet):
    def for_api(self):
        """An initiative's participants by role, the records it links to and its tags; only
        published records."""
        return (
            super()
            .for_api()
            .select_related("parent")
            .prefetch_related(
                published_links(
                    self.model,
                    "participations",
                    "actor",
                    choice_order("role", ParticipationRole),
                    "actor__name",
                ),
                *(
                    published_only(self.model, relation)
                    for relation in (
                        "cities",
                        "countries",
                        "themes",
                        "sdgs",
                        "dimensions",
                        "drivers",
                    )
                ),
            )
        )

    def for_detail(self):
        """An initiative's page: its representation and the records that link to it."""
        return self.for_api().prefetch_related(
            published_only(self.model, "children"),
            published_only(self.model, "agreements"),
            models.Prefetch("courses", queryset=Course.objects.published().latest_first()),
        )


class Initiative(Record):
    kind = models.CharField(max_length=20, choices=InitiativeKind.choices, db_index=True)
    status = models.CharField(max_length=10, choices=InitiativeStatus.choices, db_index=True)
    status_as_of = year_field("status as of", help_text=STATUS_AS_OF_HELP)
    start_year = year_field("start year", db_index=True)
    end_year = year_field("end year")
    level = models.CharField(
        "level of governance", max_length=10, choices=Level.choices, db_index=True
    )
    cities = models.ManyToManyField("catalogue.City", blank=True, related_name="initiatives")
    countries = models.ManyToManyField(
        "catalogue.Country",
        blank=True,
        related_name="initiatives",
        help_text="Every country involved; the countries of its cities are added when it is saved.",
    )
    themes = models.ManyToManyField("catalogue.Theme", blank=True, related_name="initiatives")
    sdgs = models.ManyToManyField(
        "catalogue.SDG", blank=True, related_name="initiatives", verbose_name="SDGs"
    )
    dimensions = models.ManyToManyField(
        "catalogue.Dimension",
        blank=True,
        related_name="initiatives",
        verbose_name="science-diplomacy dimensions",
    )
    drivers = models.ManyToManyField("catalogue.Driver", blank=True, related_name="initiatives")
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name="parent initiative",
    )
    actors = models.ManyToManyField(
        "catalogue.Actor", through="Participation", related_name="initiatives"
    )
    sources = models.ManyToManyField(
        "catalogue.Source", through="InitiativeCitation", related_name="initiatives"
    )

    objects = RecordManager.from_queryset(InitiativeQuerySet)()

    search_fields = (
        *NAMES,
        ("B", "summary"),
        ("B", "actors__name"),
        ("B", "actors__acronym"),
        ("B", "cities__name"),
        ("B", "countries__name"),
        ("B", "countries__code"),
        ("C", "description"),
        # The goals' numbers, which a search for "SDG 13" looks for (catalogue.search).
        ("C", "sdgs__number"),
    )
    list_prefetch_related = ("cities", "themes")
    link_relations = ("participations", "citations")

    class Meta(Record.Meta):
        constraints = [
            plausible_year_constraint("status_as_of"),
            plausible_year_constraint("start_year"),
            plausible_year_constraint("end_year"),
            not_before_constraint(
                "end_year", "start_year", "The end year cannot be before the start year."
            ),
            not_own_parent_constraint("An initiative cannot be its own parent."),
            FieldCheckConstraint(
                field="end_year",
                condition=Q(end_year__isnull=True)
                | Q(status__in=[InitiativeStatus.COMPLETED, InitiativeStatus.SUSPENDED]),
                name="catalogue_initiative_end_year_needs_end",
                violation_error_message="Only a completed or suspended initiative has an end year.",
            ),
        ]

    def clean(self) -> None:
        super().clean()
        validate_not_own_ancestor(
            self, "An initiative cannot be part of itself, directly or through its parents."
        )

    def completed_relations(self, relations: dict) -> dict:
        """Its countries include those of its cities: given either, the countries are
        completed with the cities' (the saved ones of what `relations` leaves out)."""
        if "cities" not in relations and "countries" not in relations:
            return relations
        saved = self.pk is not None
        cities = relations.get("cities", self.cities.all() if saved else [])
        countries = relations.get("countries", self.countries.all() if saved else [])
        return {**relations, "countries": list(involved_countries(countries, cities))}

    def relation_problems(self) -> list[str]:
        """Rules about its many-to-many relations, which `full_clean()` cannot see."""
        missing = {city.country_id for city in self.cities.all()} - {
            country.pk for country in self.countries.all()
        }
        if missing:
            return [f"its countries lack {', '.join(sorted(missing))}, where its cities are"]
        return []


def involved_countries(countries, cities) -> models.QuerySet:
    """The chosen countries (objects or codes) plus the countries of the chosen cities."""
    # Codes, not objects: a country object stands for its name in a lookup on the code.
    codes = {getattr(country, "pk", country) for country in countries}
    return Country.objects.filter(Q(pk__in=codes) | Q(city__in=cities)).distinct()


class ParticipationRole(models.TextChoices):
    LEAD = "lead", "lead"
    FOUNDER = "founder", "founder"
    FUNDER = "funder", "funder"
    HOST = "host", "host"
    PARTNER = "partner", "partner"
    MEMBER = "member", "member"


class Participation(models.Model):
    """An actor taking part in an initiative in one role, optionally for some years."""

    initiative = models.ForeignKey(
        Initiative, on_delete=models.CASCADE, related_name="participations"
    )
    actor = models.ForeignKey(
        "catalogue.Actor", on_delete=models.PROTECT, related_name="participations"
    )
    role = models.CharField(max_length=10, choices=ParticipationRole.choices, db_index=True)
    start_year = year_field("from")
    end_year = year_field("until")

    class Meta:
        ordering = ["initiative", "role", "actor__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["initiative", "actor", "role"],
                name="catalogue_participation_unique",
                violation_error_message="This actor already has this role in this initiative.",
            ),
            plausible_year_constraint("start_year"),
            plausible_year_constraint("end_year"),
            not_before_constraint(
                "end_year", "start_year", "The end year cannot be before the start year."
            ),
        ]

    def __str__(self) -> str:
        return f"{self.actor} — {self.get_role_display()} of {self.initiative}"


class InitiativeCitation(Citation):
    record = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="citations")
