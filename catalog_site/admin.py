"""Operations records in the admin: read-only, for staff to look at."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from catalog_site.models import BackupRecord, IntegrityReport, PeriodicJobRun, WorkerHeartbeat


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(IntegrityReport)
class IntegrityReportAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "checked", "missing_count", "mismatched_count", "orphaned_count", "is_ok", "error"]
    fields = ["created_at", "duration_ms", "checked", "missing", "mismatched", "orphaned", "error"]
    readonly_fields = fields

    @admin.display(boolean=True, description="OK")
    def is_ok(self, obj: IntegrityReport) -> bool:
        return obj.ok

    @admin.display(description="missing")
    def missing_count(self, obj: IntegrityReport) -> int:
        return len(obj.missing)

    @admin.display(description="mismatched")
    def mismatched_count(self, obj: IntegrityReport) -> int:
        return len(obj.mismatched)

    @admin.display(description="orphaned")
    def orphaned_count(self, obj: IntegrityReport) -> int:
        return len(obj.orphaned)


@admin.register(BackupRecord)
class BackupRecordAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "finished_at", "ok", "location", "documents", "files", "size"]
    readonly_fields = [f.name for f in BackupRecord._meta.fields]


@admin.register(PeriodicJobRun)
class PeriodicJobRunAdmin(ReadOnlyAdmin):
    list_display = ["job", "started_at", "finished_at", "runs", "skipped"]
    readonly_fields = [f.name for f in PeriodicJobRun._meta.fields]


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyAdmin):
    list_display = ["worker", "seen_at"]
