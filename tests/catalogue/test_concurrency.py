"""No save undoes another: a record's save writes only the fields it changed, and refuses a copy
read before another save; admin's change form and revert page refuse a decision made on a state
of the record that another save has since replaced, and show what changed.

The API's preconditions are in tests/api/test_preconditions.py; writers in several processes at
once in tests/test_concurrent_writes.py.
"""

import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalogue import history, workflow
from catalogue.models import Initiative, Publication
from catalogue.models.base import RecordChanged
from tests.catalogue.test_history import admin_url, form_data, versions_of
from tests.factories import RECORD_FACTORIES, InitiativeFactory

pytestmark = pytest.mark.django_db

FACTORIES = list(RECORD_FACTORIES.values())
SAVES_WHEN_OPENED = re.compile(r'name="saves_when_opened" value="(\d+)"')


def fresh(record):
    return type(record).objects.get(pk=record.pk)


@pytest.mark.parametrize("factory", FACTORIES)
def test_a_copy_read_before_another_save_is_refused_and_changes_nothing(factory):
    record = factory(summary="As created.")
    first, second = fresh(record), fresh(record)
    first.summary = "Saved first."
    first.save()
    second.name = "Saved second"
    with pytest.raises(RecordChanged):
        second.save()
    stored = fresh(record)
    assert (stored.name, stored.summary) == (record.name, "Saved first.")
    second.refresh_from_db()
    second.name = "Saved second"
    second.save()
    stored = fresh(record)
    assert (stored.name, stored.summary) == ("Saved second", "Saved first.")


@pytest.mark.parametrize("factory", FACTORIES)
def test_a_save_writes_only_the_fields_it_changed_and_counts_itself(factory):
    record = factory()
    copy = fresh(record)
    copy.summary = "Changed."
    with CaptureQueriesContext(connection) as queries:
        copy.save()
    table = type(record)._meta.db_table
    writes = [
        query["sql"]
        for query in queries
        if query["sql"].startswith(f'UPDATE "{table}" SET') and "summary" in query["sql"]
    ]
    assert len(writes) == 1, [query["sql"] for query in queries]
    assigned = re.findall(r'"(\w+)" = ', writes[0].split(" WHERE ")[0])
    assert sorted(assigned) == ["lock_version", "summary", "updated_at"]
    assert copy.lock_version == fresh(record).lock_version == record.lock_version + 1


@pytest.mark.parametrize("factory", FACTORIES)
def test_a_copy_of_a_deleted_record_is_not_saved_back(factory):
    record = factory()
    copy = fresh(record)
    record.delete()
    copy.summary = "Too late."
    with pytest.raises(RecordChanged):
        copy.save()
    assert not type(record).objects.filter(pk=record.pk).exists()


def change_url(record) -> str:
    return admin_url(record, "change")


def saved_meanwhile(record, **values) -> None:
    """Another curator's save of `record`, made after a form was opened."""
    with history.recording(message="Saved meanwhile."):
        copy = fresh(record)
        for name, value in values.items():
            setattr(copy, name, value)
        copy.save()


@pytest.mark.parametrize("factory", FACTORIES)
def test_an_admin_form_opened_before_another_save_is_refused_showing_the_differences(
    curator_client, factory
):
    record = factory(summary="As opened.")
    model_name = type(record)._meta.model_name
    data = form_data(curator_client.get(change_url(record)), model_name)
    saved_meanwhile(record, summary="Saved meanwhile.")
    data.update(name=["Renamed in the form"], _save=["Save"])
    versions = len(versions_of(record))
    response = curator_client.post(change_url(record), data)
    assert response.status_code == 200
    text = unescape(response.content.decode())
    assert "after you opened this form" in text
    assert '<th scope="row">Summary</th><td>Saved meanwhile.</td><td>As opened.</td>' in text
    assert f'<th scope="row">Name</th><td>{record.name}</td><td>Renamed in the form</td>' in text
    stored = fresh(record)
    assert (stored.name, stored.summary) == (record.name, "Saved meanwhile.")
    assert len(versions_of(record)) == versions
    # Opened again, the form holds what was saved meanwhile, and saves.
    data = form_data(curator_client.get(change_url(record)), model_name)
    data.update(name=["Renamed in the form"], _save=["Save"])
    response = curator_client.post(change_url(record), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    stored = fresh(record)
    assert (stored.name, stored.summary) == ("Renamed in the form", "Saved meanwhile.")


def test_an_admin_form_without_its_count_of_saves_is_refused(curator_client):
    record = InitiativeFactory(summary="As opened.")
    data = form_data(curator_client.get(change_url(record)), "initiative")
    del data["saves_when_opened"]
    data.update(summary=["From a form that says nothing of when it was opened."])
    response = curator_client.post(change_url(record), data)
    assert response.status_code == 200
    assert fresh(record).summary == "As opened."


def test_a_contributor_s_form_on_a_draft_published_meanwhile_is_refused(
    contributor_client, curator
):
    draft = InitiativeFactory(publication=Publication.DRAFT)
    data = form_data(contributor_client.get(change_url(draft)), "initiative")
    workflow.transition(draft, "publish", user=curator)
    data.update(description=["A contributor's late edit."], _save=["Save"])
    response = contributor_client.post(change_url(draft), data)
    assert response.status_code == 403
    stored = fresh(draft)
    assert (stored.publication, stored.description) == (Publication.PUBLISHED, "")


def test_a_revert_confirmed_after_another_save_is_asked_again(curator_client):
    with history.recording():
        record = InitiativeFactory(name="First name")
    first = versions_of(record)[0]
    saved_meanwhile(record, name="Second name")
    url = admin_url(record, "revert", first.pk)
    shown = SAVES_WHEN_OPENED.search(curator_client.get(url).content.decode())[1]
    saved_meanwhile(record, summary="Saved while the revert page was open.")
    response = curator_client.post(url, {"saves_when_opened": shown, "change_note": "Why."})
    assert response.status_code == 200
    text = unescape(response.content.decode())
    assert "saved again after this page was shown" in text
    assert fresh(record).name == "Second name"
    asked_again = SAVES_WHEN_OPENED.search(text)[1]
    assert int(asked_again) == fresh(record).lock_version
    response = curator_client.post(url, {"saves_when_opened": asked_again, "change_note": "Why."})
    assert response.status_code == 302
    stored = fresh(record)
    assert (stored.name, stored.summary) == ("First name", "")


def test_every_save_of_one_record_counts_once_whatever_its_path(curator):
    with history.recording():
        record = InitiativeFactory()
    counts = [fresh(record).lock_version]
    saved_meanwhile(record, summary="One.")
    counts.append(fresh(record).lock_version)
    workflow.transition(fresh(record), "send_back", user=curator, comment="Cite it.")
    counts.append(fresh(record).lock_version)
    history.revert(record, versions_of(record)[-1], user=curator)
    counts.append(fresh(record).lock_version)
    assert counts == sorted(set(counts)), counts
    assert Initiative.objects.get(pk=record.pk).publication == Publication.PUBLISHED
