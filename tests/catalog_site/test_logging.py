"""Structured logs: the request id of an upload follows its processing into
the worker's log lines, with the user and document ids; secrets and document
text never reach a line."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path
from typing import Any

import pytest
import structlog
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from catalog_site.logging import build_formatter
from documents.models import Document
from tests.conftest import WorkerProcess, wait_for
from tests.library import Library, pdf_bytes

pytestmark = pytest.mark.django_db


def test_json_lines_never_carry_secrets_or_document_text() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(build_formatter("json"))
    target = logging.getLogger("tests.redaction")
    target.addHandler(handler)
    target.setLevel(logging.INFO)
    try:
        structlog.contextvars.bind_contextvars(request_id="req-abcdef12")
        structlog.get_logger("tests.redaction").info(
            "provider_called", api_key="sk-live-123", authorization="Bearer t0k3n", text="Board minutes: layoffs"
        )
    finally:
        structlog.contextvars.clear_contextvars()
        target.removeHandler(handler)

    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert line["event"] == "provider_called"
    assert line["request_id"] == "req-abcdef12"
    assert line["api_key"] == line["authorization"] == "[redacted]"
    assert line["text"] == "[omitted]"
    assert "sk-live-123" not in stream.getvalue() and "layoffs" not in stream.getvalue()


@pytest.mark.worker
def test_the_request_id_of_an_upload_reaches_the_workers_log_lines(
    client: Client, lib: Library, librarian: Any, worker_factory: Any, tmp_path: Path
) -> None:
    worker: WorkerProcess = worker_factory(LOG_LEVEL="INFO")
    librarian.user_permissions.set(Permission.objects.filter(content_type__app_label="documents"))
    client.force_login(librarian)

    response = client.post(
        "/admin/documents/document/upload/",
        {"collection": lib.library.pk, "files": [SimpleUploadedFile("traced.pdf", pdf_bytes(text="traced"))]},
        headers={"X-Request-ID": "upload-req-0042abcd"},
    )

    assert response.status_code == 302
    document = Document.objects.get()
    # previews is enqueued by the worker itself, after extract: the id is carried on
    lines = wait_for(
        lambda: [line for line in worker.log_path.read_text().splitlines() if "Step previews of version" in line],
        timeout=60,
    )
    assert "request_id=upload-req-0042abcd" in lines[0]
    assert f"user_id={librarian.pk}" in lines[0]
    assert f"document_id={document.pk}" in lines[0]
    assert "task=documents.run_step" in lines[0]
