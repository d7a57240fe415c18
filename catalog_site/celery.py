"""The Celery application shared by the worker, beat and the web process.

Configuration lives in Django settings under the ``CELERY_`` namespace
(see ``catalog_site/settings/base.py``). Every task runs through
``CatalogTask``: jobs sent by beat claim their slot first (see
``catalog_site.periodic``); the request id of the web request that caused a
task travels in its headers (see ``catalog_site.observability``).
"""

from typing import Any

from celery import Celery, Task

from catalog_site.environment import configure_settings_module

configure_settings_module()


class CatalogTask(Task):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        job = getattr(self.request, "periodic_task_name", None)
        if not job:
            return super().__call__(*args, **kwargs)
        from catalog_site.periodic import slot_claim, slot_finish

        if not slot_claim(job):
            return None
        result = super().__call__(*args, **kwargs)
        slot_finish(job, result)
        return result


app = Celery("catalog_site", task_cls=CatalogTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
