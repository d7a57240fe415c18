import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from ai.models import AIRun
from catalog_site.models import BackupRecord, IntegrityReport

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
    assert set(checks) == {
        "database",
        "migrations",
        "broker",
        "worker",
        "beat",
        "storage",
        "ai_providers",
        "queues",
        "backup",
        "integrity",
        "periodic_jobs",
    }
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
    assert checks["queues"]["ok"] is True
    assert set(checks["queues"]["queues"]) == {"celery", "pipeline-fast", "pipeline-slow"}
    assert checks["backup"] == {"ok": False, "detail": "no export has completed yet", "ms": checks["backup"]["ms"]}
    assert checks["integrity"]["detail"] == "no integrity check has run yet"
    assert response.status_code == 503


def test_status_page_shows_each_check_to_staff(staff_client: Client) -> None:
    BackupRecord.objects.create(
        started_at=timezone.now(), finished_at=timezone.now(), location="/backups/catalog-x.zip", ok=True, documents=3
    )
    IntegrityReport.objects.create(checked=4, missing=[{"file": "documents/gone.pdf", "version": 1}])

    response = staff_client.get("/status/")

    page = response.content.decode()
    assert response.status_code == 503  # the integrity report found a missing file
    for label in ("Database", "Migrations", "Broker", "Worker", "Beat", "Storage", "Ai providers", "Queues"):
        assert f'<th scope="row">{label}</th>' in page
    assert "last export 0.0 h ago (3 documents" in page
    assert "1 missing" in page
    assert "pipeline-fast: " in page


def test_status_page_is_for_staff_only(client: Client) -> None:
    client.force_login(get_user_model().objects.create_user("reader", password="pw-reader-1"))

    assert client.get("/status/").status_code == 302


def test_ai_usage_and_budget_left_come_from_the_ledger(staff_client: Client, settings) -> None:
    settings.AI_PROVIDERS = {**settings.AI_PROVIDERS, "summary": [{"backend": "anthropic"}, {"backend": "local"}]}
    settings.AI_DAILY_BUDGETS = {"anthropic": {"tokens": 1000, "cost": "0.50"}}
    AIRun.objects.create(
        capability="summary", provider="anthropic", tokens_in=600, tokens_out=100, cost="0.20", outcome="ok"
    )
    AIRun.objects.create(capability="summary", provider="anthropic", outcome="error", error="529 overloaded")

    check = staff_client.get("/status.json").json()["checks"]["ai_providers"]

    assert check["chains"]["summary"] == ["anthropic", "local"]
    assert check["usage"]["anthropic"] == {
        "calls_today": 2,
        "errors_today": 1,
        "tokens_today": 700,
        "cost_today": 0.2,
        "tokens_left": 300,
        "cost_left": 0.3,
    }


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
