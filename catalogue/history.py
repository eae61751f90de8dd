"""Every change to a record, kept as a version that can be compared, reverted to and restored.

Writes run inside `recording()`: `HistoryMiddleware` opens one around every request that may
write, and commands open their own. Signals mark the records a write touches (the record, its
many-to-many fields, the rows of its link relations); when the recording ends, every touched
record whose document (`catalogue.documents`) differs from its last version gets a new version,
with who wrote it and why. A deletion is kept at once, with the state the record was in, so that
the record can be restored with its relations. The same marks tell which stored search documents
(`catalogue.search`) to rebuild when the recording ends.

A write outside any recording (a shell session) is kept too, when its transaction commits, as
a version without a user; its search documents are rebuilt at once.
"""

import contextvars
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.http import HttpRequest

from catalogue.documents import (
    DocumentInvalid,
    changed_fields,
    link_relation,
    own_fields,
    record_document,
    save_document,
)
from catalogue.models import Actor, Agreement, City, Course, Initiative, Record, Version
from catalogue.models.curation import VersionAction
from catalogue.search import forget_documents, records_naming, update_search_vectors

RECORD_MODELS: tuple[type[Record], ...] = (City, Actor, Initiative, Course, Agreement)
RecordKey = tuple[type[Record], int]
User = AbstractBaseUser | AnonymousUser | None

logger = logging.getLogger("sciplo.curation")


@dataclass
class Recording:
    """The writes of one recording: who makes them, why, and the records they touch."""

    user: User | Callable[[], User] = None
    message: str = ""
    touched: dict[RecordKey, None] = field(default_factory=dict)
    created: set[RecordKey] = field(default_factory=set)
    deleted: set[RecordKey] = field(default_factory=set)
    # Records whose search documents name a record deleted here: not touched, as their
    # documents (which name related records by slug) may be unchanged.
    named_deleted: set[RecordKey] = field(default_factory=set)

    @property
    def author(self) -> User:
        user = self.user() if callable(self.user) else self.user
        return user if user is not None and user.is_authenticated else None

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A transaction inside the recording that the block may roll back (with
        `transaction.set_rollback(True)` or an exception) and leave the enclosing one whole; the
        recording then forgets what was written inside, which would otherwise get a version (if
        it had none yet) for a write that never happened."""
        marks = (
            dict(self.touched),
            set(self.created),
            set(self.deleted),
            set(self.named_deleted),
        )
        try:
            with transaction.atomic():
                yield
                rolled_back = transaction.get_rollback()
        except BaseException:
            self.touched, self.created, self.deleted, self.named_deleted = marks
            raise
        if rolled_back:
            self.touched, self.created, self.deleted, self.named_deleted = marks

    def forget(self) -> None:
        """Keeps no versions of what was written so far (a dump brings its own history); their
        search documents are rebuilt now."""
        self.update_search_vectors()
        self.touched.clear()
        self.created.clear()

    def update_search_vectors(self) -> None:
        """Rebuilds the search documents of the records written, and of those naming them."""
        written: dict[type[Record], list[int]] = {}
        for model, pk in [*self.touched, *self.named_deleted]:
            if (model, pk) not in self.deleted:
                written.setdefault(model, []).append(pk)
        update_search_vectors(written)
        self.named_deleted.clear()

    def keep_versions(self) -> None:
        for key in self.touched:
            if key in self.deleted:
                continue
            model, pk = key
            record = model.objects.filter(pk=pk).first()
            if record is not None:
                keep_version(record, self, created=key in self.created)
        self.touched.clear()
        self.created.clear()


_current: contextvars.ContextVar[Recording | None] = contextvars.ContextVar(
    "recording", default=None
)
# Records being deleted outside any recording: their link rows, deleted first, touch them.
_being_deleted: contextvars.ContextVar[frozenset[RecordKey]] = contextvars.ContextVar(
    "being_deleted", default=frozenset()
)


# Set while the whole catalogue is deleted with its history (`discarding`).
_discarding: contextvars.ContextVar[bool] = contextvars.ContextVar("discarding", default=False)


@contextmanager
def discarding() -> Iterator[None]:
    """Writes inside keep no version and touch no search document: for deleting the whole
    catalogue, its history and search terms with it, where a version kept of each record
    deleted would be deleted in turn."""
    token = _discarding.set(True)
    try:
        yield
    finally:
        _discarding.reset(token)


@contextmanager
def recording(*, user: User | Callable[[], User] = None, message: str = "") -> Iterator[Recording]:
    """Keeps a version of each record written inside, by `user` (or a callable returning the
    user, who may be known only later), with `message`; all in one transaction. Inside another
    recording, the outer one keeps the versions."""
    current = _current.get()
    if current is not None:
        if message:
            current.message = message
        yield current
        return
    state = Recording(user=user, message=message)
    token = _current.set(state)
    try:
        with transaction.atomic():
            yield state
            state.update_search_vectors()
            state.keep_versions()
    finally:
        _current.reset(token)


def describe_change(message: str) -> None:
    """Gives the versions the current recording keeps `message` (a curator's note)."""
    current = _current.get()
    if current is not None and message:
        current.message = message


class HistoryMiddleware:
    """Records what each request that may write changes, who changed it and, from a script's
    `X-Change-Note` header, why."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
            return self.get_response(request)
        # The API authenticates in the view, so the user is read when the versions are kept.
        with recording(user=lambda: getattr(request, "user", None), message=change_note(request)):
            return self.get_response(request)


def change_note(request: HttpRequest) -> str:
    """The `X-Change-Note` header: UTF-8, though HTTP hands header values over as ISO-8859-1."""
    note = request.headers.get("X-Change-Note", "")
    try:
        return note.encode("iso-8859-1").decode("utf-8").strip()
    except UnicodeError:
        # Not UTF-8: the client wrote ISO-8859-1 itself.
        return note.strip()


def keep_version(
    record: Record, state: Recording, *, created: bool = False, deleting: bool = False
) -> Version | None:
    """A new version of `record` if it differs from its last one."""
    document = record_document(record)
    last = Version.objects.of(record).first()
    before = last.document if last is not None and last.action != VersionAction.DELETED else None
    changes = changed_fields(before, document)
    if deleting:
        action = VersionAction.DELETED
    elif last is not None and last.action == VersionAction.DELETED:
        action = VersionAction.RESTORED
    elif created or last is None:
        action = VersionAction.CREATED
    elif not changes:
        return None
    else:
        action = VersionAction.CHANGED
    user = state.author
    version = Version.objects.create(
        record_type=ContentType.objects.get_for_model(record),
        record_id=record.pk,
        slug=record.slug,
        name=record.name,
        action=action,
        changed_fields=changes if action == VersionAction.CHANGED else [],
        document=document,
        user=user,
        user_name=user.get_username() if user is not None else "",
        message=state.message,
    )
    transaction.on_commit(partial(log_version, version))
    return version


def log_version(version: Version) -> None:
    """Logs a curator's change once it is committed, one line per record changed."""
    record_type = version.record_type.model
    logger.info(
        "%s %s %s %s",
        version.user_name or "(no user)",
        version.action,
        record_type,
        version.slug,
        extra={
            "event": "curation",
            "action": version.action,
            "record_type": record_type,
            "record": version.slug,
            "fields": version.changed_fields,
            "user": version.user_name or None,
            "version": version.pk,
            "note": version.message,
        },
    )


def touch(model: type[Record], pk: int, *, created: bool = False) -> None:
    if _discarding.get():
        return
    key = (model, pk)
    state = _current.get()
    if state is not None:
        if key not in state.deleted:
            state.touched[key] = None
            if created:
                state.created.add(key)
        return
    if key not in _being_deleted.get():
        update_search_vectors({model: [pk]})

    # Outside a recording: once the transaction commits, by when a record being deleted is gone.
    def keep() -> None:
        record = model.objects.filter(pk=pk).first()
        if record is not None:
            keep_version(record, Recording(), created=created)

    transaction.on_commit(keep)


def record_saved(sender, instance, created, **kwargs) -> None:
    touch(sender, instance.pk, created=created)


def record_deleting(sender, instance, **kwargs) -> None:
    if _discarding.get():
        return
    current = _current.get()
    state = current or Recording()
    keep_version(instance, state, deleting=True)
    state.deleted.add((sender, instance.pk))
    # Found now, while the relations that lead to them still exist.
    naming = records_naming(instance)
    if current is not None:
        current.named_deleted |= naming
        return
    _being_deleted.set(_being_deleted.get() | {(sender, instance.pk)})
    if naming:
        transaction.on_commit(state.update_search_vectors)
        state.named_deleted |= naming


def record_deleted(sender, instance, **kwargs) -> None:
    if _discarding.get():
        return
    _being_deleted.set(_being_deleted.get() - {(sender, instance.pk)})
    forget_documents(sender, [instance.pk], using=instance._state.db)


def link_row_changed(sender, instance, *, model: type[Record], owner: str, **kwargs) -> None:
    owner_id = getattr(instance, f"{owner}_id")
    if owner_id is not None:
        touch(model, owner_id)


def many_to_many_changed(
    sender, instance, action, reverse, model, pk_set, *, record_model: type[Record], **kwargs
) -> None:
    if not reverse:
        if action.startswith("post_"):
            touch(record_model, instance.pk)
        return
    # From the other side (a city's initiatives): the records on this side change.
    if action == "pre_clear":
        accessor = model._meta.get_field(sender_field_name(sender, record_model)).name
        pk_set = set(
            record_model.objects.filter(**{accessor: instance}).values_list("pk", flat=True)
        )
        for pk in pk_set:
            touch(record_model, pk)
    elif action in ("post_add", "post_remove"):
        for pk in pk_set or ():
            touch(record_model, pk)


def sender_field_name(through: type[models.Model], record_model: type[Record]) -> str:
    return next(
        f.name
        for f in own_fields(record_model)
        if f.many_to_many and f.remote_field.through is through
    )


def connect_signals() -> None:
    """Connects the signals that tell which records a write touches (from `AppConfig.ready`)."""
    for model in RECORD_MODELS:
        post_save.connect(record_saved, sender=model, dispatch_uid=f"history-save-{model}")
        pre_delete.connect(record_deleting, sender=model, dispatch_uid=f"history-delete-{model}")
        post_delete.connect(record_deleted, sender=model, dispatch_uid=f"history-deleted-{model}")
        for field_ in own_fields(model):
            if field_.many_to_many:
                m2m_changed.connect(
                    partial(many_to_many_changed, record_model=model),
                    sender=field_.remote_field.through,
                    weak=False,
                    dispatch_uid=f"history-m2m-{model}-{field_.name}",
                )
        for name in model.link_relations:
            rel = link_relation(model, name)
            handler = partial(link_row_changed, model=model, owner=rel.field.name)
            for signal in (post_save, post_delete):
                signal.connect(
                    handler,
                    sender=rel.related_model,
                    weak=False,
                    dispatch_uid=f"history-link-{signal}-{rel.related_model}",
                )


def revert(record: Record, version: Version, *, user: User, message: str = "") -> Record:
    """Brings `record` back to the state of its `version`, as a new version; raises
    `DocumentInvalid` (and changes nothing) if that state is no longer valid, for example
    because an actor it names has since been deleted."""
    when = f"{version.created_at:%d %B %Y %H:%M}"
    with recording(user=user, message=message or f"Reverted to the version of {when} UTC."):
        model = type(record)
        current = model.objects.select_for_update().get(pk=record.pk)
        return save_document(model, restorable(version.document), instance=current)


def restore(version: Version, *, user: User, message: str = "") -> Record:
    """Brings a deleted record back, with the relations it had, from the `version` its
    deletion kept; it keeps its history (and, when known, its former id)."""
    model = version.record_type.model_class()
    if model.objects.filter(slug=version.slug).exists():
        raise DocumentInvalid(
            {"slug": [f'Another {model._meta.verbose_name} now has the slug "{version.slug}".']}
        )
    instance = model(pk=version.record_id) if version.record_id is not None else None
    with recording(user=user, message=message or "Restored after its deletion."):
        record = save_document(model, restorable(version.document), instance=instance)
        if version.record_id is None:
            Version.objects.filter(
                record_type=version.record_type, record_id=None, slug=version.slug
            ).update(record_id=record.pk)
    return record


def restorable(document: dict) -> dict:
    """A version's document without `updated_at`, which the save that restores it sets."""
    return {key: value for key, value in document.items() if key != "updated_at"}
