"""Where a version's bytes and previews live, and how they are handed out.

Keys are generated from ids and hashes, never from user input. All access
goes through Django's storage API, so local disk and S3 behave alike; no
code assumes ``.path`` exists.
"""

from __future__ import annotations

from django.core.files.storage import Storage, default_storage

from documents.sniffing import default_extension


def version_key(*, document_uuid: str, number: int, sha256: str, mime_type: str) -> str:
    return f"documents/{document_uuid}/v{number}-{sha256[:16]}{default_extension(mime_type)}"


def preview_key(*, document_uuid: str, number: int, kind: str, page: int) -> str:
    return f"previews/{document_uuid}/v{number}/{kind}-{page}.webp"


def storage() -> Storage:
    return default_storage


def is_remote(store: Storage | None = None) -> bool:
    """True for object stores that can hand out presigned URLs."""
    store = store or storage()
    return hasattr(store, "bucket_name")


def presigned_download_url(name: str, *, filename_header: str, mime_type: str, expire: int | None = None) -> str:
    """A short-lived URL that forces a download with our headers."""
    store = storage()
    params = {
        "ResponseContentDisposition": filename_header,
        "ResponseContentType": mime_type,
    }
    return store.url(name, parameters=params, expire=expire)
