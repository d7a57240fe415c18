"""gunicorn settings from the environment (gunicorn reads this file from the
working directory; command-line flags still win).

WEB_CONCURRENCY worker processes times GUNICORN_THREADS threads each. Threads
suit this app: requests mostly wait on PostgreSQL, Redis and storage. With
DATABASE_POOL on, each process's threads share one psycopg pool, so
DATABASE_POOL_MAX_SIZE should be at least GUNICORN_THREADS.
"""

import os

_port = os.environ.get("PORT", "8000")
# On a platform (PORT set) its router sits in front, so listen on every interface.
_host = os.environ.get("HOST", "0.0.0.0" if "PORT" in os.environ else "127.0.0.1")  # noqa: S104
bind = f"{_host}:{_port}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Recycle workers now and then so a slow leak never grows unbounded. Rarely:
# a new worker spends ~1.5 s of CPU importing the app and warming up, which
# every 2,000 requests cost a busy instance more than half its throughput.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "50000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "5000"))
# Heartbeat files in memory, not on a possibly slow disk.
_SHM = "/dev/shm"  # noqa: S108 — gunicorn's documented choice for its heartbeat files
worker_tmp_dir = _SHM if os.path.isdir(_SHM) else None
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
