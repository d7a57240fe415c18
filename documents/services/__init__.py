"""Writes to the catalog. Every surface calls these functions."""

from documents.services.audit import RequestMeta, audit_record, client_ip
from documents.services.curation import (
    document_purge,
    document_update,
    documents_move,
    documents_of_collection_or_tag_changed,
    documents_purge_expired,
    documents_reprocess,
    documents_restore,
    documents_tag,
    documents_trash,
    tags_merge,
)
from documents.services.ingest import (
    UploadOutcome,
    document_create,
    document_version_create,
    documents_create_many,
    receive_file,
    too_large_message,
)
from documents.services.processing import step_execute, version_enqueue, versions_sweep_stuck

__all__ = [
    "RequestMeta",
    "UploadOutcome",
    "audit_record",
    "client_ip",
    "document_create",
    "document_purge",
    "document_update",
    "document_version_create",
    "documents_create_many",
    "documents_move",
    "documents_of_collection_or_tag_changed",
    "documents_purge_expired",
    "documents_reprocess",
    "documents_restore",
    "documents_tag",
    "documents_trash",
    "receive_file",
    "step_execute",
    "tags_merge",
    "too_large_message",
    "version_enqueue",
    "versions_sweep_stuck",
]
