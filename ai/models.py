"""The AI ledger: one row per provider call, whatever its outcome."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Outcome(models.TextChoices):
    OK = "ok", "OK"
    ERROR = "error", "Error"
    SKIPPED = "skipped", "Skipped (policy, budget or circuit open)"


class AIRun(models.Model):
    capability = models.CharField(max_length=32)
    provider = models.CharField(max_length=32)
    model = models.CharField(max_length=128, blank=True)
    prompt_version = models.CharField(max_length=16, blank=True)
    document = models.ForeignKey("documents.Document", null=True, blank=True, on_delete=models.SET_NULL)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    tokens_in = models.PositiveIntegerField(default=0)
    tokens_out = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(max_digits=12, decimal_places=6, default=0)
    latency_ms = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = "AI run"
        indexes = [models.Index(fields=["provider", "created_at"])]

    def __str__(self) -> str:
        return f"{self.capability} via {self.provider} ({self.outcome})"


class Summary(models.Model):
    """A summary of one document version, with its provenance."""

    version = models.ForeignKey("documents.DocumentVersion", on_delete=models.CASCADE, related_name="summaries")
    text = models.TextField()
    provider = models.CharField(max_length=32)
    model = models.CharField(max_length=128, blank=True)
    prompt_version = models.CharField(max_length=16, blank=True)
    #: Hash of the text summarised: same text, provider, model and prompt → reuse.
    content_hash = models.CharField(max_length=64, db_index=True)
    #: The document was longer than the input budget: only its beginning was summarised.
    truncated = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "summaries"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Summary of {self.version} by {self.provider}"


class SuggestionKind(models.TextChoices):
    TAG = "tag", "Tag"
    COLLECTION = "collection", "Collection"


class SuggestionStatus(models.TextChoices):
    PENDING = "pending", "Pending review"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    AUTO_APPLIED = "auto_applied", "Applied automatically"


class Suggestion(models.Model):
    """A tag or collection proposed for a document, awaiting a librarian."""

    document = models.ForeignKey("documents.Document", on_delete=models.CASCADE, related_name="suggestions")
    kind = models.CharField(max_length=16, choices=SuggestionKind.choices)
    tag = models.ForeignKey("documents.Tag", null=True, blank=True, on_delete=models.CASCADE)
    collection = models.ForeignKey("documents.Collection", null=True, blank=True, on_delete=models.CASCADE)
    confidence = models.FloatField()
    status = models.CharField(max_length=16, choices=SuggestionStatus.choices, default=SuggestionStatus.PENDING)
    provider = models.CharField(max_length=32)
    model = models.CharField(max_length=128, blank=True)
    prompt_version = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-confidence"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind="tag", tag__isnull=False, collection__isnull=True))
                | (models.Q(kind="collection", collection__isnull=False, tag__isnull=True)),
                name="suggestion_target_matches_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.tag or self.collection} for {self.document_id}"


class CachedGeneration(models.Model):
    """A generative result kept by (capability, content hash, provider, model,
    prompt version): the same input is never sent to the same model twice."""

    capability = models.CharField(max_length=32)
    #: sha256 of everything the model was given (instructions, text, choices).
    content_hash = models.CharField(max_length=64)
    provider = models.CharField(max_length=32)
    model = models.CharField(max_length=128, blank=True)
    prompt_version = models.CharField(max_length=16, blank=True)
    text = models.TextField(blank=True)
    data = models.JSONField(null=True, blank=True)
    #: The document whose text was sent: purging it removes what was made of it.
    document = models.ForeignKey(
        "documents.Document", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["capability", "content_hash", "provider", "model", "prompt_version"],
                name="unique_cached_generation",
            )
        ]

    def __str__(self) -> str:
        return f"{self.capability} {self.content_hash[:12]} by {self.provider}"
