"""WSGI entry point for gunicorn."""

from django.core.wsgi import get_wsgi_application

from catalog_site.environment import configure_settings_module

configure_settings_module()
application = get_wsgi_application()
