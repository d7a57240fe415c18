"""Stop an upload as soon as it passes ``UPLOAD_MAX_BYTES``.

Django's own handlers would spool any size to disk. This one sits first,
counts the bytes as they stream in (whatever ``Content-Length`` claimed) and
aborts the request past the cap; the view then answers 413. The partial
temporary files of the later handlers are closed, and so removed, by
Django's parser.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

# Room for the multipart boundaries and the form's other fields.
ENVELOPE_ALLOWANCE = 64 * 1024


class SizeCappedUploadHandler(FileUploadHandler):
    def handle_raw_input(
        self, input_data: Any, META: dict, content_length: int, boundary: bytes, encoding: str | None = None
    ) -> None:
        self.limit = settings.UPLOAD_MAX_BYTES
        self.file_bytes = 0
        # Refusing here would escape the parser's clean-up; refuse at the first file.
        self.declared_too_large = bool(
            content_length and content_length > self.limit * settings.DATA_UPLOAD_MAX_NUMBER_FILES + ENVELOPE_ALLOWANCE
        )

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.file_bytes = 0
        if self.declared_too_large or (self.content_length and self.content_length > self.limit):
            self._refuse()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.file_bytes += len(raw_data)
        if self.file_bytes > self.limit:
            self._refuse()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None

    def _refuse(self) -> None:
        self.request.upload_too_large = True
        raise StopUpload(connection_reset=True)
