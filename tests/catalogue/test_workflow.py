"""The editorial workflow: its transitions and rules (`catalogue.workflow`), each transition kept
as a version with its comment, clear refusals that change nothing, and how admin offers it to
contributors and curators (buttons, confirmation pages, bulk actions, the review queue, the
comment of a record sent back)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from catalogue import history, workflow
from catalogue.documents import DocumentInvalid
from catalogue.models import Actor, City, Country, Initiative, Publication, Version
from tests.factories import ActorFactory, CityFactory, InitiativeFactory, SourceFactory

pytestmark = pytest.mark.django_db

DRAFT, IN_REVIEW, PUBLISHED, ARCHIVED = (
    Publication.DRAFT,
    Publication.IN_REVIEW,
    Publication.PUBLISHED,
    Publication.ARCHIVED,
)


def recorded(factory, **fields):
    """A record created as admin, the API or an import creates one: with its first version
    (a factory's write outside a recording is kept only when the test's transaction commits,
    which it never does)."""
    with history.recording():
        return factory(**fields)


def stored(record):
    return type(record).objects.get(pk=record.pk).publication


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# The workflow as the issue states it: verb, from, to, the permission it needs.
@pytest.mark.parametrize(
    ("verb", "sources", "target", "needed"),
    [
        ("submit", {DRAFT}, IN_REVIEW, "change"),
        ("publish", {DRAFT, IN_REVIEW, ARCHIVED}, PUBLISHED, "publish"),
        ("send_back", {IN_REVIEW, PUBLISHED}, DRAFT, "publish"),
        ("archive", {PUBLISHED}, ARCHIVED, "publish"),
    ],
)
def test_the_transitions(verb, sources, target, needed):
    step = workflow.TRANSITIONS[verb]
    assert (set(step.sources), step.target, step.permission) == (sources, target, needed)
    assert step.needs_comment is (verb == "send_back")


@pytest.mark.parametrize(
    ("verb", "start", "message"),
    [
        ("submit", DRAFT, "Submitted for review."),
        ("publish", IN_REVIEW, "Published."),
        ("publish", ARCHIVED, "Published."),
        ("archive", PUBLISHED, "Archived."),
    ],
)
def test_a_transition_is_a_version_with_its_default_message(curator, verb, start, message):
    initiative = recorded(InitiativeFactory, publication=start)
    moved = workflow.transition(initiative, verb, user=curator)
    target = workflow.TRANSITIONS[verb].target
    assert moved.publication == stored(initiative) == target
    version = Version.objects.of(initiative).first()
    assert (version.message, version.user, version.changed_fields) == (
        message,
        curator,
        ["publication"],
    )
    assert version.document["publication"] == target


def test_a_comment_becomes_the_versions_message(curator):
    initiative = InitiativeFactory(publication=PUBLISHED)
    workflow.transition(
        initiative, "archive", user=curator, comment="  Merged into another initiative.  "
    )
    assert Version.objects.of(initiative).first().message == "Merged into another initiative."


def test_send_back_needs_a_comment_and_changes_nothing_without_one(curator):
    initiative = InitiativeFactory(publication=IN_REVIEW)
    versions = Version.objects.count()
    with pytest.raises(ValidationError) as refused:
        workflow.transition(initiative, "send_back", user=curator, comment="   ")
    assert "the contributor reads this comment" in refused.value.message_dict["comment"][0]
    assert stored(initiative) == IN_REVIEW
    assert Version.objects.count() == versions

    workflow.transition(initiative, "send_back", user=curator, comment="Cite a source.")
    assert stored(initiative) == DRAFT
    assert Version.objects.of(initiative).first().message == "Cite a source."


@pytest.mark.parametrize(
    ("verb", "start", "message"),
    [
        ("submit", PUBLISHED, "“Stuck” is a published record: only a draft can be submitted"),
        ("archive", DRAFT, "“Stuck” is a draft: only a published record can be archived."),
        (
            "publish",
            PUBLISHED,
            "only a draft, a record in review or an archived record can be published.",
        ),
        (
            "send_back",
            ARCHIVED,
            "only a record in review or a published record can be sent back to draft.",
        ),
    ],
)
def test_a_transition_from_the_wrong_state_is_refused(curator, verb, start, message):
    initiative = InitiativeFactory(name="Stuck", publication=start)
    versions = Version.objects.count()
    with pytest.raises(ValidationError) as refused:
        workflow.transition(initiative, verb, user=curator, comment="A reason.")
    assert message in refused.value.message_dict["publication"][0]
    assert stored(initiative) == start
    assert Version.objects.count() == versions


def test_the_stored_state_counts_not_a_stale_copy(curator):
    initiative = InitiativeFactory(publication=DRAFT)
    Initiative.objects.filter(pk=initiative.pk).update(publication=ARCHIVED)
    with pytest.raises(ValidationError, match="is an archived record"):
        workflow.transition(initiative, "submit", user=curator)
    assert stored(initiative) == ARCHIVED


@pytest.mark.parametrize("verb", ["publish", "send_back", "archive"])
def test_a_contributor_may_not_run_a_curators_transition(contributor, verb):
    initiative = InitiativeFactory(publication=IN_REVIEW if verb != "archive" else PUBLISHED)
    before = stored(initiative)
    with pytest.raises(PermissionDenied, match=r"the permission catalogue\.publish_initiative\."):
        workflow.transition(initiative, verb, user=contributor, comment="Why not.")
    assert stored(initiative) == before


def test_anonymous_users_run_no_transition():
    initiative = InitiativeFactory(publication=DRAFT)
    with pytest.raises(PermissionDenied, match=r"the permission catalogue\.change_initiative\."):
        workflow.transition(initiative, "submit", user=AnonymousUser())
    assert stored(initiative) == DRAFT


def test_an_unknown_verb_is_refused_by_name(curator):
    with pytest.raises(ValidationError, match="No transition is called “approve”; the trans"):
        workflow.transition(InitiativeFactory(), "approve", user=curator)


def test_a_record_that_breaks_a_rule_is_not_published(curator):
    actor = ActorFactory(publication=IN_REVIEW, city=City.objects.get(slug="geneva"))
    # A city in another country than the actor's: admin and the API refuse it, a raw update
    # does not.
    Actor.objects.filter(pk=actor.pk).update(country=Country.objects.get(code="FR"))
    with pytest.raises(DocumentInvalid) as refused:
        workflow.transition(actor, "publish", user=curator)
    assert "is in Switzerland, not in France" in refused.value.messages_by_field["city"][0]
    assert stored(actor) == IN_REVIEW


@pytest.mark.parametrize(
    ("start", "contributor_verbs", "curator_verbs"),
    [
        (DRAFT, ["submit"], ["submit", "publish"]),
        (IN_REVIEW, [], ["publish", "send_back"]),
        (PUBLISHED, [], ["send_back", "archive"]),
        (ARCHIVED, [], ["publish"]),
    ],
)
def test_allowed_transitions(contributor, curator, start, contributor_verbs, curator_verbs):
    record = CityFactory(publication=start)
    assert [step.verb for step in workflow.allowed_transitions(record, contributor)] == (
        contributor_verbs
    )
    assert [step.verb for step in workflow.allowed_transitions(record, curator)] == curator_verbs
    assert workflow.allowed_transitions(record, AnonymousUser()) == []


@pytest.mark.parametrize("start", Publication.values)
def test_who_may_edit_delete_and_set_publication(contributor, curator, start):
    record = CityFactory(publication=start)
    assert workflow.can_edit(contributor, record) is (start == DRAFT)
    assert workflow.can_edit(curator, record)
    assert not workflow.can_edit(AnonymousUser(), record)
    assert not workflow.can_delete(contributor, City)
    assert workflow.can_delete(curator, City)
    assert workflow.can_set_publication(contributor, City, start) is (start in (DRAFT, IN_REVIEW))
    assert workflow.can_set_publication(curator, City, start)


def test_the_comment_of_a_record_sent_back_stays_until_it_is_submitted(curator, contributor):
    initiative = recorded(InitiativeFactory, publication=IN_REVIEW)
    workflow.transition(initiative, "send_back", user=curator, comment="Add the founders.")
    initiative.refresh_from_db()
    sent_back = workflow.last_sent_back(initiative)
    assert (sent_back.message, sent_back.user_name) == ("Add the founders.", "curator")
    # The contributor's edits do not hide it.
    with history.recording(user=contributor):
        initiative.summary = "Founded by three universities."
        initiative.save()
    assert workflow.last_sent_back(initiative) == sent_back
    workflow.transition(initiative, "submit", user=contributor)
    initiative.refresh_from_db()
    assert workflow.last_sent_back(initiative) is None


def test_a_draft_never_sent_back_has_no_comment(curator):
    assert workflow.last_sent_back(recorded(InitiativeFactory, publication=DRAFT)) is None
    initiative = recorded(InitiativeFactory, publication=PUBLISHED)
    # Set back to draft by a plain edit, without a comment: nothing to show.
    with history.recording(user=curator):
        initiative.publication = DRAFT
        initiative.save()
    assert workflow.last_sent_back(initiative) is None


# Admin.


def change_url(record) -> str:
    opts = record._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[record.pk])


def transition_url(record, verb: str) -> str:
    opts = record._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_transition", args=[record.pk, verb])


@pytest.mark.parametrize(
    ("start", "contributor_buttons", "curator_buttons"),
    [
        (DRAFT, ["Submit for review"], ["Submit for review", "Publish"]),
        (IN_REVIEW, [], ["Publish", "Send back…"]),
        (PUBLISHED, [], ["Send back…", "Archive"]),
        (ARCHIVED, [], ["Publish"]),
    ],
)
def test_the_change_form_offers_the_allowed_transitions(
    contributor_client, curator_client, start, contributor_buttons, curator_buttons
):
    record = InitiativeFactory(publication=start)
    labels = {
        "submit": "Submit for review",
        "publish": "Publish",
        "send_back": "Send back…",
        "archive": "Archive",
    }
    for client, expected in [
        (contributor_client, contributor_buttons),
        (curator_client, curator_buttons),
    ]:
        page = client.get(change_url(record)).content.decode()
        shown = [
            label
            for verb, label in labels.items()
            if f'<a href="{transition_url(record, verb)}">{label}</a>' in page
        ]
        assert shown == expected


def test_a_curator_publishes_from_the_confirmation_page(curator_client, curator):
    record = recorded(InitiativeFactory, name="Ocean Science Hub", publication=IN_REVIEW)
    url = transition_url(record, "publish")
    page = curator_client.get(url)
    text = page.content.decode()
    assert page.status_code == 200
    assert "<h1>Publish: “Ocean Science Hub”</h1>" in text
    assert "This initiative is in review; it will be published." in text
    assert f'<a href="{change_url(record)}">Ocean Science Hub</a>' in text  # breadcrumbs
    assert '<label for="id_comment" class="required">' not in text
    assert '<label for="id_comment">Comment:</label>' in text

    response = curator_client.post(url, {"comment": ""})
    assert response.status_code == 302 and response.url == change_url(record)
    assert messages_of(response) == ["“Ocean Science Hub” was published."]
    assert stored(record) == PUBLISHED
    version = Version.objects.of(record).first()
    assert (version.message, version.user) == ("Published.", curator)


def test_the_confirmation_page_costs_a_fixed_number_of_queries(
    curator_client, django_assert_num_queries
):
    record = InitiativeFactory(publication=PUBLISHED)
    # The session and its user, the curator's permissions, the record.
    with django_assert_num_queries(5):
        assert curator_client.get(transition_url(record, "send_back")).status_code == 200


def test_send_back_asks_for_the_reason_and_the_contributor_reads_it(
    curator_client, contributor_client
):
    record = recorded(InitiativeFactory, publication=IN_REVIEW)
    url = transition_url(record, "send_back")
    page = curator_client.get(url).content.decode()
    assert '<label for="id_comment" class="required">Why, and what to change:</label>' in page

    refused = curator_client.post(url, {"comment": ""})
    assert refused.status_code == 200
    assert refused.context["form"].errors == {"comment": ["This field is required."]}
    assert stored(record) == IN_REVIEW

    reason = "The founding year contradicts the source; check the 2019 report."
    response = curator_client.post(url, {"comment": reason})
    assert messages_of(response) == [f"“{record}” was sent back to draft."]
    assert stored(record) == DRAFT

    form = contributor_client.get(change_url(record)).content.decode()
    assert '<h2 id="sent-back-heading">Sent back for changes by curator on' in form
    assert f"<blockquote><p>{reason}</p></blockquote>" in form
    assert f'<a href="{transition_url(record, "submit")}">Submit for review</a>' in form


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_transition_the_state_does_not_allow_is_reported(curator_client, method):
    record = InitiativeFactory(name="Already there", publication=PUBLISHED)
    # A page opened before another curator published the record is posted too late.
    response = getattr(curator_client, method)(transition_url(record, "publish"))
    assert response.status_code == 302 and response.url == change_url(record)
    assert messages_of(response) == [
        "“Already there” is a published record: only a draft, a record in review or an "
        "archived record can be published."
    ]
    assert stored(record) == PUBLISHED


def test_a_contributor_submits_but_may_not_open_a_curators_transition(
    contributor_client, contributor
):
    record = InitiativeFactory(publication=DRAFT)
    for verb in ("publish", "send_back", "archive"):
        assert contributor_client.get(transition_url(record, verb)).status_code == 403
        assert (
            contributor_client.post(transition_url(record, verb), {"comment": "x"}).status_code
            == 403
        )
    assert stored(record) == DRAFT
    response = contributor_client.post(transition_url(record, "submit"), {"comment": "Ready."})
    assert response.url == change_url(record)
    assert stored(record) == IN_REVIEW
    version = Version.objects.of(record).first()
    assert (version.message, version.user) == ("Ready.", contributor)


def test_an_unknown_transition_is_not_found(curator_client):
    assert curator_client.get(transition_url(InitiativeFactory(), "approve")).status_code == 404


def test_bulk_publish_runs_the_transition_per_record_and_reports_the_skipped(curator_client):
    draft = recorded(CityFactory, name="Draft town", publication=DRAFT)
    in_review = recorded(CityFactory, name="Review town", publication=IN_REVIEW)
    published = recorded(CityFactory, name="Published town", publication=PUBLISHED)
    response = curator_client.post(
        reverse("admin:catalogue_city_changelist"),
        {
            "action": "publish_selected",
            "_selected_action": [draft.pk, in_review.pk, published.pk],
        },
    )
    assert response.status_code == 302
    assert messages_of(response) == [
        "2 record(s) published.",
        "1 record(s) left as they were: “Published town” is a published record: only a "
        "draft, a record in review or an archived record can be published.",
    ]
    assert [stored(city) for city in (draft, in_review, published)] == [PUBLISHED] * 3
    for city in (draft, in_review):
        version = Version.objects.of(city).first()
        assert (version.message, version.changed_fields) == ("Published.", ["publication"])


def test_bulk_publish_names_a_record_that_breaks_a_rule(curator_client):
    actor = recorded(
        ActorFactory, name="Misplaced", publication=IN_REVIEW, city=City.objects.get(slug="geneva")
    )
    Actor.objects.filter(pk=actor.pk).update(country=Country.objects.get(code="FR"))
    response = curator_client.post(
        reverse("admin:catalogue_actor_changelist"),
        {"action": "publish_selected", "_selected_action": [actor.pk]},
    )
    assert messages_of(response) == [
        "1 record(s) left as they were: “Misplaced” cannot be published before it is "
        "corrected: city: Geneva is in Switzerland, not in France."
    ]
    assert stored(actor) == IN_REVIEW


def test_bulk_archive(curator_client):
    published, draft = CityFactory(publication=PUBLISHED), CityFactory(publication=DRAFT)
    response = curator_client.post(
        reverse("admin:catalogue_city_changelist"),
        {"action": "archive_selected", "_selected_action": [published.pk, draft.pk]},
    )
    assert messages_of(response)[0] == "1 record(s) archived."
    assert "only a published record can be archived" in messages_of(response)[1]
    assert (stored(published), stored(draft)) == (ARCHIVED, DRAFT)


def test_the_list_actions_run_the_workflow(curator_client, contributor_client):
    changelist = reverse("admin:catalogue_initiative_changelist")

    def actions(client) -> set[str]:
        form = client.get(changelist).context["action_form"]
        return {value for value, _ in form.fields["action"].choices}

    # The former "publish" and "unpublish" wrote every row at once, skipping the history.
    assert {"publish_selected", "archive_selected"} <= actions(curator_client)
    assert not {"publish", "unpublish"} & actions(curator_client)
    assert not {"publish_selected", "archive_selected", "delete_selected"} & actions(
        contributor_client
    )


def test_the_review_queue(contributor_client):
    waiting = InitiativeFactory(publication=IN_REVIEW)
    InitiativeFactory(publication=DRAFT)
    response = contributor_client.get(
        reverse("admin:catalogue_initiative_changelist"), {"publication__exact": "in_review"}
    )
    listed = list(response.context["cl"].result_list)
    assert waiting in listed
    assert {record.publication for record in listed} == {IN_REVIEW}


def city_form(city: City, **overrides) -> dict:
    data = {
        "name": city.name,
        "slug": city.slug,
        "summary": city.summary,
        "description": "",
        "country": city.country_id,
        "latitude": city.latitude,
        "longitude": city.longitude,
        "geonames_id": "",
        "strategy": city.strategy,
        "strategy_since": "",
        "approach": "",
        "website": "",
        "wikidata_id": "",
        "publication": city.publication,
        "last_verified": "",
        "citations-TOTAL_FORMS": "0",
        "citations-INITIAL_FORMS": "0",
        "saves_when_opened": city.lock_version,
    }
    data.update(overrides)
    return data


def test_a_contributors_new_record_is_a_draft_whatever_the_form_says(contributor_client):
    add = contributor_client.get(reverse("admin:catalogue_city_add"))
    assert "publication" not in add.context["adminform"].form.fields
    new = City(
        name="Contributed town", slug="contributed-town", country_id="CH", latitude=1, longitude=2
    )
    response = contributor_client.post(
        reverse("admin:catalogue_city_add"), city_form(new, publication=PUBLISHED)
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert City.objects.get(slug="contributed-town").publication == DRAFT


def test_a_contributor_edits_a_draft_and_its_link_rows(contributor_client):
    draft = CityFactory(publication=DRAFT)
    citation = draft.citations.create(source=SourceFactory())
    data = city_form(
        draft,
        summary="Edited by a contributor.",
        **{
            "citations-TOTAL_FORMS": "1",
            "citations-INITIAL_FORMS": "1",
            "citations-0-id": citation.pk,
            "citations-0-record": draft.pk,
            "citations-0-source": citation.source_id,
            "citations-0-locator": "",
            "citations-0-DELETE": "on",
        },
    )
    response = contributor_client.post(change_url(draft), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    draft.refresh_from_db()
    assert draft.summary == "Edited by a contributor."
    assert not draft.citations.exists()


def test_a_contributor_sees_other_records_read_only(contributor_client):
    published = CityFactory(publication=PUBLISHED, summary="As published.")
    page = contributor_client.get(change_url(published))
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert page.context["has_delete_permission"] is False
    assert not page.context["inline_admin_formsets"][0].has_add_permission
    response = contributor_client.post(change_url(published), city_form(published, summary="No."))
    assert response.status_code == 403
    published.refresh_from_db()
    assert published.summary == "As published."
