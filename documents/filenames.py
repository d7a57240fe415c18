"""User-supplied file names: kept as metadata only, cleaned for display and
for the ``Content-Disposition`` header (RFC 6266 / RFC 5987)."""

from __future__ import annotations

import unicodedata
from pathlib import PurePosixPath, PureWindowsPath
from urllib.parse import quote

MAX_FILENAME_LENGTH = 200
# Bidirectional overrides and isolates can disguise "gpj.exe" as "exe.jpg".
_BIDI_CONTROLS = {chr(code) for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)}


def sanitize_filename(raw: str, *, fallback: str = "document") -> str:
    """A display-safe base name: no directories, control or bidi characters,
    bounded length, extension preserved where possible."""
    name = unicodedata.normalize("NFC", raw or "")
    # Both separators: a Windows client may send "C:\\Users\\x\\a.pdf".
    name = PureWindowsPath(PurePosixPath(name).name).name
    name = "".join(
        ch for ch in name if ch not in _BIDI_CONTROLS and unicodedata.category(ch)[0] != "C" and ch not in '<>:"/\\|?*'
    )
    name = " ".join(name.split()).strip(" .")
    if not name:
        return fallback
    if len(name) > MAX_FILENAME_LENGTH:
        stem, dot, suffix = name.rpartition(".")
        if dot and 0 < len(suffix) <= 10:
            name = stem[: MAX_FILENAME_LENGTH - len(suffix) - 1] + "." + suffix
        else:
            name = name[:MAX_FILENAME_LENGTH]
    return name


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """``attachment; filename="ascii"; filename*=UTF-8''percent-encoded``."""
    clean = sanitize_filename(filename)
    ascii_name = unicodedata.normalize("NFKD", clean).encode("ascii", "ignore").decode("ascii")
    ascii_name = "".join(ch for ch in ascii_name if ch.isprintable() and ch not in '"\\;') or "download"
    disposition = "inline" if inline else "attachment"
    return f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(clean, safe='')}"


def title_from_filename(filename: str) -> str:
    stem = PurePosixPath(sanitize_filename(filename)).stem
    return " ".join(stem.replace("_", " ").replace("-", " ").split()) or "Untitled document"
