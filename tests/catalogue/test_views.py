"""The home page, global search, the 404 page and the health check."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

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
    counts = {opts.model_name: count for opts, count in response.context["counts"]}
    assert counts == {
        "initiative": Initiative.objects.published().count(),
        "actor": Actor.objects.published().count(),
        "course": Course.objects.published().count(),
        "agreement": Agreement.objects.published().count(),
        "city": City.objects.published().count(),
    }
    content = response.content.decode()
    assert 'action="/search/"' in content
    assert reverse("catalogue:initiative-list") in content


def test_home_shows_upcoming_courses_and_recent_changes(client):
    today = timezone.localdate()
    soon = CourseFactory(name="Summer school soon", starts_on=today + datetime.timedelta(days=9))
    CourseFactory(
        name="Hidden draft course",
        starts_on=today + datetime.timedelta(days=3),
        publication=Publication.DRAFT,
    )
    edited = Initiative.objects.get(slug="gesda")
    edited.save()
    response = client.get(reverse("catalogue:home"))
    assert list(response.context["upcoming_courses"]) == [soon]
    assert response.context["recent_records"][0] == edited
    assert "Hidden draft course" not in response.content.decode()


def test_home_query_count_is_constant(client, django_assert_num_queries):
    # One count per type, upcoming courses, five recent lists.
    with django_assert_num_queries(11):
        client.get(reverse("catalogue:home"))


def test_global_search_groups_results_by_type(client):
    response = client.get(reverse("catalogue:search"), {"q": "Geneva"})
    groups = {group["opts"].model_name: group for group in response.context["groups"]}
    assert "gesda" in [record.slug for record in groups["initiative"]["records"]]
    assert "geneva" in [record.slug for record in groups["city"]["records"]]
    assert "city-of-geneva" in [record.slug for record in groups["actor"]["records"]]
    content = response.content.decode()
    assert content.index('id="group-initiative"') < content.index('id="group-city"')


def test_global_search_never_shows_drafts(client):
    InitiativeFactory(name="Zanzibar draft programme", publication=Publication.DRAFT)
    response = client.get(reverse("catalogue:search"), {"q": "zanzibar"})
    assert response.context["total"] == 0
    assert "Nothing matches" in response.content.decode()


def test_helpful_404(client, settings):
    settings.DEBUG = False
    response = client.get("/initiatives/geneva-science-anticipator/")
    assert response.status_code == 404
    content = response.content.decode()
    assert 'value="geneva science anticipator"' in content
    assert reverse("catalogue:initiative-list") in content


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
