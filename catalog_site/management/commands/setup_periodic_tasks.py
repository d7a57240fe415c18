"""Create or update the periodic tasks declared in ``CATALOG_PERIODIC_TASKS``.

Idempotent: run it on every deploy. Tasks that are no longer declared are
disabled, not deleted, so their history stays visible in the admin.
"""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import IntervalSchedule, PeriodicTask

MANAGED_PREFIX = "catalog: "


class Command(BaseCommand):
    help = "Create or update the catalog's periodic tasks."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        declared = set()
        for spec in settings.CATALOG_PERIODIC_TASKS:
            name = MANAGED_PREFIX + spec["name"]
            declared.add(name)
            schedule, _ = IntervalSchedule.objects.get_or_create(
                every=spec["every_seconds"], period=IntervalSchedule.SECONDS
            )
            _, created = PeriodicTask.objects.update_or_create(
                name=name,
                defaults={
                    "task": spec["task"],
                    "interval": schedule,
                    "crontab": None,
                    "expire_seconds": spec["expires_seconds"],
                    "enabled": True,
                    "queue": spec.get("queue"),
                },
            )
            self.stdout.write(f"{'created' if created else 'updated'}: {name}")
        stale = PeriodicTask.objects.filter(name__startswith=MANAGED_PREFIX, enabled=True).exclude(name__in=declared)
        for task in stale:
            task.enabled = False
            task.save(update_fields=["enabled"])
            self.stdout.write(f"disabled: {task.name}")
