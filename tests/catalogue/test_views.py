"""The home page and record pages that exist before the readers' site."""

import pytest
from django.urls import reverse

from catalogue.models import Actor, Agreement, City, Course, Initiative, Publication
from tests.factories import (
    ActorFactory,
    AgreementFactory,
    CityFactory,
    CourseFactory,
    InitiativeFactory,
)

pytestmark = pytest.mark.django_db

FACTORIES = [ActorFactory, AgreementFactory, CityFactory, CourseFactory, InitiativeFactory]


def test_home_counts_published_records(client):
    InitiativeFactory(publication=Publication.DRAFT)
    response = client.get(reverse("catalogue:home"))
    assert response.status_code == 200
    counts = dict(response.context["counts"])
    assert counts == {
        "initiatives": Initiative.objects.published().count(),
        "actors": Actor.objects.published().count(),
        "courses": Course.objects.published().count(),
        "agreements": Agreement.objects.published().count(),
        "cities": City.objects.published().count(),
    }
    assert reverse("admin:index") in response.content.decode()


@pytest.mark.parametrize("factory", FACTORIES, ids=lambda f: f._meta.model.__name__)
def test_published_record_page(client, factory):
    record = factory(summary="A summary for the page.")
    response = client.get(record.get_absolute_url())
    assert response.status_code == 200
    assert record.name in response.content.decode()
    assert "A summary for the page." in response.content.decode()


@pytest.mark.parametrize("factory", FACTORIES, ids=lambda f: f._meta.model.__name__)
def test_drafts_are_hidden_from_readers_and_shown_to_staff(client, curator, factory):
    record = factory(publication=Publication.DRAFT)
    assert client.get(record.get_absolute_url()).status_code == 404
    client.force_login(curator)
    response = client.get(record.get_absolute_url())
    assert response.status_code == 200
    assert "readers do not see it yet" in response.content.decode()


def test_archived_records_stay_reachable_with_a_notice(client):
    record = InitiativeFactory(publication=Publication.ARCHIVED)
    response = client.get(record.get_absolute_url())
    assert response.status_code == 200
    assert "This record is archived" in response.content.decode()


def test_health_check(client):
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
