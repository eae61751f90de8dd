"""Every rule of the data model is refused with a message naming the field, and the rules the
database can enforce are enforced by the database too (on SQLite and PostgreSQL alike)."""

import datetime
import importlib
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction

from catalogue.constraints import broken_checks, merged
from catalogue.models import (
    SDG,
    Actor,
    AgreementParty,
    Country,
    CourseFormat,
    Initiative,
    InitiativeCitation,
    InitiativeStatus,
    Participation,
    ParticipationRole,
    Strategy,
)
from tests.factories import (
    ActorFactory,
    AgreementFactory,
    CityFactory,
    CourseFactory,
    InitiativeFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db


@dataclass
class Rule:
    """A way to break one rule: `make` returns an unsaved instance that breaks it."""

    make: Callable[[], models.Model]
    field: str
    message: str
    enforced_by_database: bool


def own_ancestor_actor() -> Actor:
    child = ActorFactory()
    parent = ActorFactory(parent=child)
    child.parent = parent
    return child


def own_ancestor_initiative():
    child = InitiativeFactory()
    parent = InitiativeFactory(parent=child)
    child.parent = parent
    return child


def self_parented(factory):
    def make():
        record = factory()
        record.parent = record
        return record

    return make


def duplicate_participation() -> Participation:
    existing = Participation.objects.create(
        initiative=InitiativeFactory(), actor=ActorFactory(), role=ParticipationRole.LEAD
    )
    return Participation(
        initiative=existing.initiative, actor=existing.actor, role=ParticipationRole.LEAD
    )


def duplicate_party() -> AgreementParty:
    existing = AgreementParty.objects.create(agreement=AgreementFactory(), actor=ActorFactory())
    return AgreementParty(agreement=existing.agreement, actor=existing.actor)


def duplicate_citation() -> InitiativeCitation:
    existing = InitiativeCitation.objects.create(
        record=InitiativeFactory(), source=SourceFactory(), locator="p. 2"
    )
    return InitiativeCitation(record=existing.record, source=existing.source, locator="p. 2")


RULES = {
    "latitude in range": Rule(lambda: CityFactory.build(latitude=91.0), "latitude", "90", True),
    "longitude in range": Rule(
        lambda: CityFactory.build(longitude=-180.5), "longitude", "-180", True
    ),
    "coordinates come in pairs": Rule(
        lambda: CityFactory.build(longitude=None), "longitude", "both latitude and longitude", True
    ),
    "strategy year needs a strategy": Rule(
        lambda: CityFactory.build(strategy=Strategy.NONE_KNOWN, strategy_since=2018),
        "strategy_since",
        "Only a comprehensive strategy",
        True,
    ),
    "strategy year plausible": Rule(
        lambda: CityFactory.build(strategy=Strategy.COMPREHENSIVE, strategy_since=1850),
        "strategy_since",
        "1900",
        True,
    ),
    "slug unique": Rule(
        lambda: CityFactory.build(slug=CityFactory().slug), "slug", "already exists", True
    ),
    "actor not its own parent": Rule(self_parented(ActorFactory), "parent", "own", True),
    "actor not its own ancestor": Rule(own_ancestor_actor, "parent", "own ancestor", False),
    "actor founding year plausible": Rule(
        lambda: ActorFactory.build(founded=2101), "founded", "2100", True
    ),
    "actor city in its country": Rule(
        lambda: ActorFactory.build(country=Country.objects.get(code="FR"), city=CityFactory()),
        "city",
        "is in Switzerland, not in France",
        False,
    ),
    "ROR id format": Rule(
        lambda: ActorFactory.build(ror_id="https://ror.org/05gq02987"), "ror_id", "ROR id", False
    ),
    "Wikidata id format": Rule(
        lambda: ActorFactory.build(wikidata_id="42"), "wikidata_id", "Wikidata item id", False
    ),
    "initiative ends after it starts": Rule(
        lambda: InitiativeFactory.build(
            status=InitiativeStatus.COMPLETED, start_year=2020, end_year=2019
        ),
        "end_year",
        "cannot be before the start year",
        True,
    ),
    "initiative start year plausible": Rule(
        lambda: InitiativeFactory.build(start_year=1899), "start_year", "1900", True
    ),
    "only an ended initiative has an end year": Rule(
        lambda: InitiativeFactory.build(status=InitiativeStatus.ACTIVE, end_year=2020),
        "end_year",
        "Only a completed or suspended initiative",
        True,
    ),
    "initiative not its own parent": Rule(
        self_parented(InitiativeFactory), "parent", "itself", True
    ),
    "initiative not its own ancestor": Rule(
        own_ancestor_initiative, "parent", "part of itself", False
    ),
    "a role once per actor and initiative": Rule(
        duplicate_participation, NON_FIELD_ERRORS, "already has this role", True
    ),
    "participation ends after it starts": Rule(
        lambda: Participation(
            initiative=InitiativeFactory(),
            actor=ActorFactory(),
            role=ParticipationRole.MEMBER,
            start_year=2010,
            end_year=2009,
        ),
        "end_year",
        "cannot be before the start year",
        True,
    ),
    "course ends after it starts": Rule(
        lambda: CourseFactory.build(
            starts_on=datetime.date(2023, 6, 20), ends_on=datetime.date(2023, 6, 19)
        ),
        "ends_on",
        "cannot be before the start",
        True,
    ),
    "course deadline not after its start": Rule(
        lambda: CourseFactory.build(
            starts_on=datetime.date(2023, 6, 20), application_deadline=datetime.date(2023, 6, 21)
        ),
        "application_deadline",
        "cannot be after the start",
        True,
    ),
    "course end needs a start": Rule(
        lambda: CourseFactory.build(ends_on=datetime.date(2023, 6, 23)),
        "ends_on",
        "start date",
        True,
    ),
    "a free course has no fee": Rule(
        lambda: CourseFactory.build(is_free=True, fee="EUR 100"), "fee", "free course", True
    ),
    "an online course has no city": Rule(
        lambda: CourseFactory.build(format=CourseFormat.ONLINE, city=CityFactory()),
        "city",
        "online course",
        True,
    ),
    "course language known": Rule(
        lambda: CourseFactory.build(language="english"), "language", "language code", False
    ),
    "agreement in force after signature": Rule(
        lambda: AgreementFactory.build(
            signed_on=datetime.date(2007, 1, 1),
            signed_on_precision="year",
            in_force_on=datetime.date(2006, 11, 1),
            in_force_on_precision="month",
        ),
        "in_force_on",
        "before it is signed",
        True,
    ),
    "agreement ends after entry into force": Rule(
        lambda: AgreementFactory.build(
            in_force_on=datetime.date(2007, 10, 24),
            in_force_on_precision="day",
            ended_on=datetime.date(2007, 10, 23),
            ended_on_precision="day",
        ),
        "ended_on",
        "before it enters into force",
        True,
    ),
    "a date has a precision": Rule(
        lambda: AgreementFactory.build(signed_on=datetime.date(2019, 1, 1)),
        "signed_on",
        "day, month or year",
        True,
    ),
    "a date known to a month has no day": Rule(
        lambda: AgreementFactory.build(
            signed_on=datetime.date(2022, 7, 15), signed_on_precision="month"
        ),
        "signed_on",
        "first day",
        False,
    ),
    "a party appears once per agreement": Rule(
        duplicate_party, NON_FIELD_ERRORS, "already a party", True
    ),
    "a party joins after it signs": Rule(
        lambda: AgreementParty(
            agreement=AgreementFactory(),
            actor=ActorFactory(),
            signed_on=datetime.date(2006, 11, 21),
            signed_on_precision="day",
            joined_on=datetime.date(2006, 1, 1),
            joined_on_precision="year",
        ),
        "joined_on",
        "cannot join before it signs",
        True,
    ),
    "a source is cited once per locator": Rule(
        duplicate_citation, NON_FIELD_ERRORS, "already cited", True
    ),
    "there are 17 SDGs": Rule(lambda: SDG(number=18, name="Eighteen"), "number", "17", True),
    "country code format": Rule(
        lambda: Country(code="ch", name="Lowercase", numeric_code="999"),
        "code",
        "two capital letters",
        False,
    ),
}


@pytest.mark.parametrize("rule", RULES.values(), ids=RULES.keys())
def test_validation_names_the_field(rule: Rule):
    instance = rule.make()
    with pytest.raises(ValidationError) as raised:
        instance.full_clean()
    messages = raised.value.message_dict
    assert rule.field in messages, messages
    assert any(rule.message in message for message in messages[rule.field]), messages


DATABASE_RULES = {name: rule for name, rule in RULES.items() if rule.enforced_by_database}


@pytest.mark.parametrize("rule", DATABASE_RULES.values(), ids=DATABASE_RULES.keys())
def test_database_enforces_the_rule(rule: Rule):
    instance = rule.make()
    with pytest.raises(IntegrityError), transaction.atomic():
        instance.save()


def test_valid_records_pass_every_rule():
    city = CityFactory(strategy=Strategy.COMPREHENSIVE, strategy_since=2018)
    actor = ActorFactory(country=city.country, city=city, founded=1999, ror_id="05gq02987")
    initiative = InitiativeFactory(
        status=InitiativeStatus.COMPLETED, start_year=2018, end_year=2020
    )
    participation = Participation(
        initiative=initiative, actor=actor, role=ParticipationRole.LEAD, start_year=2018
    )
    for instance in (city, actor, initiative, participation):
        instance.full_clean()


# Written by the software itself, never by a curator: a version copies a validated record.
INTERNAL_MODELS = {"Version", "LinkCheck", "Revision", "ImportJob"}
CURATED_TEXT = [
    field
    for model in apps.get_app_config("catalogue").get_models()
    if model.__name__ not in INTERNAL_MODELS and "Search" not in model.__name__
    for field in model._meta.concrete_fields
    # Slugs, addresses and choices allow no control character already.
    if type(field) in (models.CharField, models.TextField) and not field.choices
]


@pytest.mark.parametrize("field", CURATED_TEXT, ids=lambda field: str(field))
@pytest.mark.parametrize("character", ["\x00", "\x01", "\x1b", "\x1f", "\x7f"], ids=repr)
def test_no_curated_text_holds_a_control_character(field, character):
    with pytest.raises(ValidationError):
        field.run_validators(f"a{character}b")


@pytest.mark.parametrize("field", CURATED_TEXT, ids=lambda field: str(field))
def test_only_a_text_of_several_lines_holds_tabs_and_line_breaks(field):
    if isinstance(field, models.TextField):
        field.run_validators("a\tb\r\nc")
    else:
        with pytest.raises(ValidationError):
            field.run_validators("a\nb")


def checks_alone(instance: models.Model) -> dict | None:
    """What `instance`'s check constraints say of it, each asking the database on its own."""
    errors = []
    for check in type(instance)._meta.constraints:
        if isinstance(check, models.CheckConstraint):
            try:
                check.validate(type(instance), instance)
            except ValidationError as error:
                errors.append(error)
    found = merged(errors)
    return found and found.message_dict


def participations() -> list[Participation]:
    initiative, actor = InitiativeFactory(), ActorFactory()
    years = [(2018, None), (1850, 2020), (2020, 2019), (2020, 2200), (None, 1800), (1700, 1600)]
    return [
        Participation(
            initiative=initiative, actor=actor, role="lead", start_year=start, end_year=end
        )
        for start, end in years
    ]


def parties() -> list[AgreementParty]:
    agreement, actor = AgreementFactory(), ActorFactory()
    early, late = datetime.date(2019, 5, 1), datetime.date(2021, 5, 1)
    dates = [
        {"signed_on": early, "signed_on_precision": "day"},
        {"signed_on": early, "signed_on_precision": ""},
        {"joined_on_precision": "year"},
        {"signed_on": late, "signed_on_precision": "day", "joined_on": early},
        {"joined_on": late, "joined_on_precision": "month", "withdrew_on": early},
        {"signed_on": late, "signed_on_precision": "year", "withdrew_on": early},
        {},
    ]
    return [AgreementParty(agreement=agreement, actor=actor, role="party", **d) for d in dates]


@pytest.mark.parametrize("make_rows", [participations, parties])
def test_rows_checks_judged_in_one_query_say_what_each_says_alone(
    make_rows, django_assert_num_queries
):
    rows = make_rows()
    expected = [checks_alone(row) for row in rows]
    assert None in expected
    assert len({str(errors) for errors in expected if errors}) >= 4
    with django_assert_num_queries(1):
        judged = broken_checks(rows, [set()] * len(rows))
    assert [error and error.message_dict for error in judged] == expected


def test_a_records_checks_are_judged_in_one_query_and_say_what_each_says_alone(
    django_assert_num_queries,
):
    day = datetime.date(2024, 5, 1)
    courses = [
        CourseFactory.build(starts_on=day, ends_on=day + datetime.timedelta(days=3)),
        CourseFactory.build(starts_on=day, ends_on=day - datetime.timedelta(days=1)),
        CourseFactory.build(
            starts_on=day,
            application_deadline=day + datetime.timedelta(days=9),
            is_free=True,
            fee="100 EUR",
        ),
        CourseFactory.build(starts_on=None, ends_on=day, format=CourseFormat.ONLINE),
    ]
    expected = [checks_alone(course) for course in courses]
    assert expected[0] is None
    assert len({str(errors) for errors in expected if errors}) == 3
    for course, errors in zip(courses, expected, strict=True):
        with django_assert_num_queries(1):
            try:
                course.validate_constraints()
            except ValidationError as error:
                assert error.message_dict == errors
            else:
                assert errors is None


def test_the_migration_takes_control_characters_out_of_stored_texts():
    migration = importlib.import_module(
        "catalogue.migrations.0014_texts_hold_no_control_characters"
    )
    actor = ActorFactory()
    initiative = InitiativeFactory()
    # Stored around the rules, as before them.
    Actor.objects.filter(pk=actor.pk).update(name="Ac\x01tor\x7f", acronym="A\x02B")
    Initiative.objects.filter(pk=initiative.pk).update(
        name="Hub\x1b", summary="Line one\r\nline\ttwo\x0c."
    )
    migration.clean_stored_texts(apps, None)
    actor.refresh_from_db()
    initiative.refresh_from_db()
    assert (actor.name, actor.acronym) == ("Actor", "AB")
    assert (initiative.name, initiative.summary) == ("Hub", "Line one\r\nline\ttwo.")
    actor.full_clean()
    initiative.full_clean()
