"""Catalog export and import: one portable zip archive.

The archive holds ``manifest.json`` (format, version, when, row counts and
every file with its sha256 and size), ``data/<app>.<model>.jsonl`` (one row a
line, Django's serialisation of every row of the catalog: groups and users, collections,
tags, documents, versions, pages, previews, processing steps, the audit
trail, and the AI app's summaries, suggestions and ledger) and
``files/<storage key>`` (each version's bytes and each preview image).

Search indexes (passages, vectors, full-text vectors) are not exported: they
are derived, and an import rebuilds them by re-running the pipeline from the
``chunk`` step. Users and groups travel with natural keys, so an import next
to an existing admin account does not collide with it; everything else keeps
its ids.
"""

from __future__ import annotations

import datetime
import hashlib
import itertools
import json
import logging
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.files import File
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone

from catalog_site import metrics
from catalog_site.models import BackupRecord
from documents.models import Collection, Document, DocumentVersion, Tag, VersionPreview
from documents.storage import storage

logger = logging.getLogger(__name__)

FORMAT = "document-catalog-export"
FORMAT_VERSION = 1
# Whole apps, plus the two auth models the catalog refers to.
EXPORTED_APPS = ("documents", "ai")
EXPORTED_MODELS = ("auth.Group", "auth.User")
# After an import the pipeline re-runs from here to rebuild search indexes.
REINDEX_FROM_STEP = "chunk"
ARCHIVE_PREFIX = "catalog-"
CHUNK = 1024 * 1024
BATCH = 1000


class ImportRefused(Exception):
    """The archive cannot be imported here; the message says why."""


@dataclass
class ExportResult:
    location: str
    size: int = 0
    documents: int = 0
    files: int = 0
    problems: list[str] = field(default_factory=list)


def exported_models() -> list[type[models.Model]]:
    chosen = [apps.get_model(label) for label in EXPORTED_MODELS]
    for label in EXPORTED_APPS:
        chosen.extend(m for m in apps.get_app_config(label).get_models() if not m._meta.proxy and m._meta.managed)
    # Dependencies first so that natural keys resolve on import.
    ordered = serializers.sort_dependencies([(None, chosen)], allow_cycles=True)
    return [m for m in ordered if m in chosen]


def _label(model: type[models.Model]) -> str:
    return model._meta.label_lower


class _Encoder(DjangoJSONEncoder):
    """Django's encoder, but datetimes keep their microseconds."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


def _write_rows(raw: IO[bytes], queryset: models.QuerySet, *, natural: bool) -> None:
    """One JSON object per line (Django's "python" serialisation), a batch at
    a time so that memory stays flat however large the table."""
    rows = queryset.iterator(chunk_size=BATCH)
    while batch := list(itertools.islice(rows, BATCH)):
        for row in serializers.serialize(
            "python", batch, use_natural_foreign_keys=True, use_natural_primary_keys=natural
        ):
            raw.write(json.dumps(row, cls=_Encoder).encode() + b"\n")


def _read_rows(raw: IO[bytes]) -> Iterator[Any]:
    for line in raw:
        if line.strip():
            yield from serializers.deserialize("python", [json.loads(line)])


def _stored_files() -> Iterator[tuple[str, str | None]]:
    """(storage name, expected sha256 or None) of every blob rows refer to."""
    yield from DocumentVersion.objects.order_by("pk").values_list("file", "sha256").iterator()
    for name in VersionPreview.objects.order_by("pk").values_list("file", flat=True).iterator():
        yield name, None


def archive_write(handle: IO[bytes]) -> ExportResult:
    """Write the whole catalog as a zip archive to ``handle``."""
    result = ExportResult(location="")
    counts: dict[str, int] = {}
    files: list[dict[str, Any]] = []
    store = storage()
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        # One snapshot of the rows: REPEATABLE READ inside one transaction
        # (when called inside a transaction already, that one's view is used).
        outermost = not connection.in_atomic_block
        with transaction.atomic():
            if outermost:
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            for model in exported_models():
                queryset = model._default_manager.order_by("pk")
                with archive.open(f"data/{_label(model)}.jsonl", "w", force_zip64=True) as raw:
                    _write_rows(raw, queryset, natural=model._meta.label in EXPORTED_MODELS)
                counts[_label(model)] = queryset.count()
            stored = list(_stored_files())
        for name, expected in stored:
            digest, size = hashlib.sha256(), 0
            try:
                with store.open(name, "rb") as source, archive.open(f"files/{name}", "w", force_zip64=True) as target:
                    for block in iter(lambda source=source: source.read(CHUNK), b""):
                        digest.update(block)
                        size += len(block)
                        target.write(block)
            except FileNotFoundError:
                result.problems.append(f"missing in storage: {name}")
                metrics.storage_error("export")
                continue
            entry = {"name": name, "sha256": digest.hexdigest(), "size": size}
            if expected and expected != entry["sha256"]:
                result.problems.append(f"checksum differs from the database: {name}")
                entry["expected_sha256"] = expected
            files.append(entry)
        manifest = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "created_at": timezone.now().isoformat(),
            "counts": counts,
            "files": files,
            "problems": result.problems,
        }
        archive.writestr("manifest.json", json.dumps(manifest, indent=1))
    result.documents = counts.get(_label(Document), 0)
    result.files = len(files)
    return result


# --- Targets: a directory or s3://bucket/prefix ------------------------------------


def _s3_parts(url: str) -> tuple[str, str]:
    bucket, _, key = url.removeprefix("s3://").partition("/")
    if not bucket:
        raise ValueError(f"not an S3 location: {url!r}")
    return bucket, key


def s3_client() -> Any:
    """A client for the archive's bucket: the catalog's own S3 settings when
    files live in S3, otherwise boto3's usual environment and role lookup."""
    import boto3
    from botocore.config import Config

    options = settings.STORAGES["default"].get("OPTIONS", {}) if "s3" in settings.STORAGES["default"]["BACKEND"] else {}
    return boto3.client(
        "s3",
        endpoint_url=options.get("endpoint_url") or os.environ.get("AWS_S3_ENDPOINT_URL") or None,
        region_name=options.get("region_name") or os.environ.get("AWS_S3_REGION_NAME") or None,
        aws_access_key_id=options.get("access_key") or None,
        aws_secret_access_key=options.get("secret_key") or None,
        config=Config(signature_version="s3v4", connect_timeout=10, read_timeout=60, retries={"max_attempts": 3}),
    )


def archive_name() -> str:
    return f"{ARCHIVE_PREFIX}{timezone.now():%Y%m%dT%H%M%S%fZ}.zip"


def catalog_export(*, target: str, keep: int | None = None) -> ExportResult:
    """Export to ``target``: a directory (a timestamped archive is written in
    it), a ``.zip`` path, or ``s3://bucket/prefix/``. With ``keep``, only the
    newest ``keep`` archives in the directory or prefix are kept. Every
    export is recorded as a ``BackupRecord``."""
    record = BackupRecord.objects.create(started_at=timezone.now(), location=target)
    try:
        with tempfile.NamedTemporaryFile(prefix="catalog-export-", suffix=".zip", delete=False) as temp:
            temp_path = Path(temp.name)
            result = archive_write(temp)
        try:
            result.size = temp_path.stat().st_size
            result.location = _deliver(temp_path, target)
        finally:
            temp_path.unlink(missing_ok=True)
        if keep:
            _prune(target, keep)
    except Exception as exc:
        record.finished_at, record.error = timezone.now(), f"{exc.__class__.__name__}: {exc}"[:2000]
        record.save(update_fields=["finished_at", "error"])
        logger.exception("Catalog export to %s failed", target)
        raise
    record.finished_at = timezone.now()
    record.location, record.size = result.location, result.size
    record.documents, record.files, record.ok = result.documents, result.files, True
    record.error = "; ".join(result.problems)[:2000]
    record.save()
    logger.info("Catalog exported to %s (%d documents, %d files)", result.location, result.documents, result.files)
    return result


def catalog_export_scheduled() -> ExportResult:
    return catalog_export(target=settings.BACKUP_TARGET, keep=settings.BACKUP_KEEP)


def _deliver(path: Path, target: str) -> str:
    if target.startswith("s3://"):
        bucket, key = _s3_parts(target)
        if not key.endswith(".zip"):
            key = f"{key.rstrip('/')}/{archive_name()}".lstrip("/")
        s3_client().upload_file(str(path), bucket, key, ExtraArgs={"ServerSideEncryption": "AES256"})
        return f"s3://{bucket}/{key}"
    destination = Path(target)
    if destination.suffix != ".zip":
        destination.mkdir(parents=True, exist_ok=True)
        destination = destination / archive_name()
    partial = destination.with_suffix(".zip.partial")
    shutil.copyfile(path, partial)
    partial.replace(destination)  # never a half-written archive under the final name
    return str(destination)


def _prune(target: str, keep: int) -> None:
    if target.startswith("s3://"):
        bucket, prefix = _s3_parts(target)
        prefix = prefix.rstrip("/") + "/" if prefix else ""
        client = s3_client()
        keys: list[str] = []
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + ARCHIVE_PREFIX):
            keys.extend(item["Key"] for item in page.get("Contents", []) if item["Key"].endswith(".zip"))
        for key in sorted(keys)[:-keep]:
            client.delete_object(Bucket=bucket, Key=key)
            logger.info("Deleted old export s3://%s/%s", bucket, key)
        return
    folder = Path(target)
    if folder.suffix == ".zip":
        return
    for old in sorted(folder.glob(f"{ARCHIVE_PREFIX}*.zip"))[:-keep]:
        old.unlink()
        logger.info("Deleted old export %s", old)


@contextmanager
def _local_copy(source: str) -> Iterator[Path]:
    if not source.startswith("s3://"):
        yield Path(source)
        return
    bucket, key = _s3_parts(source)
    with tempfile.NamedTemporaryFile(prefix="catalog-import-", suffix=".zip") as temp:
        s3_client().download_fileobj(bucket, key, temp)
        temp.flush()
        yield Path(temp.name)


# --- Import ------------------------------------------------------------------------


def catalog_is_empty() -> bool:
    return not (Document.objects.exists() or Collection.objects.exists() or Tag.objects.exists())


def catalog_import(*, source: str, reindex: bool = True) -> dict[str, int]:
    """Restore an archive into an empty catalog: files first (each checked
    against the manifest), then every row in one transaction. If anything
    fails, the files written are removed and no row is kept."""
    if not catalog_is_empty():
        raise ImportRefused("the catalog is not empty: import restores into an empty database only")
    with _local_copy(source) as path:
        if not zipfile.is_zipfile(path):
            raise ImportRefused(f"{source} is not a catalog archive (not a zip file)")
        with zipfile.ZipFile(path) as archive:
            manifest = _manifest(archive)
            written: list[str] = []
            try:
                for entry in manifest["files"]:
                    written.append(_restore_file(archive, entry))
                counts = _restore_rows(archive, manifest)
            except BaseException:
                _remove(written)
                raise
    if reindex:
        _reindex()
    counts["files"] = len(written)
    logger.info("Catalog imported from %s: %s", source, counts)
    return counts


def _manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    try:
        manifest = json.loads(archive.read("manifest.json"))
    except (KeyError, ValueError) as exc:
        raise ImportRefused("the archive has no readable manifest.json") from exc
    if manifest.get("format") != FORMAT:
        raise ImportRefused("the archive is not a Document Catalog export")
    if manifest.get("version") != FORMAT_VERSION:
        raise ImportRefused(f"archive format version {manifest.get('version')} is not supported")
    return manifest


def _restore_file(archive: zipfile.ZipFile, entry: dict[str, Any]) -> str:
    name = entry["name"]
    if name.startswith("/") or ".." in Path(name).parts:
        raise ImportRefused(f"unsafe file name in the archive: {name!r}")
    digest = hashlib.sha256()
    with tempfile.TemporaryFile(prefix="catalog-import-") as spool:
        with archive.open(f"files/{name}") as source:
            for block in iter(lambda: source.read(CHUNK), b""):
                digest.update(block)
                spool.write(block)
        if digest.hexdigest() != entry["sha256"]:
            raise ImportRefused(f"{name} does not match its checksum in the manifest; the archive is damaged")
        spool.seek(0)
        saved = storage().save(name, File(spool, name=name))
    if saved != name:
        storage().delete(saved)
        raise ImportRefused(f"storage already holds {name}; import into empty storage")
    return saved


def _restore_rows(archive: zipfile.ZipFile, manifest: dict[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    restored_models = []
    with transaction.atomic():
        with connection.cursor() as cursor:
            # Rows refer forwards (a document to its current version): check at the end.
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for model in exported_models():
            member = f"data/{_label(model)}.jsonl"
            if member not in archive.namelist():
                continue
            with archive.open(member) as raw:
                n = 0
                for obj in _read_rows(raw):
                    obj.save()
                    n += 1
            counts[_label(model)] = n
            restored_models.append(model)
            expected = manifest["counts"].get(_label(model))
            if expected is not None and expected != n:
                raise ImportRefused(f"{member} holds {n} rows but the manifest says {expected}")
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), restored_models):
                cursor.execute(statement)
            # Foreign keys are checked now, inside the import, not at some later commit.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    return counts


def _reindex() -> None:
    from documents.pipeline import get_step, notify_documents_changed
    from documents.services import version_enqueue

    notify_documents_changed(list(Document.objects.values_list("pk", flat=True)))
    if get_step(REINDEX_FROM_STEP) is None:
        return
    versions = DocumentVersion.objects.filter(document__current_version_id=models.F("pk"), status="ready")
    for version in versions.iterator():
        with transaction.atomic():
            version_enqueue(version=version, from_step=REINDEX_FROM_STEP)


def _remove(names: list[str]) -> None:
    for name in names:
        try:
            storage().delete(name)
        except Exception:  # cleanup must not hide the original error
            logger.exception("Could not remove %s after a failed import", name)
