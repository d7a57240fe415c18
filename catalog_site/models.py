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
