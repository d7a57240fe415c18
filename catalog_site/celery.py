"""The Celery application shared by the worker, beat and the web process.

Configuration lives in Django settings under the ``CELERY_`` namespace
(see ``catalog_site/settings/base.py``).
"""

from celery import Celery

from catalog_site.environment import configure_settings_module

configure_settings_module()

app = Celery("catalog_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
