"""BoundedDecoder: content-decoding in pieces, never past its limit."""

from __future__ import annotations

import gzip
import zlib

import pytest

from archiver.fetch.decompress import BoundedDecoder

TEXT = b"The quick brown fox jumps over the lazy dog. " * 2000


def decode(content_encoding: str | None, data: bytes, limit: int = 10_000_000, piece: int = 1000) -> tuple[bytes, bool]:
    decoder = BoundedDecoder(content_encoding, limit)
    for start in range(0, len(data), piece):
        decoder.feed(data[start : start + piece])
    return decoder.result()


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize(
    ("content_encoding", "encoded"),
    [
        (None, TEXT),
        ("identity", TEXT),
        ("gzip", gzip.compress(TEXT)),
        ("x-gzip", gzip.compress(TEXT)),
        ("GZIP", zlib.compress(TEXT)),  # zlib labelled gzip: decoded anyway
        ("deflate", zlib.compress(TEXT)),
        ("deflate", raw_deflate(TEXT)),  # raw deflate labelled deflate, as many servers send it
        ("gzip", gzip.compress(TEXT[:5000]) + gzip.compress(TEXT[5000:])),  # two gzip members
        ("deflate, gzip", gzip.compress(zlib.compress(TEXT))),  # stacked: undone last first
    ],
)
def test_decodes_completely(content_encoding, encoded):
    assert decode(content_encoding, encoded) == (TEXT, True)


def test_stops_at_the_limit_and_says_so():
    decoded, complete = decode("gzip", gzip.compress(TEXT), limit=1234)
    assert (decoded, complete) == (TEXT[:1234], False)


def test_exactly_at_the_limit_is_complete():
    assert decode("gzip", gzip.compress(TEXT), limit=len(TEXT)) == (TEXT, True)


def test_body_cut_inside_the_gzip_stream_is_incomplete():
    encoded = gzip.compress(TEXT)
    decoded, complete = decode("gzip", encoded[: len(encoded) // 2])
    assert TEXT.startswith(decoded) and not complete


def test_corrupt_data_keeps_what_decoded_before_it():
    encoded = gzip.compress(TEXT)
    decoded, complete = decode("gzip", encoded[:200] + b"\xff" * 200 + encoded[400:], piece=200)
    assert TEXT.startswith(decoded) and not complete


def test_unknown_coding_decodes_nothing():
    assert decode("br", b"\x1b\x00\x00") == (b"", False)


def test_bomb_is_bounded():
    member = gzip.compress(bytes(64 * 1024 * 1024), compresslevel=9)  # 64 MiB of zeros in ~65 KB
    decoder = BoundedDecoder("gzip", 100_000)
    for _ in range(16):  # 1 GiB once decoded
        decoder.feed(member)
    decoded, complete = decoder.result()
    assert (len(decoded), complete) == (100_000, False)
