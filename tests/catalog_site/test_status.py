import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django_celery_beat.models import PeriodicTask

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client: Client) -> Client:
    user = get_user_model().objects.create_user("librarian", password="pw-librarian-1", is_staff=True)
    client.force_login(user)
    return client


def test_status_report_is_for_staff_only(client: Client) -> None:
    user = get_user_model().objects.create_user("reader", password="pw-reader-1")
    client.force_login(user)

    response = client.get("/status.json")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_status_report_checks_each_dependency(staff_client: Client) -> None:
    response = staff_client.get("/status.json")

    checks = response.json()["checks"]
    assert set(checks) == {"database", "migrations", "broker", "worker", "beat", "storage", "ai_providers"}
    assert checks["database"]["ok"] is True
    assert checks["migrations"]["ok"] is True
    assert checks["broker"]["ok"] is True
    assert checks["storage"]["ok"] is True
    # no worker has run the heartbeat in this test, so the report must say so
    assert checks["worker"] == {
        "ok": False,
        "detail": "no heartbeat recorded yet",
        "workers": {},
        "ms": checks["worker"]["ms"],
    }
    assert response.status_code == 503


def test_status_report_names_an_unreachable_broker(staff_client: Client, settings) -> None:
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"

    checks = staff_client.get("/status.json").json()["checks"]

    assert checks["broker"]["ok"] is False
    assert "unreachable" in checks["broker"]["detail"]


def test_request_id_from_the_proxy_is_echoed(client: Client) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "abc123def456"})

    assert response["X-Request-ID"] == "abc123def456"


def test_malformed_request_id_is_replaced(client: Client) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "bad id\r\nx"})

    assert response["X-Request-ID"] != "bad id\r\nx"
    assert len(response["X-Request-ID"]) == 32


def test_setup_periodic_tasks_is_idempotent() -> None:
    call_command("setup_periodic_tasks", verbosity=0)
    call_command("setup_periodic_tasks", verbosity=0)

    heartbeat = PeriodicTask.objects.get(task="catalog_site.heartbeat")
    assert heartbeat.enabled
    assert heartbeat.expire_seconds < heartbeat.interval.every
    assert PeriodicTask.objects.filter(task="catalog_site.heartbeat").count() == 1


def test_ensure_admin_creates_one_superuser_once(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("ensure_admin")
    call_command("ensure_admin")

    assert get_user_model().objects.filter(is_superuser=True).count() == 1
    assert "password:" in capsys.readouterr().out
