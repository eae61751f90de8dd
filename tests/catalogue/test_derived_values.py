"""Values the catalogue derives instead of storing: sector, course state, kinds of agreement,
verification age, timestamps."""

import datetime

import pytest
from django.utils import timezone

from catalogue.models import (
    ActorKind,
    AgreementParty,
    Course,
    CourseState,
    PartyRole,
    Sector,
)
from tests.factories import ActorFactory, AgreementFactory, CourseFactory, InitiativeFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 21)


@pytest.mark.parametrize(
    ("kind", "sector"),
    [
        (ActorKind.LOCAL_GOVERNMENT, Sector.GOVERNMENT),
        (ActorKind.INTERGOVERNMENTAL, Sector.GOVERNMENT),
        (ActorKind.ACADEMY, Sector.RESEARCH),
        (ActorKind.COMPANY, Sector.INDUSTRY),
        (ActorKind.NON_PROFIT, Sector.CIVIL_SOCIETY),
    ],
)
def test_sector_follows_kind(kind, sector):
    assert ActorFactory.build(kind=kind).sector == sector


def test_every_actor_kind_has_a_sector():
    for kind in ActorKind:
        assert ActorFactory.build(kind=kind).sector in Sector


def day(offset: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=offset)


@pytest.mark.parametrize(
    ("starts", "ends", "deadline", "state"),
    [
        (day(30), day(33), day(10), CourseState.OPEN),
        (day(30), day(33), day(0), CourseState.OPEN),
        (day(30), day(33), day(-1), CourseState.UPCOMING),
        (day(30), None, None, CourseState.UPCOMING),
        (day(-1), day(2), None, CourseState.RUNNING),
        (day(0), None, None, CourseState.RUNNING),
        (day(-4), day(-1), None, CourseState.PAST),
        (day(-1), None, None, CourseState.PAST),
        (None, None, None, None),
    ],
)
def test_course_state_is_computed_from_its_dates(starts, ends, deadline, state):
    course = CourseFactory.build(starts_on=starts, ends_on=ends, application_deadline=deadline)
    assert course.state_on(TODAY) == state


def test_upcoming_and_past_editions():
    soon = CourseFactory(starts_on=day(5))
    later = CourseFactory(starts_on=day(50))
    finished = CourseFactory(starts_on=day(-10), ends_on=day(-8))
    running = CourseFactory(starts_on=day(-1), ends_on=day(1))
    upcoming = list(Course.objects.upcoming(TODAY).filter(pk__in=[soon.pk, later.pk, running.pk]))
    assert upcoming == [soon, later]
    past = Course.objects.past(TODAY).filter(pk__in=[finished.pk, running.pk])
    assert list(past) == [finished]


def parties(agreement, *kinds, role=PartyRole.PARTY):
    for kind in kinds:
        AgreementParty.objects.create(agreement=agreement, actor=ActorFactory(kind=kind), role=role)


def test_bilateral_city_to_state_agreement():
    agreement = AgreementFactory()
    parties(agreement, ActorKind.LOCAL_GOVERNMENT, ActorKind.NATIONAL_GOVERNMENT)
    parties(agreement, ActorKind.INTERGOVERNMENTAL, role=PartyRole.OBSERVER)
    assert agreement.is_bilateral and not agreement.is_multilateral
    assert agreement.is_city_to_state


def test_multilateral_agreement_between_states():
    agreement = AgreementFactory()
    parties(agreement, *[ActorKind.NATIONAL_GOVERNMENT] * 3)
    assert agreement.is_multilateral and not agreement.is_bilateral
    assert not agreement.is_city_to_state


def test_verification_goes_out_of_date_after_a_year():
    today = timezone.localdate()
    assert InitiativeFactory.build(last_verified=None).is_verification_overdue
    assert not InitiativeFactory.build(last_verified=today).is_verification_overdue
    assert InitiativeFactory.build(
        last_verified=today - datetime.timedelta(days=366)
    ).is_verification_overdue


def test_saving_updates_updated_at_but_not_created_at():
    initiative = InitiativeFactory()
    created, updated = initiative.created_at, initiative.updated_at
    initiative.name = "Renamed"
    initiative.save()
    initiative.refresh_from_db()
    assert initiative.created_at == created
    assert initiative.updated_at > updated
    renamed_at = initiative.updated_at
    initiative.name = "Renamed again"
    initiative.save(update_fields=["name"])
    initiative.refresh_from_db()
    assert initiative.updated_at > renamed_at
