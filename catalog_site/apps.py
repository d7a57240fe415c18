from django.apps import AppConfig


class CatalogSiteConfig(AppConfig):
    name = "catalog_site"
    verbose_name = "Catalog site"

    def ready(self) -> None:
        # Celery signal handlers: request ids into tasks, task metrics.
        from catalog_site import observability  # noqa: F401
