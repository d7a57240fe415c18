"""Tasks that keep the stack observable."""

from celery import Task, shared_task

from catalog_site import status


@shared_task(bind=True, name="catalog_site.heartbeat", ignore_result=True)
def heartbeat(self: Task) -> None:
    """Scheduled by beat, run by a worker: proves both are alive."""
    status.record_heartbeat(worker=self.request.hostname or "unknown")


@shared_task(name="catalog_site.integrity_check", ignore_result=True)
def integrity_check() -> dict[str, int]:
    from catalog_site.services.integrity import integrity_check as run

    report = run()
    return {"checked": report.checked, "problems": len(report.missing) + len(report.mismatched) + len(report.orphaned)}


@shared_task(name="catalog_site.delete_orphans", ignore_result=True)
def delete_orphans() -> dict[str, int]:
    from catalog_site.services import tidy

    return {"blobs": tidy.orphans_delete(), "temp_files": tidy.temp_files_delete()}


@shared_task(name="catalog_site.prune_audit_events", ignore_result=True)
def prune_audit_events() -> int:
    from catalog_site.services import tidy

    return tidy.audit_events_prune()


@shared_task(name="catalog_site.scheduled_export", ignore_result=True, soft_time_limit=3600, time_limit=3900)
def scheduled_export() -> str:
    from catalog_site.services import backup

    return backup.catalog_export_scheduled().location
