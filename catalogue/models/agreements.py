"""Agreements that bind actors, and each party's own dated actions."""

from django.db import models

from catalogue.models.actors import ActorKind
from catalogue.models.base import (
    NAMES,
    STATUS_AS_OF_HELP,
    Citation,
    Record,
    RecordManager,
    RecordQuerySet,
    choice_order,
    not_before_constraint,
    plausible_year_constraint,
    published_links,
    published_only,
    year_field,
)
from catalogue.partial_dates import (
    PartialDate,
    PartialDateField,
    PartialDateProperty,
    partial_date_constraints,
    precision_field,
)


class AgreementKind(models.TextChoices):
    TREATY = "treaty", "treaty"
    COOPERATION = "cooperation", "S&T cooperation agreement or arrangement"
    MOU = "mou", "memorandum of understanding"
    HOST = "host", "host agreement"
    DATA_SHARING = "data_sharing", "data-sharing agreement"
    ASSOCIATION = "association", "association agreement"
    JOINT_DECLARATION = "joint_declaration", "joint declaration"
    OTHER = "other", "other or not stated"


class AgreementStatus(models.TextChoices):
    UNDER_NEGOTIATION = "under_negotiation", "under negotiation"
    SIGNED = "signed", "signed"
    IN_FORCE = "in_force", "in force"
    SUSPENDED = "suspended", "suspended"
    ENDED = "ended", "terminated or expired"


class AgreementQuerySet(RecordQuerySet):
    def with_parties(self):
        """Each agreement's published parties, as `published_party_links`, for pages that say
        whom an agreement binds."""
        return self.prefetch_related(
            published_links(
                self.model,
                "party_links",
                "actor",
                choice_order("role", PartyRole),
                "actor__name",
                to_attr="published_party_links",
            )
        )

    def for_api(self):
        """An agreement's published parties with their actions, and what it concerns; its page
        shows the same.

        Every party is loaded as well, because bilateral, multilateral and city-to-state describe
        the agreement itself, whether or not each party's record is published yet.
        """
        return (
            super()
            .for_api()
            .with_parties()
            .prefetch_related(
                models.Prefetch(
                    "party_links", queryset=AgreementParty.objects.select_related("actor")
                ),
                *(published_only(self.model, name) for name in ("cities", "initiatives", "themes")),
            )
        )


class Agreement(Record):
    kind = models.CharField(max_length=20, choices=AgreementKind.choices, db_index=True)
    status = models.CharField(max_length=20, choices=AgreementStatus.choices, db_index=True)
    status_as_of = year_field("status as of", help_text=STATUS_AS_OF_HELP)
    signed_on = PartialDateField("signed", db_index=True)
    signed_on_precision = precision_field()
    in_force_on = PartialDateField("in force from")
    in_force_on_precision = precision_field()
    ended_on = PartialDateField("ended")
    ended_on_precision = precision_field()
    parties = models.ManyToManyField(
        "catalogue.Actor", through="AgreementParty", related_name="agreements"
    )
    cities = models.ManyToManyField("catalogue.City", blank=True, related_name="agreements")
    initiatives = models.ManyToManyField(
        "catalogue.Initiative",
        blank=True,
        related_name="agreements",
        help_text="The initiatives this agreement establishes or governs.",
    )
    themes = models.ManyToManyField("catalogue.Theme", blank=True, related_name="agreements")
    sources = models.ManyToManyField(
        "catalogue.Source", through="AgreementCitation", related_name="agreements"
    )

    objects = RecordManager.from_queryset(AgreementQuerySet)()

    signed = PartialDateProperty("signed_on")
    in_force = PartialDateProperty("in_force_on")
    ended = PartialDateProperty("ended_on")

    search_fields = (
        *NAMES,
        ("B", "summary"),
        ("B", "parties__name"),
        ("B", "parties__acronym"),
        ("B", "cities__name"),
        ("B", "parties__country__name"),
        ("B", "parties__country__code"),
        ("C", "description"),
    )
    list_prefetch_related = ("parties", "cities")
    link_relations = ("party_links", "citations")

    class Meta(Record.Meta):
        constraints = [
            plausible_year_constraint("status_as_of"),
            *partial_date_constraints("signed_on", "in_force_on", "ended_on"),
            not_before_constraint(
                "in_force_on", "signed_on", "It cannot enter into force before it is signed."
            ),
            not_before_constraint("ended_on", "signed_on", "It cannot end before it is signed."),
            not_before_constraint(
                "ended_on", "in_force_on", "It cannot end before it enters into force."
            ),
        ]

    def bound_parties(self) -> list["AgreementParty"]:
        return [party for party in self.party_links.all() if party.role == PartyRole.PARTY]

    @property
    def is_bilateral(self) -> bool:
        return len(self.bound_parties()) == 2

    @property
    def is_multilateral(self) -> bool:
        return len(self.bound_parties()) > 2

    @property
    def is_city_to_state(self) -> bool:
        """A local government on one side and a national government on the other."""
        kinds = {party.actor.kind for party in self.bound_parties()}
        return {ActorKind.LOCAL_GOVERNMENT, ActorKind.NATIONAL_GOVERNMENT} <= kinds


class PartyRole(models.TextChoices):
    PARTY = "party", "party"
    SIGNATORY = "signatory", "signatory, not bound"
    DEPOSITARY = "depositary", "depositary"
    OBSERVER = "observer", "observer"


class AgreementParty(models.Model):
    """An actor's part in an agreement, with its own actions as treaty collections record them."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="party_links")
    actor = models.ForeignKey(
        "catalogue.Actor", on_delete=models.PROTECT, related_name="agreement_links"
    )
    role = models.CharField(
        max_length=10, choices=PartyRole.choices, default=PartyRole.PARTY, db_index=True
    )
    signed_on = PartialDateField("signed")
    signed_on_precision = precision_field()
    joined_on = PartialDateField(
        "ratified or joined", help_text="Ratification, acceptance, approval or accession."
    )
    joined_on_precision = precision_field()
    withdrew_on = PartialDateField("withdrew")
    withdrew_on_precision = precision_field()

    signed = PartialDateProperty("signed_on")
    joined = PartialDateProperty("joined_on")
    withdrew = PartialDateProperty("withdrew_on")

    class Meta:
        ordering = ["agreement", "actor__name"]
        verbose_name = "party"
        verbose_name_plural = "parties"
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "actor"],
                name="catalogue_agreementparty_unique",
                violation_error_message="This actor is already a party to this agreement.",
            ),
            *partial_date_constraints("signed_on", "joined_on", "withdrew_on"),
            not_before_constraint("joined_on", "signed_on", "A party cannot join before it signs."),
            not_before_constraint(
                "withdrew_on", "joined_on", "A party cannot withdraw before it joins."
            ),
            not_before_constraint(
                "withdrew_on", "signed_on", "A party cannot withdraw before it signs."
            ),
        ]

    def __str__(self) -> str:
        return f"{self.actor} — {self.get_role_display()} to {self.agreement}"

    @property
    def signature(self) -> tuple[PartialDate | None, bool]:
        """When the party signed, and whether that date is the agreement's own. A party of a
        bilateral agreement that records no signature of its own signed the agreement's one
        text with the other party, on the date the agreement gives."""
        agreement = self.agreement
        if self.signed or self.role != PartyRole.PARTY or not agreement.is_bilateral:
            return self.signed, False
        return agreement.signed, agreement.signed is not None


class AgreementCitation(Citation):
    record = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="citations")
