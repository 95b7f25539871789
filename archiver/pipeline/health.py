"""The database side of a check: compare with the baseline, judge the history, store the observation.

Runs on the cycle's own thread (the only one that touches the store).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from archiver.compare import compare_texts, text_hash, unified_diff
from archiver.models import ContentChange, Observation
from archiver.store import ObservationRow
from archiver.verdicts import CheckResult, Judgement, judge, next_check_at

from archiver.pipeline.capture import UrlOutcome

HEALTHY = (Observation.OK, Observation.REDIRECTED)


@dataclass(frozen=True)
class Checked:
    """One URL after a check: the stored observation, the verdict before and after."""

    url: str
    row: ObservationRow
    previous_verdict: str | None
    judgement: Judgement
    next_check_at: datetime

    @property
    def verdict(self) -> str:
        return str(self.judgement.verdict)


def record_check(store, health, outcome: UrlOutcome, capture_ids: list[int], now, run_id: int,
                 *, seed_text: str | None = None, keep_diff: bool = False) -> Checked:
    """Store one observation for `outcome`; return it with its verdict (the caller stores the link's health).

    The baseline is the seed text when given (an article's own document), else the
    URL's first successful capture; the first capture is its own baseline.
    """
    classification = outcome.classification
    assert classification is not None, "record_check needs a classified outcome"
    final = outcome.final_capture
    comparison, baseline_id, diff = None, None, None
    if classification.observation in HEALTHY and final is not None and final.text_hash is not None:
        store.save_text(text_hash(outcome.text), outcome.text)
        baseline_text, baseline_id = _baseline(store, outcome.url, seed_text)
        if baseline_text is not None:
            comparison = compare_texts(baseline_text, outcome.text, health)
            if keep_diff and comparison.change != ContentChange.UNCHANGED:
                diff = unified_diff(baseline_text, outcome.text)
    history = [_as_check(row) for row in store.observations_for_url(outcome.url)]
    previous = store.latest_observations([outcome.url]).get(outcome.url)
    current = CheckResult(now, classification.observation, comparison.change if comparison else None,
                          classification.permanent)
    judgement = judge(history + [current], health)
    row = ObservationRow(
        url=outcome.url, checked_at=now, observation=str(classification.observation),
        verdict=str(judgement.verdict), detail=classification.detail,
        http_status=final.http_status if final else None,
        final_url=final.url if final and final.http_status else None,
        permanent=classification.permanent,
        content_change=str(comparison.change) if comparison else None,
        similarity=comparison.similarity if comparison else None,
        simhash_distance=comparison.simhash_distance if comparison else None,
        capture_id=capture_ids[-1] if capture_ids else None,
        baseline_capture_id=baseline_id, recovered=judgement.recovered, diff=diff, run_id=run_id,
    )
    row = replace(row, id=store.add_observation(row))
    return Checked(outcome.url, row, previous.verdict if previous else None, judgement,
                   next_check_at(judgement, now, health))


def _baseline(store, url: str, seed_text: str | None) -> tuple[str | None, int | None]:
    if seed_text:
        return seed_text, None
    found = store.baseline_capture(url)
    if found is None:
        return None, None
    capture_id, capture = found
    return store.get_text(capture.text_hash), capture_id


def _as_check(row: ObservationRow) -> CheckResult:
    change = ContentChange(row.content_change) if row.content_change else None
    return CheckResult(row.checked_at, Observation(row.observation), change, row.permanent)


