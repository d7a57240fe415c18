from django.apps import AppConfig


class CatalogSiteConfig(AppConfig):
    name = "catalog_site"
    verbose_name = "Catalog site"
