"""Errors raised while accepting or processing a document.

``ProcessingError`` subclasses are *permanent*: the version is marked failed
with ``reason``, a sentence a librarian understands. ``TransientError`` means
"try again later" (storage or a provider briefly unavailable).
"""


class DocumentError(Exception):
    """Base class; ``reason`` is safe to show to users."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UploadRejected(DocumentError):
    """The upload was refused before anything was stored."""

    status_code = 400


class UploadTooLarge(UploadRejected):
    status_code = 413


class UnsupportedFileType(UploadRejected):
    status_code = 415


class FileTypeMismatch(UploadRejected):
    status_code = 415


class StorageUnreachable(UploadRejected):
    """The file store did not take the bytes; nothing was kept."""

    status_code = 503


class ProcessingError(DocumentError):
    """A permanent failure of one document: retrying will not help."""

    state = "failed"


class PasswordProtected(ProcessingError):
    state = "needs_password"

    def __init__(self, reason: str = "password-protected PDF: upload a copy without a password") -> None:
        super().__init__(reason)


class CorruptFile(ProcessingError):
    pass


class ResourceLimitExceeded(ProcessingError):
    """Zip bombs, pixel bombs, absurd page counts: refused before expansion."""


class TransientError(DocumentError):
    """Worth retrying with backoff (storage or a dependency briefly down)."""


class StepTimeout(BaseException):
    """A pipeline step ran past ``PROCESSING_STEP_TIME_LIMIT``.

    Derived from ``BaseException`` on purpose: parsers that catch
    ``Exception`` to survive odd files must not swallow it.
    """
