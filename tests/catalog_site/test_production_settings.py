"""Production refuses unsafe configuration and passes Django's deploy checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
GOOD_SECRET = "x7#Kq9!vTz2@Lm4$Np6^Rs8&Wu0*Yb3(Dc5)Fe7_Gh9+Jk1=Mn3"


def production_env(**overrides: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "RENDER", "DATABASE_URL", "CATALOG_"))
    }
    env.update(
        {
            "DJANGO_ENV": "production",
            "DJANGO_SECRET_KEY": GOOD_SECRET,
            "DATABASE_URL": "postgres://catalog:pw@db.internal:5432/catalog",
            "REDIS_URL": "redis://cache.internal:6379/0",
            "DJANGO_ALLOWED_HOSTS": "catalog.example.org",
            "CATALOG_IGNORE_DEVSTACK_ENV": "1",
        }
    )
    env.update(overrides)
    return {key: value for key, value in env.items() if value != ""}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )


def test_check_deploy_is_clean_with_a_realistic_production_environment() -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())

    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_render_is_detected_as_production_and_its_hostname_allowed() -> None:
    env = production_env(RENDER="true", RENDER_EXTERNAL_HOSTNAME="catalog.onrender.com", DJANGO_ALLOWED_HOSTS="")
    env.pop("DJANGO_ENV")

    result = manage("shell", "-c", "from django.conf import settings; print(settings.ALLOWED_HOSTS)", env=env)

    assert result.returncode == 0, result.stderr
    assert "catalog.onrender.com" in result.stdout


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"DJANGO_DEBUG": "true"}, "DJANGO_DEBUG is on"),
        ({"DJANGO_SECRET_KEY": ""}, "DJANGO_SECRET_KEY is missing"),
        ({"DJANGO_SECRET_KEY": "django-insecure-abc"}, "DJANGO_SECRET_KEY is missing or a known default"),
        ({"DJANGO_SECRET_KEY": "short-but-not-default"}, "too short"),
        ({"DATABASE_URL": ""}, "DATABASE_URL is not set"),
        ({"DJANGO_ALLOWED_HOSTS": ""}, "DJANGO_ALLOWED_HOSTS is empty"),
        ({"DJANGO_ALLOWED_HOSTS": "*"}, "DJANGO_ALLOWED_HOSTS contains '*'"),
        ({"REDIS_URL": ""}, "REDIS_URL (or CELERY_BROKER_URL) is not set"),
        ({"METRICS_TOKEN": "short"}, "METRICS_TOKEN is too short"),
    ],
)
def test_production_refuses_to_start_with_unsafe_settings(overrides: dict[str, str], message: str) -> None:
    result = manage("check", env=production_env(**overrides))

    assert result.returncode != 0
    assert "Refusing to start with unsafe production settings" in result.stderr
    assert message in result.stderr


def test_production_security_settings() -> None:
    code = (
        "from django.conf import settings as s; "
        "print(s.SECURE_PROXY_SSL_HEADER, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.X_FRAME_OPTIONS, s.SECURE_REFERRER_POLICY, "
        "'csp.middleware.CSPMiddleware' in s.MIDDLEWARE)"
    )

    result = manage("shell", "--no-imports", "-c", code, env=production_env())

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
        "True",
        "31536000",
        "True",
        "True",
        "DENY",
        "same-origin",
        "True",
    ]


def test_sentry_is_set_up_only_when_a_dsn_is_given() -> None:
    code = "import sys, django.conf; django.conf.settings.INSTALLED_APPS; print('sentry_sdk' in sys.modules)"

    without = manage("shell", "--no-imports", "-c", code, env=production_env())
    with_dsn = manage(
        "shell",
        "--no-imports",
        "-c",
        code + "; import sentry_sdk; print(sentry_sdk.get_client().is_active())",
        env=production_env(SENTRY_DSN="https://public@sentry.example.org/1"),
    )

    assert without.returncode == 0 and with_dsn.returncode == 0, without.stderr + with_dsn.stderr
    assert without.stdout.split() == ["False"]
    assert with_dsn.stdout.split() == ["True", "True"]
