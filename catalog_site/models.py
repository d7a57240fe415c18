from django.db import models


class WorkerHeartbeat(models.Model):
    """Last time each Celery worker ran the scheduled heartbeat task.

    Kept in the database rather than the cache so the status page can still
    tell when workers were last alive while Redis is down.
    """

    worker = models.CharField(max_length=255, unique=True)
    seen_at = models.DateTimeField()

    class Meta:
        ordering = ["-seen_at"]

    def __str__(self) -> str:
        return f"{self.worker} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"


class BackupRecord(models.Model):
    """One catalog export: where it went and whether it finished."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    location = models.CharField(max_length=1000)
    size = models.PositiveBigIntegerField(default=0)
    documents = models.PositiveIntegerField(default=0)
    files = models.PositiveIntegerField(default=0)
    ok = models.BooleanField(default=False)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"export {self.started_at:%Y-%m-%d %H:%M} → {self.location}"


class IntegrityReport(models.Model):
    """What the last comparison of stored checksums with the blobs found."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    duration_ms = models.PositiveIntegerField(default=0)
    checked = models.PositiveIntegerField(default=0, help_text="Files the database refers to.")
    missing = models.JSONField(default=list, blank=True, help_text="Files the database names but storage lacks.")
    mismatched = models.JSONField(default=list, blank=True, help_text="Files whose bytes no longer match their sha256.")
    orphaned = models.JSONField(default=list, blank=True, help_text="Blobs in storage no row refers to.")
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"integrity {self.created_at:%Y-%m-%d %H:%M}: {'ok' if self.ok else 'problems found'}"

    @property
    def ok(self) -> bool:
        return not (self.missing or self.mismatched or self.orphaned or self.error)


class PeriodicJobRun(models.Model):
    """The last start of each periodic job; a start claims the current slot.

    A deploy briefly runs two beat processes, so a job may be sent twice for
    one slot: the first start claims the row, the second sees the slot taken
    and does nothing (see ``catalog_site.periodic.run_once_per_slot``).
    """

    job = models.CharField(max_length=200, unique=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(default=dict, blank=True)
    runs = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0, help_text="Starts refused because the slot was already taken.")

    class Meta:
        ordering = ["job"]

    def __str__(self) -> str:
        return f"{self.job} @ {self.started_at:%Y-%m-%d %H:%M:%S}"
