"""Text and metadata extraction from local files, one extractor per format.

Pure Python on file paths (no models, no storage), so the pipeline step copies
the version's file to a temporary path and calls :func:`extract_text`.
"""

from documents.processing.extract.base import (
    DEFAULT_LIMITS,
    SUPPORTED_TYPES,
    ExtractionResult,
    Limits,
    Progress,
)
from documents.processing.extract.core import extract_text
from documents.processing.extract.pdf import open_pdf
from documents.processing.extract.safety import check_image_pixels, check_zip_safety, open_image

__all__ = [
    "DEFAULT_LIMITS",
    "SUPPORTED_TYPES",
    "ExtractionResult",
    "Limits",
    "Progress",
    "check_image_pixels",
    "check_zip_safety",
    "extract_text",
    "open_image",
    "open_pdf",
]
