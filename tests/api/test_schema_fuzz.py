"""The OpenAPI contract: the schema generates without warnings, and
schemathesis, fuzzing the live API over HTTP with a real key, finds no
server error and no response that contradicts the schema."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from api.services import api_key_create
from tests.api.conftest import processed
from tests.factories import TagFactory
from tests.library import pdf_bytes, upload

BASE_DIR = Path(__file__).resolve().parents[2]
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def test_the_schema_generates_without_warnings(tmp_path: Path) -> None:
    target = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    text = target.read_text()
    assert "/api/v1/documents/{uuid}/versions/{number}/download/" in text
    assert "ApiKey" in text and "#/components/schemas/Error" in text


@pytest.mark.django_db(transaction=True)
def test_schemathesis_finds_no_server_errors_and_no_schema_violations(live_server, settings, lib, tmp_path) -> None:
    # The fuzzer sends thousands of requests; the limits themselves are tested elsewhere.
    settings.API_THROTTLE_KEY_PER_MINUTE = 1_000_000
    settings.API_AUTH_FAILURES_PER_MINUTE = 1_000_000
    from django.contrib.auth.models import User

    admin = User.objects.create_superuser("fuzz-admin", "fuzz@example.org", "x-unused-password")
    secret = api_key_create(user=admin, name="fuzz", scopes=["read", "write"]).secret
    TagFactory(name="fuzzed")
    processed(upload(admin, lib.library, pdf_bytes(title="Fuzz target"), filename="fuzz.pdf"))

    result = subprocess.run(
        [
            sys.executable, "-m", "schemathesis.cli", "run", f"{live_server.url}/api/v1/schema/",
            "--header", f"X-API-Key: {secret}",
            "--checks", CHECKS,
            "--phases", "coverage,fuzzing",
            "--max-examples", os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "10"),
            "--seed", "20261204",
            "--workers", "2",
            "--request-timeout", "30",
            # Revoking the key the fuzzer runs with would end the run early.
            "--exclude-path-regex", "revoke",
            "--no-color",
            "--generation-database", "none",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env={**os.environ, "PYTHONPATH": str(BASE_DIR)},
    )  # fmt: skip

    report = BASE_DIR / "test-artifacts" / "schemathesis.txt"
    report.parent.mkdir(exist_ok=True)
    report.write_text(result.stdout + result.stderr)
    assert result.returncode == 0, f"see {report}\n" + result.stdout[-6000:] + result.stderr[-2000:]
    assert "No issues found" in result.stdout or " passed" in result.stdout


@pytest.mark.django_db
def test_swagger_ui_and_redoc_pages_are_served(client) -> None:
    swagger = client.get("/api/v1/docs/")
    redoc = client.get("/api/v1/redoc/")
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert swagger.status_code == 200 and b"swagger" in swagger.content.lower()
    assert redoc.status_code == 200 and b"redoc" in redoc.content.lower()
    assert schema.status_code == 200 and schema.json()["info"]["title"] == "Document Catalog API"
    # Everything they load comes from this site (no CDN) and no script is
    # inline, so the Content-Security-Policy (script-src 'self') lets them run.
    for page in (swagger, redoc):
        html = page.content.decode()
        sources = re.findall(r'<script[^>]*\bsrc="([^"]+)"', html)
        assert sources and all(src.startswith("/") for src in sources), sources
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", html), "inline script"
        assert "script-src 'self'" in page["Content-Security-Policy"]
