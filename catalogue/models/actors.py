"""Actors: the organisations (and, rarely, office-holders) that practise science diplomacy."""

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

from catalogue.models.base import (
    NAMES,
    Citation,
    Record,
    RecordManager,
    RecordQuerySet,
    choice_order,
    not_own_parent_constraint,
    plausible_year_constraint,
    published_links,
    published_only,
    validate_not_own_ancestor,
    year_field,
)
from catalogue.models.courses import ProviderRole
from catalogue.models.initiatives import ParticipationRole


class Sector(models.TextChoices):
    """The quadruple helix."""

    GOVERNMENT = "government", "government"
    RESEARCH = "research", "research"
    INDUSTRY = "industry", "industry"
    CIVIL_SOCIETY = "civil_society", "civil society"


class ActorKind(models.TextChoices):
    NATIONAL_GOVERNMENT = "national_government", "national government body"
    LOCAL_GOVERNMENT = "local_government", "local or regional government"
    INTERGOVERNMENTAL = "intergovernmental", "intergovernmental organisation"
    RESEARCH = "research", "university or research organisation"
    ACADEMY = "academy", "academy or learned society"
    NON_PROFIT = "non_profit", "non-profit or foundation"
    NETWORK = "network", "network or alliance"
    COMPANY = "company", "company"
    PERSON = "person", "person"


# A person in the catalogue is a public office-holder, hence government.
SECTOR_OF_KIND = {
    ActorKind.NATIONAL_GOVERNMENT: Sector.GOVERNMENT,
    ActorKind.LOCAL_GOVERNMENT: Sector.GOVERNMENT,
    ActorKind.INTERGOVERNMENTAL: Sector.GOVERNMENT,
    ActorKind.PERSON: Sector.GOVERNMENT,
    ActorKind.RESEARCH: Sector.RESEARCH,
    ActorKind.ACADEMY: Sector.RESEARCH,
    ActorKind.COMPANY: Sector.INDUSTRY,
    ActorKind.NON_PROFIT: Sector.CIVIL_SOCIETY,
    ActorKind.NETWORK: Sector.CIVIL_SOCIETY,
}


def kinds_in_sector(sector: Sector) -> list[ActorKind]:
    return [kind for kind, kind_sector in SECTOR_OF_KIND.items() if kind_sector == sector]


ror_id_validator = RegexValidator(
    r"^0[a-hj-km-np-tv-z0-9]{6}[0-9]{2}\Z",
    "Enter a ROR id: nine characters starting with 0, such as 05gq02987 (without the URL).",
)


class ActorQuerySet(RecordQuerySet):
    def for_api(self):
        """Where an actor is and what it belongs to."""
        return super().for_api().select_related("country", "city", "parent")

    def for_detail(self):
        """An actor's page: its representation, and the initiatives, agreements and courses it
        takes part in with its roles; only published records.

        The rows of one initiative or course stay together (its id breaks ties between equal
        names), so the page can list each record once with all the actor's roles in it.
        """
        return self.for_api().prefetch_related(
            published_links(
                self.model,
                "participations",
                "initiative",
                "initiative__name",
                "initiative_id",
                choice_order("role", ParticipationRole),
            ),
            published_links(
                self.model,
                "agreement_links",
                "agreement",
                models.F("agreement__signed_on").desc(nulls_last=True),
                "agreement__name",
                # Whether an agreement is bilateral, which dates its parties' signatures.
                record_prefetch=("party_links",),
            ),
            published_links(
                self.model,
                "course_provisions",
                "course",
                models.F("course__starts_on").desc(nulls_last=True),
                "course__name",
                "course_id",
                choice_order("role", ProviderRole),
            ),
            published_only(self.model, "children"),
        )


class Actor(Record):
    kind = models.CharField(max_length=20, choices=ActorKind.choices, db_index=True)
    country = models.ForeignKey(
        "catalogue.Country", on_delete=models.PROTECT, null=True, blank=True
    )
    city = models.ForeignKey(
        "catalogue.City",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="headquartered_actors",
        verbose_name="city of headquarters",
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        help_text="The body this one belongs to, e.g. the FCDO for the Science and Innovation "
        "Network.",
    )
    founded = year_field("founding year")
    ror_id = models.CharField("ROR id", max_length=9, blank=True, validators=[ror_id_validator])
    sources = models.ManyToManyField(
        "catalogue.Source", through="ActorCitation", related_name="actors"
    )

    objects = RecordManager.from_queryset(ActorQuerySet)()

    search_fields = (
        *NAMES,
        ("B", "summary"),
        ("B", "parent__name"),
        ("B", "city__name"),
        ("B", "country__name"),
        ("B", "country__code"),
        ("C", "description"),
    )
    list_select_related = ("country", "city")

    class Meta(Record.Meta):
        constraints = [
            not_own_parent_constraint("An actor cannot be its own parent."),
            plausible_year_constraint("founded"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.acronym})" if self.acronym else self.name

    def clean(self) -> None:
        super().clean()
        validate_not_own_ancestor(
            self, "This parent already belongs to this actor: no actor can be its own ancestor."
        )
        if self.city_id and self.country_id and self.city.country_id != self.country_id:
            raise ValidationError(
                {"city": f"{self.city} is in {self.city.country}, not in {self.country}."}
            )

    @property
    def sector(self) -> Sector:
        return SECTOR_OF_KIND[ActorKind(self.kind)]


class ActorCitation(Citation):
    record = models.ForeignKey(Actor, on_delete=models.CASCADE, related_name="citations")
