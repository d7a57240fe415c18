"""The S3 code path end to end, over real HTTP against a moto S3 server run as
a subprocess: uploads stored private and encrypted under generated keys, the
pipeline reading from and writing to the bucket, presigned downloads (row U8:
private object, short expiry, forced attachment), blobs deleted only after a
purge commits, and storage outages during processing.

The storage options are not copied here: they are read from the production
settings block (``catalog_site/settings/base.py``) with the environment an
operator would set, so these tests break when that block drifts.
"""

from __future__ import annotations

import runpy
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import httpx
import pytest
from botocore.config import Config
from django.contrib.auth.models import Permission, User
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, transaction
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings
from storages.backends.s3 import S3Storage

import catalog_site.settings.base as base_settings
from documents import pipeline, services, storage
from documents.errors import TransientError
from documents.models import AuditEvent, Document, DocumentVersion, ProcessingStatus, StepState
from tests.library import Library, pdf_bytes, upload

pytestmark = pytest.mark.django_db

REGION = "us-east-1"
ACCESS_KEY = "moto-access-key"
SECRET_KEY = "moto-secret-key"
PUBLIC_GRANTEES = {
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
}
CaptureOnCommit = Callable[..., AbstractContextManager[list[Callable[[], Any]]]]


# --- The S3 server --------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A moto S3 server in its own process, answering on a loopback port."""
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    log_path = tmp_path_factory.mktemp("moto") / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(endpoint, timeout=1)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto server did not start; log:\n{log_path.read_text()[-3000:]}") from None
                time.sleep(0.1)
        yield endpoint
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass
class Bucket:
    """The test's own bucket, inspected with a plain boto3 client."""

    name: str
    endpoint: str
    client: Any

    def object_keys(self, prefix: str = "") -> set[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name, Prefix=prefix)
        return {entry["Key"] for page in pages for entry in page.get("Contents", ())}


@pytest.fixture
def bucket(moto_endpoint: str) -> Iterator[Bucket]:
    client = boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )
    name = f"catalog-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    created = Bucket(name=name, endpoint=moto_endpoint, client=client)
    yield created
    for key in created.object_keys():
        client.delete_object(Bucket=name, Key=key)
    client.delete_bucket(Bucket=name)


# --- Django switched to S3 ----------------------------------------------------------


def production_default_storage(*, bucket_name: str, endpoint_url: str) -> dict[str, Any]:
    """``STORAGES["default"]`` exactly as the settings build it when an operator
    configures S3 through the environment."""
    environment = {
        "CATALOG_IGNORE_DEVSTACK_ENV": "1",
        "AWS_STORAGE_BUCKET_NAME": bucket_name,
        "AWS_S3_ENDPOINT_URL": endpoint_url,
        "AWS_S3_REGION_NAME": REGION,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_QUERYSTRING_EXPIRE": "300",
        "AWS_S3_SERVER_SIDE_ENCRYPTION": "AES256",
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environment.items():
            patch.setenv(name, value)
        namespace = runpy.run_path(base_settings.__file__)
    return namespace["STORAGES"]["default"]


def use_storage(settings: Settings, default: dict[str, Any]) -> None:
    # A new dict, so setting_changed fires and Django drops the cached default_storage.
    settings.STORAGES = {**settings.STORAGES, "default": default}


@pytest.fixture
def s3(settings: Settings, bucket: Bucket, tmp_path: Path) -> Bucket:
    """Django's default storage is the production S3 configuration, on moto."""
    use_storage(settings, production_default_storage(bucket_name=bucket.name, endpoint_url=bucket.endpoint))
    # Temporary copies land here, where nothing else writes, so leftovers show.
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    return bucket


@pytest.fixture(autouse=True)
def file_steps_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plan only the documents app's own steps, the ones that read and write
    files; later steps (search, AI) work on extracted text and are tested on
    their own."""
    own = {step.name: step for step in pipeline.registered_steps() if step.run.__module__ == "documents.steps"}
    assert set(own) == {"extract", "previews"}
    monkeypatch.setattr(pipeline, "_registry", own)


def run_steps(version: DocumentVersion) -> DocumentVersion:
    """Run every planned step in order, in-process, as the worker would."""
    for name in version.steps.order_by("position").values_list("name", flat=True):
        services.step_execute(version_id=version.pk, step_name=name)
    version.refresh_from_db()
    return version


# --- Tests ------------------------------------------------------------------------


def test_s3_settings_block_configures_a_private_encrypted_short_lived_store(s3: Bucket) -> None:
    # given the settings built from the S3 environment (fixture s3)
    # when the default storage is resolved
    store = storage.storage()

    # then it is a real S3Storage on the moto endpoint with the hardened options
    assert isinstance(default_storage, S3Storage)
    assert storage.is_remote(store)
    assert store.bucket_name == s3.name
    assert store.endpoint_url == s3.endpoint
    assert store.region_name == REGION
    assert store.file_overwrite is False
    assert store.default_acl is None
    assert store.querystring_auth is True
    assert store.querystring_expire == 300
    assert store.object_parameters == {"ServerSideEncryption": "AES256"}


def test_upload_stores_a_private_encrypted_object_under_the_generated_key(
    s3: Bucket, lib: Library, librarian: User
) -> None:
    # given a PDF
    data = pdf_bytes(title="Quarterly report")

    # when a librarian uploads it under a name of their choosing
    document = upload(librarian, lib.library, data, filename="quarterly report (final).pdf")

    # then the bytes sit in the bucket under a key built from ids and the hash only
    version = document.current_version
    key = version.file.name
    assert key == f"documents/{document.uuid}/v1-{version.sha256[:16]}.pdf"
    assert s3.object_keys() == {key}
    head = s3.client.head_object(Bucket=s3.name, Key=key)
    assert head["ContentLength"] == len(data)
    assert head["ContentType"] == "application/pdf"
    # and the object is encrypted at rest
    assert head["ServerSideEncryption"] == "AES256"
    # and private: only the owner holds a grant, and an unsigned request is refused
    grants = s3.client.get_object_acl(Bucket=s3.name, Key=key)["Grants"]
    assert [(grant["Grantee"]["Type"], grant["Permission"]) for grant in grants] == [("CanonicalUser", "FULL_CONTROL")]
    assert not [grant for grant in grants if grant["Grantee"].get("URI") in PUBLIC_GRANTEES]
    assert httpx.get(f"{s3.endpoint}/{s3.name}/{key}").status_code == 403


def test_pipeline_reads_from_and_writes_previews_to_the_bucket(
    s3: Bucket, lib: Library, librarian: User, tmp_path: Path
) -> None:
    # given a PDF stored in the bucket
    document = upload(librarian, lib.library, pdf_bytes(title="Wind tunnel", text="Slats delay the stall."))
    version = document.current_version

    # when the extract and previews steps run in-process
    services.step_execute(version_id=version.pk, step_name="extract")
    services.step_execute(version_id=version.pk, step_name="previews")
    version.refresh_from_db()

    # then the text was extracted from a copy of the remote object
    assert version.pages.count() == version.page_count == 1
    assert "Slats delay the stall" in version.pages.get(number=1).text
    # and every preview is an encrypted object in the bucket, under the preview prefix
    preview_names = set(version.previews.values_list("file", flat=True))
    assert {name.rsplit("/", 1)[-1] for name in preview_names} == {
        "page-1.webp",
        "thumb_medium-1.webp",
        "thumb_small-1.webp",
    }
    assert s3.object_keys(f"previews/{document.uuid}/v1/") == preview_names
    for name in preview_names:
        head = s3.client.head_object(Bucket=s3.name, Key=name)
        assert head["ContentType"] == "image/webp"
        assert head["ServerSideEncryption"] == "AES256"
        assert head["ContentLength"] > 0
    # and the version is ready, with no temporary copy left behind
    document.refresh_from_db()
    assert version.status == ProcessingStatus.READY
    assert document.status == ProcessingStatus.READY
    assert list(tmp_path.iterdir()) == []


def test_reprocessing_replaces_preview_objects_in_place(s3: Bucket, lib: Library, librarian: User) -> None:
    # given a processed document, its preview objects in the bucket
    version = run_steps(upload(librarian, lib.library, pdf_bytes(text="again")).current_version)
    first = s3.object_keys("previews/")
    first_rows = sorted(version.previews.values_list("kind", "page", "file"))

    # when its previews are generated again
    services.version_enqueue(version=version, from_step="previews")
    version = run_steps(version)

    # then the same keys hold the new images: no suffixed copies, no orphans
    assert version.status == ProcessingStatus.READY
    assert s3.object_keys("previews/") == first
    assert sorted(version.previews.values_list("kind", "page", "file")) == first_rows


def test_download_redirects_to_a_short_lived_presigned_url_that_forces_attachment(
    s3: Bucket, client: Client, lib: Library, librarian: User, reader: User
) -> None:
    # given a stored PDF and a reader of its collection
    data = pdf_bytes(title="Minutes")
    document = upload(librarian, lib.library, data, filename="minutes.pdf")
    key = document.current_version.file.name
    client.force_login(reader)

    # when the reader asks for the download
    response = client.get(reverse("documents:download", args=[document.uuid]))

    # then the answer is a redirect to a SigV4 URL for that object on the S3 endpoint, valid 300 s
    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}" == s3.endpoint
    assert location.path == f"/{s3.name}/{key}"
    query = parse_qs(location.query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == ["300"]
    assert query["response-content-disposition"][0].startswith('attachment; filename="minutes.pdf"')
    assert query["response-content-type"] == ["application/pdf"]
    # and the download is audited
    assert AuditEvent.objects.filter(action="download").count() == 1

    # when the browser follows the redirect
    download = httpx.get(response["Location"])

    # then it receives the uploaded bytes as an attachment
    assert download.status_code == 200
    assert download.content == data
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["Content-Type"] == "application/pdf"


def test_download_by_a_user_without_rights_is_404_without_a_presigned_url(
    s3: Bucket, client: Client, lib: Library, librarian: User, outsider: User
) -> None:
    # given a stored PDF and a user with no rights to its collection
    document = upload(librarian, lib.library, pdf_bytes(title="Board only"))
    client.force_login(outsider)

    # when that user asks for the download
    response = client.get(reverse("documents:download", args=[document.uuid]))

    # then the document does not exist for them: no redirect, no URL, no audit entry
    assert response.status_code == 404
    assert "Location" not in response
    assert s3.name.encode() not in response.content
    assert b"X-Amz-" not in response.content
    assert not AuditEvent.objects.filter(action="download").exists()


def test_purge_deletes_version_and_preview_objects_after_commit(
    s3: Bucket, lib: Library, librarian: User, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    # given a processed document and a byte-identical duplicate uploaded after it
    data = pdf_bytes(text="to be purged")
    document = upload(librarian, lib.library, data)
    run_steps(document.current_version)
    kept = upload(librarian, lib.library, data, filename="copy.pdf")
    assert kept.duplicate_of == document
    document_pk = document.pk
    purged_keys = s3.object_keys(f"documents/{document.uuid}/") | s3.object_keys(f"previews/{document.uuid}/")
    assert len(purged_keys) == 4  # the PDF, one page image, two thumbnails

    # when it is purged and the transaction commits
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.document_purge(document=document, actor=librarian)
        # then nothing is deleted from the bucket before the commit
        assert purged_keys <= s3.object_keys()

    # then its objects are gone and the duplicate keeps its own copy of the bytes
    assert len(callbacks) == 1
    assert s3.object_keys() == {kept.current_version.file.name}
    assert s3.client.get_object(Bucket=s3.name, Key=kept.current_version.file.name)["Body"].read() == data
    assert not Document.objects.filter(pk=document_pk).exists()


def test_purge_rolled_back_deletes_nothing_from_the_bucket(
    s3: Bucket, lib: Library, librarian: User, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    # given a processed document
    document = upload(librarian, lib.library, pdf_bytes(text="survives"))
    run_steps(document.current_version)
    document_pk, before = document.pk, s3.object_keys()

    # when its purge is rolled back by a later failure in the same transaction
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(DatabaseError),
        transaction.atomic(),
    ):
        services.document_purge(document=document, actor=librarian)
        raise DatabaseError("a later write failed")

    # then no deletion was scheduled, the objects are all there and the document still exists
    assert callbacks == []
    assert s3.object_keys() == before
    assert len(before) == 4
    assert Document.objects.filter(pk=document_pk).exists()


@pytest.fixture
def refused_endpoint() -> Iterator[str]:
    """An endpoint that refuses connections at once: a bound socket that never
    listens, so no other process can take the port while the test runs."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{closed.getsockname()[1]}"


def fail_fast(default: dict[str, Any]) -> dict[str, Any]:
    """The same storage with one short attempt per request, so an outage is
    reported in milliseconds instead of after botocore's backoff."""
    options = default["OPTIONS"]
    # client_config replaces the one django-storages builds, so carry its options over.
    client_config = Config(
        signature_version=options.get("signature_version"),
        s3={"addressing_style": options.get("addressing_style")},
        connect_timeout=1,
        read_timeout=2,
        retries={"total_max_attempts": 1},
    )
    return {**default, "OPTIONS": {**options, "client_config": client_config}}


def test_storage_outage_during_processing_is_retried_then_fails_readably(
    s3: Bucket, settings: Settings, lib: Library, librarian: User, refused_endpoint: str
) -> None:
    # given a PDF stored while S3 answered
    document = upload(librarian, lib.library, pdf_bytes(text="unreachable"))
    version = document.current_version
    # and the same bucket unreachable from now on
    use_storage(settings, fail_fast(production_default_storage(bucket_name=s3.name, endpoint_url=refused_endpoint)))

    # when extraction runs and more attempts remain
    with pytest.raises(TransientError):
        services.step_execute(version_id=version.pk, step_name="extract", final_attempt=False)

    # then the step waits for its retry and says why
    step = version.steps.get(name="extract")
    assert step.state == StepState.PENDING
    assert step.error.startswith("will retry: storage unavailable")
    version.refresh_from_db()
    assert version.status not in (ProcessingStatus.FAILED, ProcessingStatus.READY)

    # when the last attempt meets the same outage
    services.step_execute(version_id=version.pk, step_name="extract", final_attempt=True)

    # then the version and document fail with a reason a librarian can read
    version.refresh_from_db()
    document.refresh_from_db()
    step.refresh_from_db()
    assert step.state == StepState.FAILED
    assert step.attempts == 2
    assert version.status == ProcessingStatus.FAILED
    assert document.status == ProcessingStatus.FAILED
    assert version.error.startswith("gave up after repeated temporary errors: storage unavailable")
    assert "Traceback" not in version.error
    # and the stored object was never touched
    assert s3.object_keys() == {version.file.name}


@pytest.fixture
def librarian_client(client: Client, librarian: User) -> Client:
    librarian.user_permissions.set(Permission.objects.filter(content_type__app_label="documents"))
    client.force_login(librarian)
    return client


def test_upload_refused_by_type_check_leaves_the_bucket_empty(
    s3: Bucket, librarian_client: Client, lib: Library
) -> None:
    # given an HTML page named like a PDF
    fake = SimpleUploadedFile("x.pdf", b"<html><script>alert(1)</script></html>", content_type="application/pdf")

    # when a librarian uploads it through the admin
    response = librarian_client.post(
        "/admin/documents/document/upload/", {"collection": lib.library.pk, "files": [fake]}
    )

    # then it is refused as a type mismatch and nothing reached the bucket
    assert response.status_code == 415
    assert b"named .pdf but its content is HTML" in response.content
    assert s3.object_keys() == set()
    assert not Document.objects.exists()


def test_upload_failing_after_the_bytes_were_stored_removes_the_object(
    s3: Bucket, lib: Library, librarian: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a database write that fails once the bytes are already in the bucket
    def broken_enqueue(**kwargs: Any) -> None:
        raise DatabaseError("connection lost")

    monkeypatch.setattr("documents.services.ingest.version_enqueue", broken_enqueue)

    # when a librarian uploads a PDF
    with pytest.raises(DatabaseError):
        upload(librarian, lib.library, pdf_bytes(text="orphan"))

    # then no row and no object are left behind
    assert not Document.objects.exists()
    assert s3.object_keys() == set()
