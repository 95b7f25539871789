"""Bytes -> text for HTML pages: charset from BOM, HTTP header, <meta>, UTF-8, then detection."""

from __future__ import annotations

import codecs
import re

import charset_normalizer

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_META_CHARSET = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.IGNORECASE)
# Browsers read these labels as windows-1252 (WHATWG Encoding); so must we, or curly quotes turn to C1 junk.
_WINDOWS_1252_LABELS = {"iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "ascii", "us-ascii", "cp819"}


def _codec(label: str | None) -> str | None:
    """Python codec for an HTTP/HTML charset label, or None when the label is unknown or not a text codec."""
    label = (label or "").strip().strip("\"'").lower()
    if label in _WINDOWS_1252_LABELS:
        return "cp1252"
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError):
        return None
    return info.name if getattr(info, "_is_text_encoding", True) else None  # not rot13 or base64


def decode_html(data: bytes, content_type_charset: str | None = None) -> str:
    """Bytes to text: BOM, then HTTP charset, then <meta> charset, then UTF-8, then detection. Never raises.

    A declared charset that turns more than 1% of the text into U+FFFD is a lie (old Cyrillic sites
    served as UTF-8 are common); then the next signal is tried, and detection has the last word.
    """
    data = bytes(data)
    for bom, name in _BOMS:  # a BOM beats every label, as in browsers (WHATWG "decode")
        if data.startswith(bom):
            return data[len(bom) :].decode(name, errors="replace")
    meta = _META_CHARSET.search(data[:8192])
    meta_codec = _codec(meta.group(1).decode("ascii")) if meta else None
    if meta_codec and meta_codec.startswith("utf-16"):
        meta_codec = "utf-8"  # a <meta> read as ASCII cannot honestly declare UTF-16
    for codec in (_codec(content_type_charset), meta_codec, "utf-8"):
        if codec:
            text = data.decode(codec, errors="replace")
            if text.count("\ufffd") <= 3 + len(text) // 100:
                return text
    guess = charset_normalizer.from_bytes(data[:200_000]).best()
    return data.decode(_codec(guess.encoding if guess else None) or "cp1252", errors="replace")
