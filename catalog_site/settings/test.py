"""Test settings: the same real services as development, faster hashing."""

from catalog_site.settings.base import *  # noqa: F403
from catalog_site.settings.base import env

DEBUG = False
SECRET_KEY = "test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
# Tests get their own media folder so they never touch development files.
MEDIA_ROOT = VAR_DIR / "test-media"
if STORAGES["default"]["BACKEND"].endswith("FileSystemStorage"):
    STORAGES["default"]["OPTIONS"]["location"] = str(MEDIA_ROOT)
CACHES["default"]["KEY_PREFIX"] = "catalog-test"
LOGGING = build_logging("console", env.str("LOG_LEVEL", default="WARNING"))
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# Tests never reach a real AI provider, whatever keys the environment holds:
# they configure external providers themselves, behind a faked transport.
AI_PROVIDERS = {**AI_PROVIDERS, **{name: [{"backend": "local"}] for name in ("summary", "suggestions", "answer")}}
