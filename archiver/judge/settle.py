"""The classification rules that need the link's baseline. Pure: no I/O.

classify() sees one fetch; two of its answers can only be settled against what the link was:

* near-empty: an ok / redirected page with no main text (an empty body, "Loading...", a menu and a
  footer) is a soft_404 when its baseline had text. A page that was always that empty (an app shell,
  an image page) stays ok: nothing was lost.
* not-found title: an ok / redirected page whose title or first heading says "not found" and whose
  content is no longer its baseline's (drifted or off_topic) is a soft_404, not drift. "Not found or
  gone" comes before drift: `drifted` is kept for a real page with other content.
"""

from __future__ import annotations

from dataclasses import replace

from archiver.judge.classify import Classification
from archiver.judge.compare import normalize_text
from archiver.judge.soft404 import NEAR_EMPTY_WORDS
from archiver.models import ContentChange, Observation

HEALTHY = (Observation.OK, Observation.REDIRECTED)
CHANGED = (ContentChange.DRIFTED, ContentChange.OFF_TOPIC)


def settle_near_empty(found: Classification, baseline_text: str | None) -> Classification:
    """soft_404 for a near-empty page whose baseline had text; `found` otherwise (no baseline: nothing to lose)."""
    if found.observation not in HEALTHY or not found.near_empty or baseline_text is None:
        return found
    words = len(normalize_text(baseline_text).split())
    if words < NEAR_EMPTY_WORDS:
        return found
    return Classification(Observation.SOFT_404, f"{found.detail}: an empty page where its baseline had {words} words")


def settle_not_found(found: Classification, change: ContentChange | None) -> Classification:
    """soft_404 for a page calling itself not found whose content changed from its baseline; `found` otherwise."""
    if found.observation not in HEALTHY or not found.not_found_title or change not in CHANGED:
        return found
    return replace(found, observation=Observation.SOFT_404, permanent=None,
                   detail=f"{found.detail}: a not-found title, and content {change} from its baseline")
