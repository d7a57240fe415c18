"""OpenAPI post-processing: the one error shape on every operation."""

from __future__ import annotations

from typing import Any

ERROR_STATUSES = {
    "400": "Invalid input: `fields` names each field's problems.",
    "401": "No credentials, or an invalid, expired or revoked API key.",
    "403": "Signed in, but not allowed (or the key lacks the scope).",
    "404": "Not found, or not visible to the caller.",
    "429": "Too many requests; see the Retry-After header.",
}

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "code", "message"],
            "properties": {
                "status": {"type": "integer"},
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": True},
            },
        }
    },
}


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """Document the error shape for every status any operation can answer
    (upload errors 413/415 and storage errors 503 are added where they occur)."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            statuses = dict(ERROR_STATUSES)
            if method == "post" and path.endswith(("/documents/", "/versions/")):
                statuses["413"] = "The file is larger than the upload limit."
                statuses["415"] = "The file's type is not allowed or does not match its name."
            if path.endswith(("/download/", "/previews/{kind}/{page}/")):
                statuses["503"] = "File storage is unavailable; try again later."
            for code, description in statuses.items():
                existing = responses.get(code)
                if existing is None or "content" not in existing:
                    responses[code] = {
                        "description": description,
                        "content": {"application/json": {"schema": ref}},
                    }
    return result
