"""The database side of a check: compare with the baseline, judge the history, store the observation.

Runs on the cycle's own thread (the only one that touches the store).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from archiver.judge.compare import TextComparison, compare_texts, unified_diff
from archiver.judge.settle import settle_near_empty, settle_not_found
from archiver.judge.verdicts import CheckResult, Judgement, judge, next_check_at
from archiver.models import ContentChange, Observation
from archiver.pipeline.capture import UrlOutcome
from archiver.pipeline.conditional import PreviousCapture
from archiver.settings import HealthSettings
from archiver.store import ObservationRow, Store

HEALTHY = (Observation.OK, Observation.REDIRECTED)
# What compare_texts finds for two texts with equal normalised words.
UNCHANGED = TextComparison(ContentChange.UNCHANGED, 1.0, 0, 1.0, 1.0)


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


def record_check(store: Store, health: HealthSettings, outcome: UrlOutcome, capture_ids: list[int], now: datetime,
                 run_id: int, *, seed_text: str | None = None, keep_diff: bool = False) -> Checked:
    """Store one observation for `outcome`; return it with its verdict (the caller stores the link's health).

    Its content change is against the baseline (see _compare).
    """
    classification = outcome.classification
    assert classification is not None, "record_check needs a classified outcome"
    final = outcome.final_capture
    comparison, baseline_id, diff = None, None, None
    has_text = classification.observation in HEALTHY and final is not None and final.text_hash is not None
    if has_text and outcome.text is not None:
        store.save_text(final.text_hash, outcome.text)  # a revisit's hash is its referent's: the same text
    # "Not found or gone" before drift: an emptied page, or one calling itself not found, is no drift.
    classification = settle_near_empty(classification, _baseline_text(store, outcome.url, seed_text)
                                       if classification.near_empty else None)
    if has_text and classification.observation in HEALTHY:
        comparison, baseline_id, baseline_text, current_text = _compare(store, health, outcome, seed_text)
        settled = settle_not_found(classification, comparison.change if comparison else None)
        if settled is not classification:
            classification, comparison = settled, None
        if keep_diff and comparison is not None and comparison.change != ContentChange.UNCHANGED:
            diff = unified_diff(baseline_text, current_text)
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


def previous_captures(store: Store, urls: list[str], *, validators: bool = True) -> dict[str, PreviousCapture]:
    """Each URL's last complete capture, for its re-check.

    Validators go only with a URL whose latest check was healthy: a 304 then means "still that
    healthy page", while a page last found soft-404 or parked is fetched whole and judged again.
    """
    found = store.last_complete_captures(urls)
    healthy = set()
    if validators and found:
        healthy = {url for url, row in store.latest_observations(list(found)).items() if row.observation in HEALTHY}
    return {url: PreviousCapture.from_captures(latest, holder, validators=url in healthy)
            for url, (latest, holder) in found.items()}


def _compare(store: Store, health: HealthSettings, outcome: UrlOutcome,
             seed_text: str | None) -> tuple[TextComparison | None, int | None, str | None, str | None]:
    """(comparison or None, baseline capture id, baseline text, current text) for a healthy page with a text.

    The baseline is the seed text when given (an article's own document), else the
    URL's first successful capture; the first capture is its own baseline.
    """
    current_hash = outcome.final_capture.text_hash
    baseline_id = None
    if seed_text:
        baseline_text = seed_text
    else:
        found = store.baseline_capture(outcome.url)
        if found is None:
            return None, None, None, None
        baseline_id, baseline = found
        if baseline.text_hash == current_hash:  # equal hashes of the normalised texts: no need to read either
            return UNCHANGED, baseline_id, None, None
        baseline_text = store.get_text(baseline.text_hash)
    current_text = outcome.text
    if current_text is None and outcome.not_modified:  # a 304: the text is the confirmed capture's
        current_text = store.get_text(current_hash)
    if baseline_text is None or current_text is None:
        return None, baseline_id, None, None
    return compare_texts(baseline_text, current_text, health), baseline_id, baseline_text, current_text


def _baseline_text(store: Store, url: str, seed_text: str | None) -> str | None:
    """The text a link is compared with: its seed text, else its first capture's; None if it never had one."""
    if seed_text:
        return seed_text
    found = store.baseline_capture(url)
    return store.get_text(found[1].text_hash) if found is not None else None


def _as_check(row: ObservationRow) -> CheckResult:
    change = ContentChange(row.content_change) if row.content_change else None
    return CheckResult(row.checked_at, Observation(row.observation), change, row.permanent)


