"""What curators keep about the catalogue itself: each record's history, and its links' health."""

import uuid

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone


class VersionAction(models.TextChoices):
    CREATED = "created", "created"
    CHANGED = "changed", "changed"
    DELETED = "deleted", "deleted"
    RESTORED = "restored", "restored"


class VersionQuerySet(models.QuerySet):
    def of(self, record: models.Model):
        """The versions of `record`, newest first."""
        return self.filter(
            record_type=ContentType.objects.get_for_model(record), record_id=record.pk
        )

    def deleted(self, model: type[models.Model]):
        """The last version of each deleted record of `model` that has not been restored."""
        return self.filter(
            record_type=ContentType.objects.get_for_model(model), action=VersionAction.DELETED
        ).exclude(
            models.Exists(
                self.model.objects.filter(
                    record_type=models.OuterRef("record_type"),
                    record_id=models.OuterRef("record_id"),
                    created_at__gt=models.OuterRef("created_at"),
                )
            )
        )


class Version(models.Model):
    """One state of a record with its relations (its document, see `catalogue.documents`), as a
    change left it; a deletion keeps the state the record was in when it was deleted."""

    record_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    # No foreign key, so that a deleted record keeps its history; empty for a deleted record
    # whose history came from a dump, until it is restored.
    record_id = models.PositiveBigIntegerField(null=True, blank=True)
    slug = models.SlugField(max_length=100, help_text="The record's slug in this version.")
    name = models.CharField(max_length=255, help_text="The record's name in this version.")
    action = models.CharField(max_length=10, choices=VersionAction.choices)
    changed_fields = models.JSONField(
        default=list, blank=True, help_text="What differs from the version before."
    )
    document = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Kept when the account goes, and what a dump carries.
    user_name = models.CharField(max_length=150, blank=True)
    message = models.TextField(blank=True)

    objects = VersionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["record_type", "record_id", "-created_at"], name="catalogue_version_record"
            )
        ]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.name}: {self.get_action_display()} {self.created_at:%Y-%m-%d %H:%M}"


class LinkCheck(models.Model):
    """The last check of a URL that a record or a source links to."""

    url = models.URLField(max_length=500, unique=True)
    status_code = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The HTTP status of the answer, after redirects."
    )
    error = models.CharField(
        max_length=300, blank=True, help_text="Why no answer came: a timeout, a refused connection."
    )
    is_broken = models.BooleanField(db_index=True)
    checked_at = models.DateTimeField()

    class Meta:
        ordering = ["url"]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return self.url


class ImportState(models.TextChoices):
    PREVIEW_QUEUED = "preview-queued", "waiting to be checked"
    PREVIEWING = "previewing", "being checked"
    PREVIEWED = "previewed", "checked"
    IMPORT_QUEUED = "import-queued", "waiting to be imported"
    IMPORTING = "importing", "being imported"
    IMPORTED = "imported", "imported"
    REFUSED = "refused", "refused"


class ImportJob(models.Model):
    """A file a curator uploaded to import, kept until it is imported: checked first (a dry
    run, the preview), then imported once the curator confirms, each run by the task worker
    (`catalogue.tasks`) outside any request."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    model = models.CharField(max_length=100, help_text="The label of the model it imports into.")
    file_name = models.CharField(max_length=255)
    content = models.BinaryField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    state = models.CharField(max_length=20, choices=ImportState.choices)
    rows = models.JSONField(
        default=list, help_text="The outcome of each row of the last run (`ImportResult`)."
    )
    error = models.TextField(blank=True, help_text="Why the file could not be read as rows.")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_state_display()})"

    @property
    def is_running(self) -> bool:
        return self.state in RUNNING_STATES


RUNNING_STATES = (
    ImportState.PREVIEW_QUEUED,
    ImportState.PREVIEWING,
    ImportState.IMPORT_QUEUED,
    ImportState.IMPORTING,
)
