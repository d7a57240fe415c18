"""Images: facts from the header, no pixel is decoded (and no OCR is done)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import ExifTags, Image

from documents.processing.extract.base import ExtractionResult, Limits, Progress
from documents.processing.extract.safety import open_image


def extract_image(path: Path, limits: Limits, progress: Progress | None) -> ExtractionResult:
    """Width, height, mode, format and frame count. ``pages`` is empty and
    ``page_count`` is 1: an image previews as exactly one page."""
    with open_image(path, limits) as image:
        metadata: dict[str, Any] = {
            "width": image.width,
            "height": image.height,
            "mode": image.mode,
            "format": image.format,
        }
        frames = _frame_count(image)
        if frames > 1:
            metadata["frames"] = frames
        dpi = image.info.get("dpi")
        if isinstance(dpi, tuple) and len(dpi) == 2:
            metadata["dpi"] = [round(float(value), 2) for value in dpi]
        # Rotated phone photos store their pixels sideways; the previews are
        # turned upright, and this tells a reader why width and height differ.
        orientation = _exif_orientation(image)
        if orientation not in (None, 1):
            metadata["exif_orientation"] = orientation
    if progress is not None:
        progress(1, 1)
    return ExtractionResult(pages=[], page_count=1, metadata=metadata)


# Frame headers and EXIF blocks are optional extras: a damaged one costs the
# metadata field, not the document.
_DAMAGED = (OSError, EOFError, ValueError, SyntaxError, Image.DecompressionBombError)


def _frame_count(image: Image.Image) -> int:
    try:
        return int(getattr(image, "n_frames", 1))
    except _DAMAGED:
        return 1


def _exif_orientation(image: Image.Image) -> int | None:
    try:
        orientation = image.getexif().get(ExifTags.Base.Orientation)
    except _DAMAGED:
        return None
    return orientation if isinstance(orientation, int) else None
