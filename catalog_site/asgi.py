"""ASGI entry point."""

from django.core.asgi import get_asgi_application

from catalog_site.environment import configure_settings_module

configure_settings_module()
application = get_asgi_application()
