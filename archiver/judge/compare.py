"""Text fingerprints and baseline comparison. Pure: no I/O.

Texts are compared after normalisation (case folded, numbers and tokens
masked, white space collapsed) so that timestamps, counters and session ids
do not count as change.

Three measures, each answering one question about a page against its baseline:

* `similarity` - Jaccard overlap of word 3-shingles: "is this still the same
  text?" (the score stored and reported; also what classify uses to compare a
  page with its random-sibling probe - one implementation for both).
* simhash distance - the same question, tolerant of scattered small edits.
* `cosine` of term-frequency vectors, function words left out: "is it still
  about the same thing?" - a rewrite keeps its vocabulary, a replacement does not.
"""

from __future__ import annotations

import difflib
import hashlib
import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from archiver.models import ContentChange

if TYPE_CHECKING:  # only for annotations: the comparison reads thresholds, it never loads settings
    from archiver.settings import HealthSettings

_WORD = re.compile(r"\w+", re.UNICODE)
SHINGLE_SIZE = 3  # word 3-grams: one changed word touches 3 shingles, so a 600-word page barely moves
_TOKEN_MIN_LENGTH = 16


def _mask(word: str) -> str:
    """'0' for numbers, codes and tokens (anything with a digit; long mixed-case blobs); else the word.

    A word holding a digit is a count, a date, a time, a session id or a hex or
    base64 chunk; masking it whole (not just its digits) makes "8f3a9c" and
    "b71e2d" the same. Long words with capitals inside ("dGhpcyBpcyBhIHRlc3Q")
    are base64 that happened to draw no digit.
    """
    if not word.isalpha() and any(char.isdigit() for char in word):  # isalpha: the common case, in C
        return "0"
    if len(word) >= _TOKEN_MIN_LENGTH and sum(char.isupper() for char in word[1:]) >= 2:
        return "0"
    return word


def normalize_text(text: str) -> str:
    """Case-folded words, numbers and tokens masked as '0' (a run of them as one), joined by single spaces.

    Collapsing runs makes "56", "1,003" and "2024-03-14T09:41:07Z" one token each.
    """
    words: list[str] = []
    for word in _WORD.findall(unicodedata.normalize("NFKC", text or "")):
        masked = _mask(word).casefold()
        if masked != "0" or not words or words[-1] != "0":
            words.append(masked)
    return " ".join(words)


def text_hash(text: str) -> str:
    """SHA-1 of the normalised text: equal hashes mean `unchanged`."""
    return _sha1_hex(normalize_text(text))


def text_signature(text: str) -> tuple[str, int]:
    """(text_hash, simhash64) of `text`, normalising it once: what every capture row stores."""
    normalized = normalize_text(text)
    return _sha1_hex(normalized), _simhash_of_words(normalized.split(), SHINGLE_SIZE)


def _sha1_hex(normalized: str) -> str:
    return hashlib.sha1(normalized.encode("utf-8")).hexdigest()


def _shingles(words: list[str], size: int) -> list[str]:
    if len(words) < size:
        return [" ".join(words)] if words else []
    return [" ".join(words[i : i + size]) for i in range(len(words) - size + 1)]


def simhash64(text: str, shingle_size: int = SHINGLE_SIZE) -> int:
    """64-bit simhash (Charikar) over word shingles, as a signed int so every database stores it."""
    return _simhash_of_words(normalize_text(text).split(), shingle_size)


# _BIT_OF[bit] maps a byte to its bit `bit` (0 or 1): bytes.translate + count tally one bit of
# one digest byte across all shingles in C, instead of a Python loop per shingle and byte.
_BIT_OF = [bytes(value >> bit & 1 for value in range(256)) for bit in range(8)]


def _simhash_of_words(words: list[str], shingle_size: int) -> int:
    shingles = _shingles(words, shingle_size)
    digests = b"".join(hashlib.blake2b(shingle.encode("utf-8"), digest_size=8).digest() for shingle in shingles)
    unsigned = 0
    for column in range(8):  # digests are big-endian: column 0 holds bits 56-63
        column_bytes = digests[column::8]
        for bit, bit_of in enumerate(_BIT_OF):
            # A bit is set where more than half of the shingle hashes have it set.
            if 2 * column_bytes.translate(bit_of).count(1) > len(shingles):
                unsigned |= 1 << (8 * (7 - column) + bit)
    return unsigned - (1 << 64) if unsigned >= 1 << 63 else unsigned


def hamming64(a: int, b: int) -> int:
    return ((a ^ b) & ((1 << 64) - 1)).bit_count()


def similarity(a: str, b: str) -> float:
    """Jaccard overlap (0..1) of the word 3-shingle sets of two texts; two empty texts are identical (1.0)."""
    left = set(_shingles(normalize_text(a).split(), SHINGLE_SIZE))
    right = set(_shingles(normalize_text(b).split(), SHINGLE_SIZE))
    if not left and not right:
        return 1.0
    return len(left & right) / len(left | right)


# Function words of the languages we meet most (en, de, fr, es): every text shares them, so
# left in they would make any two pages look ~40% alike and hide a replacement.
_STOPWORDS = frozenset(
    """a about after all also an and any are as at be been before but by can could did do does for from had
    has have he her his how i if in into is it its just may more most my no not of on one only or other our
    out over said she so some than that the their them then there these they this those to up was we were
    what when which while who will with would you your
    der die das und ist nicht ein eine einen dem den des zu mit von auf für sich im auch es als an wie
    le la les un une des du de et est pas que qui dans pour sur au aux par il elle ce se sont avec
    el los las y en que por con para es lo se del al como una su""".split()
)


def _terms(text: str) -> Counter:
    return Counter(word for word in normalize_text(text).split() if word not in _STOPWORDS and len(word) > 1)


def cosine(a: str, b: str) -> float:
    """Cosine (0..1) of the two texts' term-frequency vectors, function words and numbers left out."""
    left, right = _terms(a), _terms(b)
    if not left or not right:
        return 1.0 if left == right else 0.0
    dot = sum(count * right[term] for term, count in left.items())
    return dot / math.sqrt(sum(c * c for c in left.values()) * sum(c * c for c in right.values()))


_CHROME_MAX_WORDS = 12  # a line this short found in both texts is site chrome ("Share this article", an ad slot)


def _without_shared_chrome(a: str, b: str) -> tuple[str, str]:
    """Both texts less the short lines they have in common, which say what site a page is on, not what it is about.

    Long paragraphs stay even when shared: for an edited article they are the topic.
    """
    lines_a = {normalize_text(line) for line in a.splitlines()}
    lines_b = {normalize_text(line) for line in b.splitlines()}
    chrome = {line for line in lines_a & lines_b if len(line.split()) <= _CHROME_MAX_WORDS}
    keep = lambda text: "\n".join(line for line in text.splitlines() if normalize_text(line) not in chrome)
    return keep(a), keep(b)


@dataclass(frozen=True)
class TextComparison:
    """A page's text against its baseline. `similarity` (shingle Jaccard, 0..1) is the score stored and reported."""

    change: ContentChange
    similarity: float
    simhash_distance: int
    cosine: float
    word_ratio: float  # words now per word in the baseline (baseline counted as at least one word)


def compare_texts(baseline: str, current: str, health: HealthSettings) -> TextComparison:
    """Classify the change from `baseline` to `current` as unchanged, minor, drifted or off_topic.

    unchanged: equal normalised text. minor: a near duplicate (simhash within
    health.minor_simhash_bits, or similarity >= health.minor_similarity).
    off_topic: vocabulary no longer shared (cosine < health.off_topic_similarity,
    short lines common to both - site chrome - left out)
    or the text gutted (word count down by health.off_topic_shrink or more).
    Anything else is drifted. Empty texts: both empty is unchanged; text that
    vanished is off_topic (word_ratio 0); text where the baseline had none is
    drifted - there is nothing to say it is off topic from.
    """
    base_words, now_words = normalize_text(baseline).split(), normalize_text(current).split()
    word_ratio = len(now_words) / max(len(base_words), 1)
    if base_words == now_words:
        return TextComparison(ContentChange.UNCHANGED, 1.0, 0, 1.0, 1.0 if base_words else word_ratio)
    score = similarity(baseline, current)
    distance = hamming64(simhash64(baseline), simhash64(current))
    topical = cosine(*_without_shared_chrome(baseline, current))
    if not base_words:
        change = ContentChange.DRIFTED
    elif not now_words:
        change = ContentChange.OFF_TOPIC
    elif distance <= health.minor_simhash_bits or score >= health.minor_similarity:
        change = ContentChange.MINOR
    elif topical < health.off_topic_similarity or 1.0 - word_ratio >= health.off_topic_shrink:
        change = ContentChange.OFF_TOPIC
    else:
        change = ContentChange.DRIFTED
    return TextComparison(change, round(score, 4), distance, round(topical, 4), round(word_ratio, 4))


def _paragraphs(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def unified_diff(
    baseline: str, current: str, *, from_label: str = "baseline", to_label: str = "now", context: int = 3
) -> str:
    """A unified diff of the two texts, one paragraph per line (extracted text keeps a paragraph on one line).

    Empty when the paragraphs are equal.
    """
    lines = difflib.unified_diff(
        _paragraphs(baseline), _paragraphs(current), fromfile=from_label, tofile=to_label, n=context, lineterm=""
    )
    return "\n".join(lines)
