"""Local development: debug on, a fixed development secret, readable logs."""

from catalog_site.settings.base import *  # noqa: F403
from catalog_site.settings.base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="local-development-only-secret-key-not-for-production-use")
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# The manifest storage needs collectstatic; development serves from the finders.
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
