"""Bytes to text, the way a browser picks the encoding, with a fallback that never raises.

Order (WHATWG "encoding sniffing", simplified): a byte-order mark wins; bytes that are valid
UTF-8 are UTF-8 whatever the page declares, because mislabelled UTF-8 is common and legacy text
that happens to be valid UTF-8 is vanishingly rare; otherwise the charset of the Content-Type
header, then a `<meta charset>`/`http-equiv` declaration in the first bytes, then windows-1252.
"""

from __future__ import annotations

import codecs
import re

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
# Browsers decode these labels as windows-1252, a superset that gives curly quotes their meaning.
_WINDOWS_1252_ALIASES = {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "us-ascii", "ascii"}
# Browsers look at the first 1024 bytes; pages with long inline scripts in <head> declare later.
_META_SNIFF_BYTES = 16384
_SNIFF_CHARS = 4096
# Control characters other than tab/newline/CR, plus U+FFFD, mark bytes that are not text.
_NOT_TEXT = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ufffd]")
_MAX_NOT_TEXT_RATIO = 0.05
# Files servers send for article addresses by mistake, by their first bytes.
_SIGNATURES = (
    (b"\x89PNG", "image/png"),
    (b"GIF8", "image/gif"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"RIFF", "image/webp or other RIFF media"),
    (b"%PDF", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
    (b"OggS", "audio/ogg"),
    (b"ID3", "audio/mpeg"),
    (b"wOFF", "font/woff"),
    (b"wOF2", "font/woff2"),
)


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().lower()
    if label in _WINDOWS_1252_ALIASES:
        return "cp1252"
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    # A meta tag saying UTF-16 in a page we could read as ASCII is wrong about itself.
    return "utf-8" if name.startswith("utf-16") else name


def declared_charset(data: bytes, content_type: str | None) -> str | None:
    if content_type and (match := _HEADER_CHARSET.search(content_type)):
        if codec := _codec(match.group(1)):
            return codec
    if meta := _META_CHARSET.search(data[:_META_SNIFF_BYTES]):
        return _codec(meta.group(1).decode("ascii", "replace"))
    return None


def decode_html(data: bytes | str, content_type: str | None = None) -> str:
    """The page as text. Never raises: undecodable bytes become U+FFFD."""
    text = data if isinstance(data, str) else _decode_bytes(data, content_type)
    # lxml stops at a NUL character; a stray one must not cut the page short.
    return text.replace("\x00", "")


def file_signature(data: bytes | str) -> str | None:
    """The kind of file the first bytes announce, if they announce one that is not text."""
    if isinstance(data, bytes):
        head = data[:16]
        for magic, kind in _SIGNATURES:
            if head.startswith(magic):
                return kind
        if head[4:8] == b"ftyp":
            return "video/mp4"
    return None


def looks_binary(text: str) -> bool:
    """Whether decoded text is really an image, archive or other non-text file."""
    sample = text[:_SNIFF_CHARS]
    return bool(sample) and len(_NOT_TEXT.findall(sample)) > _MAX_NOT_TEXT_RATIO * len(sample)


def _decode_bytes(data: bytes, content_type: str | None) -> str:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, errors="replace")
    try:
        # final=False: a page cut off inside a multi-byte character is still UTF-8.
        return codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
    except UnicodeDecodeError:
        pass
    return data.decode(declared_charset(data, content_type) or "cp1252", errors="replace")
