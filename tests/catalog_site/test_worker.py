import pytest

from catalog_site.models import WorkerHeartbeat
from catalog_site.tasks import heartbeat
from tests.conftest import WorkerProcess, wait_for


@pytest.mark.worker
def test_task_sent_through_the_real_broker_is_run_by_a_real_worker(celery_worker_process: WorkerProcess) -> None:
    # given a running worker and no heartbeat yet
    assert not WorkerHeartbeat.objects.exists()

    # when a task is published to the broker
    heartbeat.delay()

    # then the worker process records its heartbeat in the database
    beat = wait_for(lambda: WorkerHeartbeat.objects.first())
    assert beat.worker.startswith("test-worker-")
