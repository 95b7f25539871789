"""Whitespace and URL normalisation shared by the extraction modules; never raises."""

from __future__ import annotations

from archiver.urls import normalize_url


def normalized_or(url: str, fallback: str, base: str | None = None) -> str:
    """`url` normalised (resolved against `base`), or `fallback` when it cannot be."""
    try:
        return normalize_url(url, base)
    except ValueError:
        return fallback


def squash(text: str) -> str:
    return " ".join(text.split())


def first_nonblank(*candidates: str | None) -> str | None:
    """The first candidate with any text in it, squashed; None when all are empty."""
    return next((squash(c) for c in candidates if c and c.strip()), None)
