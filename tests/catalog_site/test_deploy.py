"""The Render Blueprint and the process sizing read from the environment."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from catalog_site.worker import command_for

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def blueprint() -> dict:
    return yaml.safe_load((BASE_DIR / "render.yaml").read_text())


def services_of(blueprint: dict, kind: str) -> list[dict]:
    return [service for service in blueprint["services"] if service["type"] == kind]


def test_every_queue_has_a_worker_service_and_there_is_exactly_one_beat(blueprint: dict) -> None:
    workers = services_of(blueprint, "worker")
    beats = [w for w in workers if " beat" in w["startCommand"]]
    consumers = [w for w in workers if w not in beats]

    assert len(beats) == 1 and beats[0]["numInstances"] == 1 and "scaling" not in beats[0]
    served = set()
    for worker in consumers:
        kind = worker["startCommand"].removeprefix("python -m catalog_site.worker ")
        queues = command_for(kind, {})[command_for(kind, {}).index("-Q") + 1].split(",")
        served.update(queues)
        assert worker["scaling"]["minInstances"] >= 1 and worker["scaling"]["maxInstances"] > 1
    assert served == {queue.name for queue in settings.CELERY_TASK_QUEUES}


def test_web_autoscales_checks_health_and_migrates_before_deploying(blueprint: dict) -> None:
    (web,) = services_of(blueprint, "web")

    assert web["healthCheckPath"] == "/healthz"
    assert web["scaling"]["maxInstances"] > web["scaling"]["minInstances"] >= 1
    assert "migrate" in web["preDeployCommand"] and "setup_periodic_tasks" in web["preDeployCommand"]
    env = {item["key"]: item for item in web["envVars"] if "key" in item}
    assert env["DATABASE_POOL"]["value"] == "true"
    assert env["METRICS_TOKEN"]["generateValue"] is True


def test_two_key_value_instances_postgres_groups_and_the_export_cron(blueprint: dict) -> None:
    policies = {kv["name"]: kv["maxmemoryPolicy"] for kv in services_of(blueprint, "keyvalue")}
    (cron,) = services_of(blueprint, "cron")
    groups = {group["name"] for group in blueprint["envVarGroups"]}

    assert policies == {"catalog-broker": "noeviction", "catalog-cache": "allkeys-lru"}
    assert blueprint["databases"][0]["name"] == "catalog-db"
    assert cron["startCommand"] == "python manage.py catalog_export --scheduled"
    assert {"fromGroup": "catalog-backups"} in cron["envVars"]
    for service in blueprint["services"]:
        for item in service.get("envVars", []):
            assert item.get("fromGroup", next(iter(groups))) in groups


def test_worker_concurrency_per_queue_comes_from_the_environment() -> None:
    fast = command_for("fast", {"CELERY_FAST_CONCURRENCY": "6"})
    slow = command_for("slow", {"CELERY_SLOW_CONCURRENCY": "3"})

    assert fast[fast.index("--concurrency") + 1] == "6" and fast[fast.index("-Q") + 1] == "pipeline-fast,celery"
    assert slow[slow.index("--concurrency") + 1] == "3" and slow[slow.index("-Q") + 1] == "pipeline-slow"
    with pytest.raises(SystemExit, match="unknown worker kind"):
        command_for("medium", {})


def test_gunicorn_workers_and_threads_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEB_CONCURRENCY", "5")
    monkeypatch.setenv("GUNICORN_THREADS", "8")
    monkeypatch.setenv("PORT", "10000")
    monkeypatch.delenv("HOST", raising=False)

    config = runpy.run_path(str(BASE_DIR / "gunicorn.conf.py"))

    assert (config["workers"], config["threads"], config["bind"]) == (5, 8, "0.0.0.0:10000")
