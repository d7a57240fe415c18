"""Guards that run before a parser is allowed to expand anything: zip bombs
(OOXML and ODF are zip files) and pixel bombs (an image header is cheap to
read, the pixels it promises are not)."""

from __future__ import annotations

import logging
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from documents.errors import CorruptFile, ResourceLimitExceeded
from documents.processing.extract.base import Limits, MiB

logger = logging.getLogger(__name__)

# A small entry can have a huge ratio legitimately (a run of identical XML
# tags compresses extremely well) and cannot hurt anyone, so the ratio rule only
# applies to entries that expand past this size.
RATIO_CHECK_MIN_BYTES = 1 * MiB

# Pillow tries every registered decoder on a file it is asked to open; the
# exotic ones are where decoder bugs live, so only the formats we accept are
# allowed. (A camera JPEG with an embedded second picture opens through the
# JPEG plugin and reports its format as "MPO".)
ALLOWED_IMAGE_FORMATS = ("PNG", "JPEG", "TIFF", "WEBP", "GIF")


def check_zip_safety(path: Path, limits: Limits) -> None:
    """Refuse a zip container before any parser opens it.

    Only the central directory is read. The sizes it declares are binding:
    ``zipfile`` never returns more than an entry's declared ``file_size`` (and
    fails the CRC check if the data disagrees), so a lying header cannot smuggle
    more bytes past this check.

    Raises ``CorruptFile`` if the file is not a zip, ``ResourceLimitExceeded``
    if it has too many entries, expands past the size limit in total, or has an
    entry compressed more tightly than real documents ever are.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise CorruptFile("the file is corrupt: not a readable zip container") from exc

    if len(entries) > limits.max_zip_entries:
        raise ResourceLimitExceeded(
            f"refused: the file has {len(entries):,} zip entries (limit {limits.max_zip_entries:,}); "
            "it looks like a zip bomb or is not a real office document"
        )

    total = 0
    for entry in entries:
        total += entry.file_size
        if total > limits.max_zip_uncompressed_bytes:
            raise ResourceLimitExceeded(
                f"refused: the file would expand to more than {limits.max_zip_uncompressed_bytes // MiB:,} MiB; "
                "it looks like a zip bomb"
            )
        if entry.file_size >= RATIO_CHECK_MIN_BYTES:
            ratio = entry.file_size / max(entry.compress_size, 1)
            if ratio > limits.max_zip_compression_ratio:
                logger.warning(
                    "Zip entry %r of %s compressed %.0f:1 (limit %.0f:1)",
                    entry.filename,
                    path.name,
                    ratio,
                    limits.max_zip_compression_ratio,
                )
                raise ResourceLimitExceeded(
                    f"refused: a part of the file is compressed {ratio:,.0f}:1 "
                    f"(limit {limits.max_zip_compression_ratio:,.0f}:1); it looks like a zip bomb"
                )


def check_image_pixels(size: tuple[int, int], limits: Limits) -> None:
    """Refuse an image whose header promises more pixels than the limit."""
    width, height = size
    if width * height > limits.max_image_pixels:
        raise ResourceLimitExceeded(
            f"refused: the image is {width:,} x {height:,} pixels "
            f"(limit {limits.max_image_pixels:,} pixels); it looks like a decompression bomb"
        )


@contextmanager
def open_image(path: Path, limits: Limits) -> Iterator[Image.Image]:
    """Open an image lazily and check its pixel count before anything decodes.

    ``Image.open`` only parses the header, so the size check here costs
    microseconds even for a 50,000 x 50,000 px PNG. Pillow's own safety net
    (``Image.MAX_IMAGE_PIXELS``) is left in place as a backstop: its hard error
    (above twice its limit) is translated into ``ResourceLimitExceeded``, and
    its warning is silenced because ``limits.max_image_pixels`` is the policy
    that decides.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(path, formats=ALLOWED_IMAGE_FORMATS)
    except Image.DecompressionBombError as exc:
        raise ResourceLimitExceeded(
            "refused: the image has more pixels than the limit; it looks like a decompression bomb"
        ) from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        # Pillow's header parsers signal a malformed file with any of these.
        raise CorruptFile("the file is corrupt: not a readable PNG, JPEG, TIFF, WebP or GIF image") from exc
    with image:
        check_image_pixels(image.size, limits)
        yield image
