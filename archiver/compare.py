"""Text fingerprints and baseline comparison. Pure: no I/O.

Texts are compared after normalisation (case folded, digits masked, white
space collapsed) so that timestamps, counters and session ids do not count
as change.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_WORD = re.compile(r"\w+", re.UNICODE)
_DIGITS = re.compile(r"\d+")


def normalize_text(text: str) -> str:
    """Case-folded words, digit runs masked as '0', joined by single spaces."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return " ".join(_DIGITS.sub("0", word) for word in _WORD.findall(text))


def text_hash(text: str) -> str:
    """SHA-1 of the normalised text: equal hashes mean `unchanged`."""
    return hashlib.sha1(normalize_text(text).encode("utf-8")).hexdigest()


def _shingles(words: list[str], size: int) -> list[str]:
    if len(words) < size:
        return [" ".join(words)] if words else []
    return [" ".join(words[i : i + size]) for i in range(len(words) - size + 1)]


def simhash64(text: str, shingle_size: int = 3) -> int:
    """64-bit simhash (Charikar) over word shingles, as a signed int so every database stores it."""
    words = normalize_text(text).split()
    weights = [0] * 64
    for shingle in _shingles(words, shingle_size):
        value = int.from_bytes(hashlib.blake2b(shingle.encode("utf-8"), digest_size=8).digest(), "big")
        for bit in range(64):
            weights[bit] += 1 if value >> bit & 1 else -1
    unsigned = sum(1 << bit for bit in range(64) if weights[bit] > 0)
    return unsigned - (1 << 64) if unsigned >= 1 << 63 else unsigned


def hamming64(a: int, b: int) -> int:
    return ((a ^ b) & ((1 << 64) - 1)).bit_count()
