"""Production: everything from the environment, nothing unsafe by default.

The process refuses to start (with a message naming the problem) when the
configuration would be unsafe: DEBUG on, a missing/short/default secret key,
no DATABASE_URL, or no allowed hosts.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from catalog_site.settings.base import *  # noqa: F403
from catalog_site.settings.base import env

_problems: list[str] = []

if env.bool("DJANGO_DEBUG", default=False):
    _problems.append("DJANGO_DEBUG is on; production must run with DEBUG off")
DEBUG = False

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
_WEAK_SECRETS = {
    "",
    "changeme",
    "secret",
    "django-insecure",
    "local-development-only-secret-key-not-for-production-use",
}
if SECRET_KEY in _WEAK_SECRETS or SECRET_KEY.startswith("django-insecure"):
    _problems.append("DJANGO_SECRET_KEY is missing or a known default; set a random value of 50+ characters")
elif len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    _problems.append("DJANGO_SECRET_KEY is too short or too simple; use 50+ random characters")

if not os.environ.get("DATABASE_URL"):
    _problems.append("DATABASE_URL is not set")

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
_render_host = env.str("RENDER_EXTERNAL_HOSTNAME", default="")
if _render_host and _render_host not in ALLOWED_HOSTS:
    ALLOWED_HOSTS.append(_render_host)
if not ALLOWED_HOSTS:
    _problems.append("DJANGO_ALLOWED_HOSTS is empty (and RENDER_EXTERNAL_HOSTNAME is not set)")
CSRF_TRUSTED_ORIGINS = env.list(
    "DJANGO_CSRF_TRUSTED_ORIGINS", default=[f"https://{h}" for h in ALLOWED_HOSTS if h and not h.startswith(".")]
)

if "*" in ALLOWED_HOSTS:
    _problems.append("DJANGO_ALLOWED_HOSTS contains '*'; name the hosts")
if not (os.environ.get("REDIS_URL") or os.environ.get("CELERY_BROKER_URL")):
    _problems.append("REDIS_URL (or CELERY_BROKER_URL) is not set")
if METRICS_TOKEN and len(METRICS_TOKEN) < 24:
    _problems.append("METRICS_TOKEN is too short; use 24+ random characters (or leave it empty for private scrapes)")

if _problems:
    raise ImproperlyConfigured("Refusing to start with unsafe production settings: " + "; ".join(_problems))

TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1 if os.environ.get("RENDER") else 0)

# Render terminates TLS at its proxy and forwards the original scheme.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# The platform's health checker and a Prometheus inside the private network
# talk plain HTTP (/metrics still needs its token or a private address).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True

LOGGING = build_logging(env.str("LOG_FORMAT", default="json"), env.str("LOG_LEVEL", default="INFO"))
