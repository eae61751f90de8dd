"""The editorial workflow: the states a record goes through, who moves it, and who may edit it.

A record is a draft, in review, published or archived (`Publication`). Contributors write drafts
and submit them for review; curators, who hold the model's publish permission
(`catalogue.publish_initiative` …), publish, send back with a comment, and archive. Each move is
a `Transition`, run by `transition()`, which saves the record through the validated path and
keeps a version whose message is the curator's comment.

What a user may do to a record outside the transitions is decided here too, once, for admin and
the API alike: `can_edit`, `can_delete`, `can_set_publication`; and who writes at all,
`is_editor`.
"""

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError

from catalogue import history
from catalogue.documents import save_document
from catalogue.models import Publication, Record, Version

User = AbstractBaseUser | AnonymousUser

# The groups of the people who write the catalogue (migrations 0002 and 0004 give them their
# permissions); an API token works for their members only.
CURATORS_GROUP = "Curators"
CONTRIBUTORS_GROUP = "Contributors"

# The states anyone who may write a record may put it in; the others need the publish permission.
CONTRIBUTOR_STATES = (Publication.DRAFT, Publication.IN_REVIEW)
# How an error names a state a transition starts from.
STATE_NAMES = {
    Publication.DRAFT: "a draft",
    Publication.IN_REVIEW: "a record in review",
    Publication.PUBLISHED: "a published record",
    Publication.ARCHIVED: "an archived record",
}


@dataclass(frozen=True)
class Transition:
    """A move from one of the `sources` states to the `target` state, named by its `verb`,
    for users with the record model's `permission` ("change" or "publish")."""

    verb: str
    label: str
    sources: tuple[Publication, ...]
    target: Publication
    permission: str
    done: str
    needs_comment: bool = False

    @property
    def default_message(self) -> str:
        return f"{self.done.capitalize()}."


TRANSITIONS: dict[str, Transition] = {
    step.verb: step
    for step in (
        Transition(
            verb="submit",
            label="Submit for review",
            sources=(Publication.DRAFT,),
            target=Publication.IN_REVIEW,
            permission="change",
            done="submitted for review",
        ),
        Transition(
            verb="publish",
            label="Publish",
            sources=(Publication.DRAFT, Publication.IN_REVIEW, Publication.ARCHIVED),
            target=Publication.PUBLISHED,
            permission="publish",
            done="published",
        ),
        Transition(
            verb="send_back",
            label="Send back",
            sources=(Publication.IN_REVIEW, Publication.PUBLISHED),
            target=Publication.DRAFT,
            permission="publish",
            done="sent back to draft",
            # The contributor has to know what to change.
            needs_comment=True,
        ),
        Transition(
            verb="archive",
            label="Archive",
            sources=(Publication.PUBLISHED,),
            target=Publication.ARCHIVED,
            permission="publish",
            done="archived",
        ),
    )
}


def permission(model: type[Record], action: str) -> str:
    """The name of the permission to `action` ("add", "publish" …) records of `model`."""
    opts = model._meta
    return f"{opts.app_label}.{action}_{opts.model_name}"


def is_editor(user: User) -> bool:
    """Whether `user` writes the catalogue: an active staff user in the Curators or Contributors
    group."""
    return (
        user.is_active
        and user.is_staff
        and user.groups.filter(name__in=[CURATORS_GROUP, CONTRIBUTORS_GROUP]).exists()
    )


def can_publish(user: User, model: type[Record]) -> bool:
    """Whether `user` is a curator of `model`'s records: publishes, archives, edits any state."""
    return user.has_perm(permission(model, "publish"))


def can_edit(user: User, record: Record) -> bool:
    """Whether `user` may change `record` and its link rows: a curator always, a contributor
    while it is a draft (as it is stored, not as a pending change would make it)."""
    model = type(record)
    return user.has_perm(permission(model, "change")) and (
        record.publication == Publication.DRAFT or can_publish(user, model)
    )


def can_delete(user: User, model: type[Record]) -> bool:
    """Whether `user` may delete `model`'s records: curators only, never a contributor."""
    return user.has_perm(permission(model, "delete")) and can_publish(user, model)


def can_set_publication(user: User, model: type[Record], publication: str) -> bool:
    """Whether `user` may write `publication` into a record of `model` directly: anyone who
    writes may keep a record a draft or put it in review, only a curator may publish it."""
    return publication in CONTRIBUTOR_STATES or can_publish(user, model)


def can_perform(user: User, step: Transition, model: type[Record]) -> bool:
    return user.has_perm(permission(model, step.permission))


def allowed_transitions(record: Record, user: User) -> list[Transition]:
    """The transitions `user` may run on `record` in its present state, in workflow order."""
    model = type(record)
    return [
        step
        for step in TRANSITIONS.values()
        if record.publication in step.sources and can_perform(user, step, model)
    ]


def transition_named(verb: str) -> Transition:
    try:
        return TRANSITIONS[verb]
    except KeyError:
        known = ", ".join(TRANSITIONS)
        raise ValidationError(
            f"No transition is called “{verb}”; the transitions are {known}."
        ) from None


def transition(record: Record, verb: str, *, user: User, comment: str = "") -> Record:
    """Moves `record` by the transition `verb` and returns it saved, as a new version with
    `comment` (or the transition's own message, "Submitted for review.").

    Raises `PermissionDenied` if `user` lacks the permission the transition needs, and
    `ValidationError` for an unknown verb, a missing comment where one is required, a record
    whose state the transition does not start from, or a record that breaks a rule of the
    catalogue (`DocumentInvalid`, as any save would); then nothing changes.
    """
    step = transition_named(verb)
    model = type(record)
    if not can_perform(user, step, model):
        raise PermissionDenied(
            f"{user} may not {step.label.lower()} “{record}”: that needs the permission "
            f"{permission(model, step.permission)}."
        )
    comment = comment.strip()
    if step.needs_comment and not comment:
        raise ValidationError(
            {"comment": f"Say why it is {step.done}: the contributor reads this comment."}
        )
    with history.recording(user=user, message=comment or step.default_message):
        # Its state as stored now, not as the page that asked for the move showed it.
        current = model.objects.select_for_update().get(pk=record.pk)
        check_starts_from(current, step)
        return save_document(model, {"publication": step.target}, instance=current)


def check_starts_from(record: Record, step: Transition) -> None:
    """Raises `ValidationError` unless `record`'s state is one `step` starts from."""
    if record.publication not in step.sources:
        raise ValidationError(
            {
                "publication": f"“{record}” is {STATE_NAMES[record.publication]}: only "
                f"{or_list([STATE_NAMES[state] for state in step.sources])} can be {step.done}."
            }
        )


def or_list(items: list[str]) -> str:
    """ "a", "a or b", "a, b or c"."""
    return " or ".join(filter(None, [", ".join(items[:-1]), items[-1]]))


def last_sent_back(record: Record) -> Version | None:
    """The version in which a curator sent `record` back to draft with a comment, if that is
    why it is a draft now (no later version changed its state)."""
    if record.publication != Publication.DRAFT:
        return None
    for version in Version.objects.of(record).defer("document").iterator():
        if "publication" in version.changed_fields:
            return version if version.message else None
    return None
