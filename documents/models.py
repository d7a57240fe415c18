"""Collections, tags, documents, their versions and what processing made of them."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from documents.querysets import DocumentQuerySet


class AIPolicy(models.TextChoices):
    EXTERNAL_ALLOWED = "external_allowed", "External AI providers allowed"
    LOCAL_ONLY = "local_only", "Local AI only (text never leaves the server)"
    DISABLED = "disabled", "No AI processing"


class Collection(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    viewer_groups = models.ManyToManyField(
        Group, blank=True, related_name="viewable_collections", help_text="Members may see and download."
    )
    editor_groups = models.ManyToManyField(
        Group, blank=True, related_name="editable_collections", help_text="Members may also upload and edit."
    )
    ai_policy = models.CharField(max_length=20, choices=AIPolicy.choices, default=AIPolicy.EXTERNAL_ALLOWED)
    ai_auto_apply = models.BooleanField(
        "apply AI tag suggestions automatically",
        default=False,
        help_text="Tags suggested with at least the confidence below are applied without review.",
    )
    ai_auto_apply_threshold = models.FloatField(
        "auto-apply confidence",
        default=0.9,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Between 0 and 1.",
    )
    trash_retention_days = models.PositiveIntegerField(
        default=30, help_text="Days a trashed document is kept before it is purged for good."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="collection_not_own_parent"),
            models.CheckConstraint(
                condition=Q(ai_auto_apply_threshold__gte=0.0, ai_auto_apply_threshold__lte=1.0),
                name="collection_auto_apply_threshold_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    colour = models.CharField(
        max_length=7,
        default="#6b7280",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a hex colour such as #0b5cad.")],
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProcessingStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    PROCESSING = "processing", "Processing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"
    NEEDS_PASSWORD = "needs_password", "Needs password"


class Document(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(max_length=500)
    description = models.TextField(blank=True)
    collection = models.ForeignKey(Collection, on_delete=models.PROTECT, related_name="documents")
    tags = models.ManyToManyField(Tag, blank=True, related_name="documents")
    language = models.CharField(max_length=16, blank=True, help_text="ISO 639-1 code, e.g. 'en'.")
    document_date = models.DateField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Mirrors the current version's status so lists can filter without a join.
    status = models.CharField(
        max_length=20, choices=ProcessingStatus.choices, default=ProcessingStatus.QUEUED, editable=False
    )
    current_version = models.ForeignKey(
        "DocumentVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duplicates",
        editable=False,
        help_text="An earlier document with identical bytes.",
    )
    trashed_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # Trigram index for typo-tolerant title matching ("did you mean").
            GinIndex(fields=["title"], name="document_title_trgm", opclasses=["gin_trgm_ops"]),
            models.Index(fields=["status"]),
            models.Index(fields=["trashed_at"]),
            models.Index(fields=["collection", "-created_at"]),
            # Newest first, as lists and the API's cursor pages read them.
            models.Index(fields=["-created_at", "-id"], name="document_newest_first"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("documents:detail", kwargs={"uuid": self.uuid})


class DocumentVersion(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    # The storage key is generated from ids and the hash, never from the
    # user's filename (see documents.storage.version_key).
    file = models.FileField(max_length=300)
    original_filename = models.CharField(max_length=255)
    mime_type = models.CharField(max_length=150)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64, db_index=True)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=20, choices=ProcessingStatus.choices, default=ProcessingStatus.QUEUED)
    error = models.TextField(blank=True, help_text="Why processing failed, in words a librarian understands.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["document", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="unique_version_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="version_number_positive"),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.document} (v{self.number})"

    @property
    def text(self) -> str:
        return "\n\n".join(page.text for page in self.pages.all())


class DocumentPage(models.Model):
    """Text extracted from one page (or sheet, or slide) of a version."""

    version = models.ForeignKey(DocumentVersion, on_delete=models.CASCADE, related_name="pages")
    number = models.PositiveIntegerField()
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["version", "number"]
        constraints = [models.UniqueConstraint(fields=["version", "number"], name="unique_page_number")]

    def __str__(self) -> str:
        return f"{self.version} p.{self.number}"


class PreviewKind(models.TextChoices):
    THUMB_SMALL = "thumb_small", "Small thumbnail"
    THUMB_MEDIUM = "thumb_medium", "Medium thumbnail"
    PAGE = "page", "Page image"


class VersionPreview(models.Model):
    """A rendered image of a version. One per (version, kind, page): re-running
    the preview step replaces, never duplicates."""

    version = models.ForeignKey(DocumentVersion, on_delete=models.CASCADE, related_name="previews")
    kind = models.CharField(max_length=20, choices=PreviewKind.choices)
    page = models.PositiveIntegerField(default=1)
    file = models.FileField(max_length=300)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()

    class Meta:
        ordering = ["version", "kind", "page"]
        constraints = [
            models.UniqueConstraint(fields=["version", "kind", "page"], name="unique_preview"),
        ]

    def __str__(self) -> str:
        return f"{self.version} {self.kind} p.{self.page}"


class StepState(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


class ProcessingStep(models.Model):
    """One pipeline step of one version: its state, timings and progress."""

    version = models.ForeignKey(DocumentVersion, on_delete=models.CASCADE, related_name="steps")
    name = models.CharField(max_length=50)
    position = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=10, choices=StepState.choices, default=StepState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["version", "position"]
        constraints = [models.UniqueConstraint(fields=["version", "name"], name="unique_step_per_version")]
        indexes = [models.Index(fields=["state", "started_at"])]

    def __str__(self) -> str:
        return f"{self.version} {self.name}: {self.state}"


class AuditAction(models.TextChoices):
    UPLOAD = "upload", "Upload"
    NEW_VERSION = "new_version", "New version"
    DOWNLOAD = "download", "Download"
    EDIT = "edit", "Metadata edit"
    TRASH = "trash", "Trash"
    RESTORE = "restore", "Restore"
    PURGE = "purge", "Purge"
    REPROCESS = "reprocess", "Reprocess"


class AuditEvent(models.Model):
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    object_type = models.CharField(max_length=50)
    object_id = models.CharField(max_length=64)
    # Kept as plain values, not a foreign key: the trail outlives purged rows.
    document_uuid = models.UUIDField(null=True, blank=True, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_type} {self.object_id}"
