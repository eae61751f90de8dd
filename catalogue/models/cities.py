"""Cities where science diplomacy happens, as the CIDOB note on city-led science diplomacy
describes them."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from catalogue.constraints import FieldCheckConstraint
from catalogue.models.actors import Actor
from catalogue.models.agreements import Agreement, AgreementParty
from catalogue.models.base import (
    NAMES,
    Citation,
    Publication,
    Record,
    RecordManager,
    RecordQuerySet,
    plausible_year_constraint,
    published_only,
    year_field,
)
from catalogue.models.courses import Course


class Strategy(models.TextChoices):
    COMPREHENSIVE = "comprehensive", "comprehensive science-diplomacy strategy"
    INDIVIDUAL_INITIATIVES = "individual_initiatives", "individual initiatives only"
    NONE_KNOWN = "none_known", "none known"


class Approach(models.TextChoices):
    """The trends of city-led science diplomacy in Abdullah & Roig (CIDOB, 2021)."""

    MULTI_LEVEL = "multi_level", "multi-level action"
    LOCAL_CAPITAL = "local_capital", "leveraging local science and technology capital"
    SCIENCE_POLICY_NEXUS = "science_policy_nexus", "strengthening the science-policy nexus"
    CLIMATE = "climate", "climate adaptation and mitigation"


class CityQuerySet(RecordQuerySet):
    def for_api(self):
        """A city's country."""
        return super().for_api().select_related("country")

    def for_detail(self):
        """A city's page: everything located there, and the agreements that organisations based
        there are parties to, with whom; only published records."""
        local_parties = (
            AgreementParty.objects.filter(agreement__publication=Publication.PUBLISHED)
            .prefetch_related(
                models.Prefetch("agreement", queryset=Agreement.objects.with_parties())
            )
            .order_by(models.F("agreement__signed_on").desc(nulls_last=True), "agreement__name")
        )
        return self.for_api().prefetch_related(
            published_only(self.model, "initiatives"),
            models.Prefetch(
                "headquartered_actors",
                queryset=Actor.objects.published().prefetch_related(
                    models.Prefetch("agreement_links", queryset=local_parties)
                ),
            ),
            models.Prefetch("courses", queryset=Course.objects.published().latest_first()),
            models.Prefetch("agreements", queryset=Agreement.objects.published().with_parties()),
        )


class City(Record):
    country = models.ForeignKey("catalogue.Country", on_delete=models.PROTECT)
    latitude = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(-90.0), MaxValueValidator(90.0)],
        help_text="Decimal degrees, −90 (south) to 90 (north).",
    )
    longitude = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(-180.0), MaxValueValidator(180.0)],
        help_text="Decimal degrees, −180 (west) to 180 (east).",
    )
    geonames_id = models.PositiveIntegerField("GeoNames id", null=True, blank=True, unique=True)
    strategy = models.CharField(
        "science-diplomacy strategy",
        max_length=30,
        choices=Strategy.choices,
        default=Strategy.NONE_KNOWN,
        db_index=True,
    )
    strategy_since = year_field("strategy began")
    approach = models.CharField(
        max_length=30,
        choices=Approach.choices,
        blank=True,
        db_index=True,
        help_text="The trend of city-led science diplomacy the city exemplifies most.",
    )
    sources = models.ManyToManyField(
        "catalogue.Source", through="CityCitation", related_name="cities"
    )

    objects = RecordManager.from_queryset(CityQuerySet)()

    search_fields = (
        *NAMES,
        ("B", "summary"),
        ("B", "country__name"),
        ("B", "country__code"),
        ("C", "description"),
    )
    list_select_related = ("country",)

    class Meta(Record.Meta):
        verbose_name_plural = "cities"
        constraints = [
            FieldCheckConstraint(
                field="latitude",
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="catalogue_city_latitude_range",
                violation_error_message="Latitude must be between −90 and 90 degrees.",
            ),
            FieldCheckConstraint(
                field="longitude",
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="catalogue_city_longitude_range",
                violation_error_message="Longitude must be between −180 and 180 degrees.",
            ),
            FieldCheckConstraint(
                field="longitude",
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="catalogue_city_coordinates_paired",
                violation_error_message="Give both latitude and longitude, or neither.",
            ),
            FieldCheckConstraint(
                field="strategy_since",
                condition=Q(strategy_since__isnull=True) | Q(strategy=Strategy.COMPREHENSIVE),
                name="catalogue_city_strategy_since_needs_strategy",
                violation_error_message="Only a comprehensive strategy has a starting year.",
            ),
            plausible_year_constraint("strategy_since"),
        ]

    @property
    def has_coordinates(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class CityCitation(Citation):
    record = models.ForeignKey(City, on_delete=models.CASCADE, related_name="citations")
