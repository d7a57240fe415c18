"""Tasks that keep the stack observable."""

from celery import Task, shared_task

from catalog_site import status


@shared_task(bind=True, name="catalog_site.heartbeat", ignore_result=True)
def heartbeat(self: Task) -> None:
    """Scheduled by beat, run by a worker: proves both are alive."""
    status.record_heartbeat(worker=self.request.hostname or "unknown")
