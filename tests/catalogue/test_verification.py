"""Curators mark records verified from every record list, each as a version, and find the
records never verified or verified over a year ago with a list filter."""

import datetime

import pytest
from django.contrib.auth.models import Permission, User
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from catalogue.history import recording
from catalogue.models import Initiative, Publication, Version, VersionAction
from tests.factories import (
    ActorFactory,
    AgreementFactory,
    CityFactory,
    CourseFactory,
    InitiativeFactory,
)

pytestmark = pytest.mark.django_db

FACTORIES = [CityFactory, ActorFactory, InitiativeFactory, CourseFactory, AgreementFactory]


def factory_name(factory) -> str:
    return factory._meta.model.__name__


def changelist(model) -> str:
    return reverse(f"admin:catalogue_{model._meta.model_name}_changelist")


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def offered_actions(response) -> list[str]:
    action_form = response.context["action_form"]
    if action_form is None:
        return []
    return [name for name, _ in action_form.fields["action"].choices]


def days_ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


@pytest.mark.parametrize("factory", FACTORIES, ids=factory_name)
def test_mark_verified_sets_today_and_keeps_a_version_of_each(curator_client, curator, factory):
    model = factory._meta.model
    with recording(user=curator):
        never, stale = factory(last_verified=None), factory(last_verified=days_ago(400))
    unselected = factory(last_verified=None)

    page = curator_client.get(changelist(model))
    assert "mark_verified" in offered_actions(page)
    response = curator_client.post(
        changelist(model),
        {"action": "mark_verified", "_selected_action": [never.pk, stale.pk]},
        follow=True,
    )

    assert "2 record(s) marked verified today." in messages_of(response)
    for record in (never, stale):
        record.refresh_from_db()
        assert record.last_verified == timezone.localdate()
        version = Version.objects.of(record).first()
        assert version.action == VersionAction.CHANGED
        assert version.changed_fields == ["last_verified"]
        assert (version.user, version.message) == (curator, "Verified against its sources.")
    unselected.refresh_from_db()
    assert unselected.last_verified is None


def test_a_record_verified_today_is_left_alone(curator_client, curator):
    with recording(user=curator):
        record = InitiativeFactory(last_verified=timezone.localdate())
    versions = Version.objects.of(record).count()
    response = curator_client.post(
        changelist(Initiative),
        {"action": "mark_verified", "_selected_action": [record.pk]},
        follow=True,
    )
    assert "0 record(s) marked verified today." in messages_of(response)
    assert Version.objects.of(record).count() == versions


def test_mark_verified_needs_the_change_permission(client):
    viewer = User.objects.create_user("viewer", password="a-long-passphrase-42", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_initiative"))
    client.force_login(viewer)
    record = InitiativeFactory(last_verified=None)

    assert "mark_verified" not in offered_actions(client.get(changelist(Initiative)))
    client.post(
        changelist(Initiative), {"action": "mark_verified", "_selected_action": [record.pk]}
    )
    record.refresh_from_db()
    assert record.last_verified is None


def test_a_contributor_verifies_drafts_but_not_published_records(contributor_client):
    draft = InitiativeFactory(last_verified=None, publication=Publication.DRAFT)
    published = InitiativeFactory(last_verified=None, publication=Publication.PUBLISHED)
    response = contributor_client.post(
        changelist(Initiative),
        {"action": "mark_verified", "_selected_action": [draft.pk, published.pk]},
        follow=True,
    )
    draft.refresh_from_db()
    published.refresh_from_db()
    assert draft.last_verified == timezone.localdate()
    assert published.last_verified is None
    assert "1 record(s) marked verified today." in messages_of(response)
    assert f'1 record(s) you may not change left as they were: "{published}".' in messages_of(
        response
    )


VERIFICATION_STATES = {
    "never": lambda record: record.last_verified is None,
    "overdue": lambda record: record.last_verified is not None and record.is_verification_overdue,
    "current": lambda record: not record.is_verification_overdue,
}


@pytest.mark.parametrize("factory", FACTORIES, ids=factory_name)
def test_the_verification_filter_agrees_with_is_verification_overdue(curator_client, factory):
    model = factory._meta.model
    made = {
        "never": factory(last_verified=None),
        "overdue": factory(last_verified=days_ago(366)),
        # The last day on which a verification still holds.
        "current": factory(last_verified=days_ago(365)),
    }
    page = curator_client.get(changelist(model)).content.decode()
    for label in ("By verification", "never verified", "over a year ago", "within the last year"):
        assert label in page

    for value, holds in VERIFICATION_STATES.items():
        response = curator_client.get(changelist(model), {"verification": value})
        shown = set(response.context["cl"].queryset.values_list("pk", flat=True))
        assert shown == {record.pk for record in model.objects.all() if holds(record)}
        assert {state for state, record in made.items() if record.pk in shown} == {value}
