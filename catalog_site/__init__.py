"""Document Catalog project package: settings, Celery app, URLs and the dev stack."""

from catalog_site.celery import app as celery_app

__all__ = ["celery_app"]
