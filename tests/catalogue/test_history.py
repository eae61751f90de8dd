"""Every write keeps a version with who made it and why; curators read the history in admin,
revert a record to any version and restore a deleted one with its relations; readers see a short
public change log on each record's page and an Atom feed of recent changes, never who changed a
record nor the curators' messages."""

import re
import xml.etree.ElementTree as ET
from html import unescape
from html.parser import HTMLParser

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalogue import history
from catalogue.changes import RECORD_PAGE_CHANGES
from catalogue.models import (
    Actor,
    Agreement,
    AgreementParty,
    City,
    Initiative,
    InitiativeCitation,
    Participation,
    Publication,
    Version,
)
from catalogue.models.curation import VersionAction
from tests.api.conftest import token_client
from tests.factories import (
    ActorFactory,
    AgreementFactory,
    CityFactory,
    CourseFactory,
    InitiativeFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
SECRET_NOTE = "Editorial: the funder asked us to hide this until March."


class FormFields(HTMLParser):
    """The fields a browser would send from the admin form on a page, with their values."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id = form_id
        self.in_form = False
        self.select: str | None = None
        self.textarea: str | None = None
        self.data: dict[str, list[str]] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.in_form = attrs.get("id") == self.form_id
        if not self.in_form or "disabled" in attrs:
            return
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button", "file"):
            checkable = attrs.get("type") in ("checkbox", "radio")
            if checkable and "checked" not in attrs:
                return
            self.data.setdefault(name, []).append(attrs.get("value", "on" if checkable else ""))
        elif tag == "select":
            self.select = name
            self.data.setdefault(name, [])
        elif tag == "option" and self.select and "selected" in attrs:
            self.data[self.select].append(attrs.get("value", ""))
        elif tag == "textarea":
            self.textarea = name
            self.data[name] = [""]

    def handle_endtag(self, tag):
        if tag == "form":
            self.in_form = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data):
        if self.textarea:
            self.data[self.textarea][0] += data


def form_data(response, model_name: str) -> dict[str, list[str]]:
    """What submitting the admin form of `response` unchanged would send."""
    assert response.status_code == 200
    parser = FormFields(f"{model_name}_form")
    parser.feed(response.content.decode())
    # A textarea's content starts after the newline that follows its tag.
    return {
        name: [value.removeprefix("\n") for value in values] for name, values in parser.data.items()
    }


def revert_form(record, **data) -> dict:
    """A revert's confirmation as its page posts it: with the record's count of saves as the
    page was shown."""
    return {"saves_when_opened": type(record).objects.get(pk=record.pk).lock_version, **data}


def versions_of(record) -> list[Version]:
    return list(Version.objects.of(record))


def admin_url(record, view: str, *args) -> str:
    opts = record._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=[record.pk, *args])


@pytest.fixture
def initiative(curator) -> Initiative:
    """A published initiative with a lead, a partner and a source, as a curator wrote it."""
    with history.recording(user=curator, message="First written."):
        initiative = InitiativeFactory(
            name="Harbour science hub",
            slug="harbour-science-hub",
            summary="A hub where the port meets the university.",
            website="https://harbour.example.org/",
        )
        Participation.objects.create(
            initiative=initiative, actor=ActorFactory(name="Port authority"), role="lead"
        )
        Participation.objects.create(
            initiative=initiative, actor=ActorFactory(name="Harbour university"), role="partner"
        )
        InitiativeCitation.objects.create(
            record=initiative, source=SourceFactory(title="Harbour report"), locator="p. 3"
        )
    return initiative


def change_initiative(curator, initiative, **values) -> Version:
    with history.recording(user=curator, message="Changed."):
        for field, value in values.items():
            setattr(initiative, field, value)
        initiative.save()
    return Version.objects.of(initiative).first()


# Every write path keeps versions, with who and why


def test_an_admin_change_with_inlines_is_one_version_with_its_note(
    curator_client, curator, initiative
):
    page = curator_client.get(admin_url(initiative, "change"))
    data = form_data(page, "initiative")
    assert "Change note" in page.content.decode()
    lead = Participation.objects.get(initiative=initiative, role="lead")
    [index] = [
        name.split("-")[1]
        for name, values in data.items()
        if re.fullmatch(r"participations-\d+-id", name) and values == [str(lead.pk)]
    ]
    data.update(
        {
            "status": ["suspended"],
            f"participations-{index}-DELETE": ["on"],
            "participations-TOTAL_FORMS": ["3"],
            "participations-2-actor": [str(ActorFactory(name="Maritime museum").pk)],
            "participations-2-role": ["host"],
            "citations-0-locator": ["pp. 3-4"],
            "change_note": ["Checked against the 2025 annual report."],
            "_save": ["Save"],
        }
    )
    before = len(versions_of(initiative))
    response = curator_client.post(admin_url(initiative, "change"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    versions = versions_of(initiative)
    assert len(versions) == before + 1
    newest = versions[0]
    assert newest.action == VersionAction.CHANGED
    assert set(newest.changed_fields) == {"status", "participations", "citations"}
    assert (newest.user, newest.user_name) == (curator, "curator")
    assert newest.message == "Checked against the 2025 annual report."
    actors = {row["actor"] for row in newest.document["participations"]}
    assert lead.actor.slug not in actors
    assert Actor.objects.get(name="Maritime museum").slug in actors
    # The versions are the one audit trail: admin keeps no log of its own beside them.
    assert not LogEntry.objects.exists()


def test_an_admin_add_with_inlines_is_one_created_version(curator_client, curator):
    data = form_data(curator_client.get(reverse("admin:catalogue_initiative_add")), "initiative")
    actor = ActorFactory(name="Lighthouse foundation")
    data.update(
        {
            "name": ["Lighthouse climate observatory"],
            "slug": ["lighthouse-climate-observatory"],
            "kind": ["facility"],
            "status": ["active"],
            "level": ["city"],
            "participations-TOTAL_FORMS": ["1"],
            "participations-0-actor": [str(actor.pk)],
            "participations-0-role": ["lead"],
            "citations-TOTAL_FORMS": ["1"],
            "citations-0-source": [str(SourceFactory().pk)],
            "change_note": ["From the founding press release."],
            "_save": ["Save"],
        }
    )
    response = curator_client.post(reverse("admin:catalogue_initiative_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    initiative = Initiative.objects.get(slug="lighthouse-climate-observatory")
    [version] = versions_of(initiative)
    assert version.action == VersionAction.CREATED
    assert (version.user, version.message) == (curator, "From the founding press release.")
    assert version.document["participations"][0]["actor"] == actor.slug
    assert len(version.document["citations"]) == 1
    assert not LogEntry.objects.exists()


def test_an_admin_delete_keeps_the_state_it_deleted(curator_client, curator, initiative):
    response = curator_client.post(admin_url(initiative, "delete"), {"post": "yes"})
    assert response.status_code == 302
    assert not Initiative.objects.filter(pk=initiative.pk).exists()
    [deleted] = Version.objects.deleted(Initiative).filter(slug=initiative.slug)
    assert (deleted.user, deleted.record_id) == (curator, initiative.pk)
    assert len(deleted.document["participations"]) == 2
    assert not LogEntry.objects.exists()


def test_api_writes_keep_versions_with_the_curator_and_the_change_note(curator):
    api = token_client(curator)
    actor, other = ActorFactory(), ActorFactory()
    payload = {
        "slug": "harbour-data-memorandum",
        "name": "Harbour data memorandum",
        "kind": "mou",
        "status": "under_negotiation",
        "parties": [{"actor": actor.slug, "role": "party"}],
    }
    url = "/api/v1/agreements/harbour-data-memorandum/"
    notes = {
        "post": "Drafted from the minutes.",
        "put": "Second party joined.",
        "patch": "Signed on 3 March, per the press release – Müller.",
    }
    response = api.post(
        "/api/v1/agreements/", payload, format="json", HTTP_X_CHANGE_NOTE=notes["post"]
    )
    assert response.status_code == 201, response.json()
    agreement = Agreement.objects.get(slug="harbour-data-memorandum")
    payload["parties"].append({"actor": other.slug, "role": "party"})
    response = api.put(url, payload, format="json", HTTP_X_CHANGE_NOTE=notes["put"])
    assert response.status_code == 200, response.json()
    # As HTTP carries it: the UTF-8 bytes of the note, read as ISO-8859-1.
    encoded = notes["patch"].encode().decode("iso-8859-1")
    response = api.patch(url, {"status": "signed"}, format="json", HTTP_X_CHANGE_NOTE=encoded)
    assert response.status_code == 200, response.json()
    changed, replaced, created = versions_of(agreement)
    assert [(v.action, v.message) for v in (created, replaced, changed)] == [
        (VersionAction.CREATED, notes["post"]),
        (VersionAction.CHANGED, notes["put"]),
        (VersionAction.CHANGED, notes["patch"]),
    ]
    assert replaced.changed_fields == ["party_links"]
    assert changed.changed_fields == ["status"]
    assert {v.user for v in (created, replaced, changed)} == {curator}

    assert api.delete(url).status_code == 204
    [deleted] = Version.objects.deleted(Agreement).filter(slug="harbour-data-memorandum")
    assert (deleted.user_name, deleted.message) == ("curator", "")
    assert len(deleted.document["party_links"]) == 2


# The history page


def test_the_history_lists_versions_newest_first_with_a_readable_diff(
    curator_client, curator, initiative
):
    with history.recording(user=curator, message="Moved & renamed <b>itself</b>."):
        initiative.summary = "A hub where the port, the city and the university meet."
        initiative.status = "suspended"
        initiative.save()
        initiative.participations.filter(role="partner").delete()
    response = curator_client.get(admin_url(initiative, "history"))
    text = response.content.decode()
    assert response.status_code == 200
    assert f"Change history: {initiative.name}" in unescape(text)
    newest, first = text.split('<tr id="version-')[1:]
    assert "<td>curator</td>" in newest and "<td>changed</td>" in newest
    assert "summary, status, participants" in newest
    assert "Moved &amp; renamed &lt;b&gt;itself&lt;/b&gt;." in newest
    assert "<del>active</del>" in newest and "<ins>suspended</ins>" in newest
    assert "<del>Harbour university (role: partner)</del>" in newest
    assert "<del>port meets</del><ins>port,</ins> the <del>university.</del>" in newest
    assert "Revert to this version" not in newest
    assert "<td>created</td>" in first and "First written." in first
    assert "Revert to this version" in first


def test_a_version_without_a_user_is_by_sciplo(curator_client):
    gesda = Initiative.objects.get(slug="gesda")
    text = curator_client.get(admin_url(gesda, "history")).content.decode()
    assert "<td>Sciplo</td>" in text


def test_a_deleted_related_record_shows_by_its_slug(curator_client, curator, initiative):
    museum = ActorFactory(name="Maritime museum", slug="maritime-museum")
    with history.recording(user=curator):
        Participation.objects.create(initiative=initiative, actor=museum, role="host")
    with history.recording(user=curator):
        initiative.participations.filter(actor=museum).delete()
        museum.delete()
    text = curator_client.get(admin_url(initiative, "history")).content.decode()
    assert "<del>maritime-museum (role: host)</del>" in text
    assert "<ins>Maritime museum (role: host)</ins>" not in text


def page_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_history_page_costs_the_same_whatever_the_number_of_versions(
    curator_client, curator, initiative
):
    def add_a_partner() -> None:
        with history.recording(user=curator):
            Participation.objects.create(initiative=initiative, actor=ActorFactory(), role="member")
            initiative.start_year = (initiative.start_year or 2000) + 1
            initiative.save()

    add_a_partner()
    url = admin_url(initiative, "history")
    few = page_queries(curator_client, url)
    for _ in range(10):
        add_a_partner()
    assert page_queries(curator_client, url) == few


def test_the_deleted_list_costs_the_same_whatever_its_length(curator_client, curator):
    url = reverse("admin:catalogue_city_deleted")
    with history.recording(user=curator):
        CityFactory().delete()
    few = page_queries(curator_client, url)
    with history.recording(user=curator):
        for city in CityFactory.create_batch(10):
            city.delete()
    assert page_queries(curator_client, url) == few


# Revert


def test_a_revert_brings_back_the_fields_and_relations_as_a_new_version(
    curator_client, curator, initiative
):
    first = versions_of(initiative)[0]
    with history.recording(user=curator):
        initiative.name = "Harbour hub (renamed)"
        initiative.save()
        initiative.participations.all().delete()
        initiative.citations.all().delete()
    url = admin_url(initiative, "revert", first.pk)
    page = curator_client.get(url)
    text = unescape(page.content.decode())
    assert "<del>Harbour hub (renamed)</del>" in text
    assert "<ins>Port authority (role: lead)</ins>" in text
    assert "<ins>Harbour report (locator: p. 3)</ins>" in text
    response = curator_client.post(
        url, revert_form(initiative, change_note="The rename was a mistake.")
    )
    assert response.status_code == 302
    assert response.url == admin_url(initiative, "change")
    initiative.refresh_from_db()
    assert initiative.name == "Harbour science hub"
    assert set(initiative.participations.values_list("actor__name", "role")) == {
        ("Port authority", "lead"),
        ("Harbour university", "partner"),
    }
    assert list(initiative.citations.values_list("source__title", "locator")) == [
        ("Harbour report", "p. 3")
    ]
    newest = versions_of(initiative)[0]
    assert (newest.user, newest.message) == (curator, "The rename was a mistake.")
    assert set(newest.changed_fields) == {"name", "participations", "citations"}
    messages = [str(message) for message in response.wsgi_request._messages]
    assert any("is back to its version of" in message for message in messages)


def test_a_revert_without_a_note_says_which_version_it_went_back_to(
    curator_client, curator, initiative
):
    first = versions_of(initiative)[0]
    change_initiative(curator, initiative, status="suspended")
    curator_client.post(admin_url(initiative, "revert", first.pk), revert_form(initiative))
    assert versions_of(initiative)[0].message.startswith("Reverted to the version of ")


def test_a_revert_naming_a_deleted_actor_is_refused_and_changes_nothing(
    curator_client, curator, initiative
):
    first = versions_of(initiative)[0]
    partner = Actor.objects.get(name="Harbour university")
    with history.recording(user=curator):
        initiative.participations.filter(actor=partner).delete()
        initiative.status = "suspended"
        initiative.save()
    with history.recording(user=curator):
        partner.delete()
    count = len(versions_of(initiative))
    url = admin_url(initiative, "revert", first.pk)
    response = curator_client.post(url, revert_form(initiative))
    assert response.status_code == 200
    text = unescape(response.content.decode())
    assert "nothing has changed" in text
    assert f'Participants: row 2: actor: No actor has the slug "{partner.slug}".' in text
    initiative.refresh_from_db()
    assert initiative.status == "suspended"
    assert len(versions_of(initiative)) == count


def test_reverting_to_the_present_state_changes_nothing(curator_client, curator, initiative):
    first = versions_of(initiative)[0]
    change_initiative(curator, initiative, status="suspended")
    change_initiative(curator, initiative, status="active")
    text = curator_client.get(admin_url(initiative, "revert", first.pk)).content.decode()
    assert "reverting would change nothing" in text
    assert "Yes, revert" not in text


def test_a_version_of_another_record_is_not_found(curator_client, initiative):
    other = Version.objects.of(Initiative.objects.get(slug="gesda")).first()
    assert curator_client.get(admin_url(initiative, "revert", other.pk)).status_code == 404


# Restore


def test_a_deleted_initiative_is_restored_with_its_relations_and_history(
    curator_client, curator, initiative
):
    pk = initiative.pk
    curator_client.post(admin_url(initiative, "delete"), {"post": "yes"})
    [deleted] = Version.objects.deleted(Initiative).filter(slug="harbour-science-hub")
    listing = curator_client.get(reverse("admin:catalogue_initiative_deleted"))
    assert "Harbour science hub" in listing.content.decode()
    url = reverse("admin:catalogue_initiative_restore", args=[deleted.pk])
    text = unescape(curator_client.get(url).content.decode())
    assert "<ins>Port authority (role: lead)</ins>" in text
    response = curator_client.post(url, {"change_note": "Deleted by mistake."})
    assert response.status_code == 302
    assert response.url == reverse("admin:catalogue_initiative_change", args=[pk])
    restored = Initiative.objects.get(slug="harbour-science-hub")
    assert restored.pk == pk
    assert set(restored.participations.values_list("actor__name", "role")) == {
        ("Port authority", "lead"),
        ("Harbour university", "partner"),
    }
    assert restored.citations.get().locator == "p. 3"
    actions = [version.action for version in versions_of(restored)]
    assert actions == [VersionAction.RESTORED, VersionAction.DELETED, VersionAction.CREATED]
    assert versions_of(restored)[0].message == "Deleted by mistake."
    assert not Version.objects.deleted(Initiative).filter(slug="harbour-science-hub").exists()


def test_a_deleted_agreement_is_restored_with_its_parties(curator_client, curator):
    actors = ActorFactory.create_batch(2)
    with history.recording(user=curator):
        agreement = AgreementFactory(name="Harbour accord")
        for actor in actors:
            AgreementParty.objects.create(agreement=agreement, actor=actor, role="party")
    with history.recording(user=curator):
        agreement.delete()
    [deleted] = Version.objects.deleted(Agreement).filter(slug=agreement.slug)
    curator_client.post(reverse("admin:catalogue_agreement_restore", args=[deleted.pk]))
    restored = Agreement.objects.get(slug=agreement.slug)
    assert set(restored.party_links.values_list("actor", flat=True)) == {a.pk for a in actors}


def test_a_restore_is_refused_when_another_record_took_the_slug(curator_client, curator):
    with history.recording(user=curator):
        city = CityFactory(slug="harbour-town")
    with history.recording(user=curator):
        city.delete()
    CityFactory(slug="harbour-town", name="Another harbour town")
    [deleted] = Version.objects.deleted(City).filter(slug="harbour-town")
    response = curator_client.post(reverse("admin:catalogue_city_restore", args=[deleted.pk]))
    assert response.status_code == 200
    assert 'Slug: Another city now has the slug "harbour-town".' in unescape(
        response.content.decode()
    )


# Who may see and do what


def history_pages(record, version) -> list[str]:
    opts = record._meta
    return [
        admin_url(record, "history"),
        admin_url(record, "revert", version.pk),
        reverse(f"admin:{opts.app_label}_{opts.model_name}_deleted"),
    ]


def test_anonymous_visitors_are_sent_to_sign_in(client, initiative):
    with history.recording():
        initiative.delete()
    deleted = Version.objects.deleted(Initiative).get(slug=initiative.slug)
    urls = [
        *history_pages(initiative, deleted),
        reverse("admin:catalogue_initiative_restore", args=[deleted.pk]),
    ]
    for url in urls:
        for response in (client.get(url), client.post(url)):
            assert response.status_code == 302 and response.url.startswith("/admin/login/")
    assert Version.objects.deleted(Initiative).filter(slug=initiative.slug).exists()


def test_a_contributor_reads_history_but_reverts_only_drafts(
    contributor_client, curator, initiative
):
    first = versions_of(initiative)[0]
    change_initiative(curator, initiative, status="suspended")
    assert contributor_client.get(admin_url(initiative, "history")).status_code == 200
    revert = admin_url(initiative, "revert", first.pk)
    assert contributor_client.get(revert).status_code == 403
    assert contributor_client.post(revert).status_code == 403
    initiative.refresh_from_db()
    assert initiative.status == "suspended"
    # Read-only, the change form has no note to write.
    page = contributor_client.get(admin_url(initiative, "change"))
    assert page.status_code == 200 and "Change note" not in page.content.decode()

    draft_first = change_initiative(curator, initiative, publication=Publication.DRAFT)
    change_initiative(curator, initiative, status="active")
    response = contributor_client.post(
        admin_url(initiative, "revert", draft_first.pk), revert_form(initiative)
    )
    assert response.status_code == 302
    initiative.refresh_from_db()
    assert initiative.status == "suspended"


def test_a_contributor_cannot_publish_a_draft_by_reverting_it(
    contributor_client, curator, initiative
):
    published = versions_of(initiative)[0]
    change_initiative(curator, initiative, publication=Publication.DRAFT)
    response = contributor_client.post(
        admin_url(initiative, "revert", published.pk), revert_form(initiative)
    )
    assert response.status_code == 200
    assert "Publication: This version is published; only a curator may make the record" in (
        unescape(response.content.decode())
    )
    initiative.refresh_from_db()
    assert initiative.publication == Publication.DRAFT


def test_only_curators_recover_deleted_records(contributor_client, curator_client, initiative):
    with history.recording():
        initiative.delete()
    deleted = Version.objects.deleted(Initiative).get(slug=initiative.slug)
    changelist = reverse("admin:catalogue_initiative_changelist")
    assert "Recover deleted initiatives" in curator_client.get(changelist).content.decode()
    assert "Recover deleted" not in contributor_client.get(changelist).content.decode()
    restore = reverse("admin:catalogue_initiative_restore", args=[deleted.pk])
    assert contributor_client.get(reverse("admin:catalogue_initiative_deleted")).status_code == 403
    assert contributor_client.post(restore).status_code == 403
    assert not Initiative.objects.filter(slug=initiative.slug).exists()
    assert curator_client.get(restore).status_code == 200


@pytest.mark.parametrize("model_name", ["city", "actor", "initiative", "course", "agreement"])
def test_every_record_model_has_history_and_recovery(curator_client, curator, model_name):
    factory = {
        "city": CityFactory,
        "actor": ActorFactory,
        "initiative": InitiativeFactory,
        "course": CourseFactory,
        "agreement": AgreementFactory,
    }[model_name]
    with history.recording(user=curator):
        record = factory(name="Harbour record")
    with history.recording(user=curator):
        record.summary = "Changed."
        record.save()
    first = versions_of(record)[-1]
    for url in history_pages(record, first):
        assert curator_client.get(url).status_code == 200, url
    response = curator_client.post(admin_url(record, "revert", first.pk), revert_form(record))
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.summary == ""


# What readers see


def record_changes_section(client, record) -> str:
    text = client.get(record.get_absolute_url()).content.decode()
    match = re.search(r'<section class="changes".*?</section>', text, re.DOTALL)
    assert match
    return unescape(match.group(0))


def test_a_record_page_lists_its_public_changes_without_who_or_why(client, curator, initiative):
    with history.recording(user=curator, message=SECRET_NOTE):
        initiative.status = "suspended"
        initiative.website = "https://harbour.example.com/"
        initiative.save()
    with history.recording(user=curator, message=SECRET_NOTE):
        initiative.last_verified = "2026-03-03"
        initiative.save()
    section = record_changes_section(client, initiative)
    items = re.findall(r"<li[^>]*>(.*?)</li>", section, re.DOTALL)
    items = [re.sub(r"<[^>]+>", "", item) for item in items]
    assert [re.sub(r"\d+ \w+ \d{4}", "DATE", item) for item in items] == [
        "Verified DATE",
        "Updated DATE: website, status",
        "Created DATE",
    ]
    page = unescape(client.get(initiative.get_absolute_url()).content.decode())
    assert SECRET_NOTE not in page
    assert "curator" not in section
    assert 'href="/changes.atom"' in section


def test_changes_made_while_unpublished_stay_private(client, curator, initiative):
    change_initiative(curator, initiative, publication=Publication.DRAFT)
    change_initiative(curator, initiative, name="Harbour hub, secret name")
    change_initiative(curator, initiative, publication=Publication.PUBLISHED)
    change_initiative(curator, initiative, publication=Publication.ARCHIVED)
    section = record_changes_section(client, initiative)
    events = re.findall(r"<li[^>]*>(\w+) ", section)
    assert events == ["Archived", "Published", "Created"]
    assert "secret name" not in section and "name" not in section.split("</h2>", 1)[1]


def test_the_change_log_is_one_query_whatever_the_history(client, curator, initiative):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(initiative.get_absolute_url()).status_code == 200
        return len(captured)

    before = queries()
    for year in range(2010, 2020):
        change_initiative(curator, initiative, start_year=year)
    assert queries() == before
    section = record_changes_section(client, initiative)
    assert section.count("<li") == RECORD_PAGE_CHANGES


def feed_entries(client) -> list[dict[str, str]]:
    response = client.get("/changes.atom")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    return [
        {
            "title": entry.findtext(f"{ATOM}title"),
            "link": entry.find(f"{ATOM}link").get("href"),
            "id": entry.findtext(f"{ATOM}id"),
            "updated": entry.findtext(f"{ATOM}updated"),
            "summary": entry.findtext(f"{ATOM}summary"),
        }
        for entry in root.findall(f"{ATOM}entry")
    ]


def test_the_feed_gives_recent_public_changes_newest_first(client, curator, initiative):
    with history.recording(user=curator, message=SECRET_NOTE):
        initiative.status = "suspended"
        initiative.website = "https://harbour.example.com/"
        initiative.save()
    draft = InitiativeFactory(name="Hidden harbour plan", publication=Publication.DRAFT)
    with history.recording(user=curator):
        draft.save()
    entries = feed_entries(client)
    newest = entries[0]
    assert newest["title"] == "Harbour science hub updated: website, status"
    assert newest["link"] == "http://testserver/initiatives/harbour-science-hub/"
    assert newest["summary"].startswith("Initiative updated ")
    assert newest["summary"].endswith(": website, status.")
    assert "Harbour science hub created" in [entry["title"] for entry in entries[1:]]
    assert len({entry["id"] for entry in entries}) == len(entries)
    assert all(
        entry["id"].startswith("http://testserver/changes.atom#version-") for entry in entries
    )
    feed = client.get("/changes.atom").content.decode()
    assert "Hidden harbour plan" not in feed
    assert SECRET_NOTE not in feed and "curator" not in feed


def test_the_feed_leaves_out_records_readers_can_no_longer_open(client, curator, initiative):
    renamed = change_initiative(curator, initiative, slug="harbour-hub")
    assert feed_entries(client)[0]["link"] == "http://testserver/initiatives/harbour-hub/"
    with history.recording(user=curator):
        initiative.delete()
    links = [entry["link"] for entry in feed_entries(client)]
    assert not any("harbour" in link for link in links)
    assert renamed.pk not in [int(e["id"].rsplit("-", 1)[1]) for e in feed_entries(client)]


def test_every_page_announces_the_feed(client):
    text = client.get("/").content.decode()
    assert '<link rel="alternate" type="application/atom+xml" href="/changes.atom"' in text


def test_the_feed_query_count_does_not_grow_with_its_entries(
    client, curator, django_assert_num_queries
):
    # One query for the versions, then one per kind of record among them.
    for factory in (CityFactory, ActorFactory, InitiativeFactory, CourseFactory, AgreementFactory):
        with history.recording(user=curator):
            factory()
    with django_assert_num_queries(6):
        assert len(feed_entries(client)) == 50
    for factory in (CityFactory, ActorFactory, InitiativeFactory, CourseFactory, AgreementFactory):
        with history.recording(user=curator):
            factory.create_batch(5)
    with django_assert_num_queries(6):
        assert len(feed_entries(client)) == 50


def test_the_feed_reads_a_text_stored_before_the_text_rules(client, curator, initiative):
    with history.recording(user=curator):
        initiative.summary = "Changed."
        initiative.save()
    # A name that holds control characters, as a catalogue kept before the rules could.
    Version.objects.filter(slug=initiative.slug).update(name="Harbour\x01 science\x1b hub")
    assert feed_entries(client)[0]["title"] == "Harbour science hub updated: summary"
