"""A link's check history -> its Verdict, and when to check it next. Pure: no I/O, no clock (times are passed in).

The rule is the Internet Archive link bot's: a link is only `dead` (or `rotten`) when it failed
`confirm_checks` checks in a row AND that failing streak spans at least `confirm_interval`
(defaults 3 and 72 h). Until then it is `suspect`. Decisions, in the order `judge` applies them:

* Healthy (ok / redirected) latest check: `drifted` if its content change is drifted or off_topic
  (content outranks location: a reader following the citation gets something else); else `moved`
  when the redirect is permanent (no confirmation needed: the page answers, only its address
  changed); else `alive`. A temporary redirect is `alive` (CDNs, A/B tests, cookie walls).
* Not checked (robots_disallowed, excluded, unsupported) latest: `unverifiable` - we did not look.
  These checks are skipped inside a streak: they neither break it nor extend it.
* Failing streak made only of blocked / rate_limited: `unverifiable`, however long and whatever the
  link was before - the site refused to answer, which says nothing about the page. These checks
  never count toward confirmation, so they can never produce `dead`.
* Otherwise the streak's counting checks (HARD, TRANSIENT, ROT) decide: confirmed -> `rotten` when
  the latest counting check is a soft_404 / redirect_to_root / parked, else `dead`; unconfirmed ->
  `suspect`. Transient failures (timeouts, 5xx, DNS) do count: a domain that fails DNS for 72 h has
  lapsed. One alone, or several within hours, stays `suspect`. invalid_url counts as HARD and is
  confirmed like the rest (it is a fact about the link, but one check is never a verdict).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Sequence

from archiver.models import ContentChange, Observation as O, Verdict

if TYPE_CHECKING:
    from archiver.settings import HealthSettings

HEALTHY = frozenset({O.OK, O.REDIRECTED})
HARD = frozenset({O.NOT_FOUND, O.GONE, O.CLIENT_ERROR, O.INVALID_URL})  # the server or the URL says: not here
TRANSIENT = frozenset({O.SERVER_ERROR, O.TIMEOUT, O.CONNECTION_ERROR, O.DNS_ERROR, O.TLS_ERROR, O.REDIRECT_LOOP})
ROT = frozenset({O.SOFT_404, O.REDIRECT_TO_ROOT, O.PARKED})  # answers, but not with the page
REFUSED = frozenset({O.BLOCKED, O.RATE_LIMITED})  # the site would not tell us: never evidence of death
NOT_CHECKED = frozenset({O.ROBOTS_DISALLOWED, O.EXCLUDED, O.UNSUPPORTED})
FAILURES = HARD | TRANSIENT | ROT | REFUSED  # what makes (and keeps) a failing streak
COUNTING = HARD | TRANSIENT | ROT  # failures that count toward confirming dead / rotten


@dataclass(frozen=True)
class CheckResult:
    checked_at: datetime
    observation: O
    change: ContentChange | None = None  # for a healthy check compared with its baseline
    permanent: bool | None = None  # for redirected


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    failing_streak: int  # failing checks since the last healthy one (blocked / rate_limited included)
    failing_since: datetime | None  # when that streak began
    recovered: bool  # latest check healthy, the one before it failing
    reason: str


def judge(history: Sequence[CheckResult], health: HealthSettings) -> Judgement:
    """The verdict on a link from its checks, oldest first."""
    if not history:
        return Judgement(Verdict.UNVERIFIABLE, 0, None, False, "never checked")
    latest = history[-1]
    if latest.observation in NOT_CHECKED:
        return Judgement(Verdict.UNVERIFIABLE, 0, None, False, f"not checked: {latest.observation}")
    checked = [check for check in history if check.observation not in NOT_CHECKED]
    if latest.observation in HEALTHY:
        recovered = len(checked) > 1 and checked[-2].observation in FAILURES
        return _healthy(latest, recovered)
    streak = _failing_streak(checked)
    since = streak[0].checked_at
    counting = [check for check in streak if check.observation in COUNTING]
    refused = sorted({str(check.observation) for check in streak if check.observation in REFUSED})
    if not counting:
        return Judgement(Verdict.UNVERIFIABLE, len(streak), since, False,
                         f"{' and '.join(refused)} {len(streak)} times since {since:%Y-%m-%d %H:%M}")
    span = counting[-1].checked_at - counting[0].checked_at
    confirmed = len(counting) >= health.confirm_checks and span >= timedelta(seconds=health.confirm_interval)
    last = counting[-1].observation
    seen = ", ".join(sorted({str(check.observation) for check in counting}))
    tally = f"{seen} on {len(counting)} checks over {_hours(span)}"
    if not confirmed:
        needed = f"{health.confirm_checks} checks over {_hours(timedelta(seconds=health.confirm_interval))}"
        return Judgement(Verdict.SUSPECT, len(streak), since, False, f"{tally}; {needed} confirm")
    verdict = Verdict.ROTTEN if last in ROT else Verdict.DEAD
    return Judgement(verdict, len(streak), since, False, f"{tally}, since {since:%Y-%m-%d %H:%M}")


def _healthy(latest: CheckResult, recovered: bool) -> Judgement:
    again = " (recovered)" if recovered else ""
    if latest.change in (ContentChange.DRIFTED, ContentChange.OFF_TOPIC):
        return Judgement(Verdict.DRIFTED, 0, None, recovered, f"content {latest.change} from its baseline{again}")
    if latest.observation is O.REDIRECTED and latest.permanent:
        return Judgement(Verdict.MOVED, 0, None, recovered, f"permanently redirected to a healthy page{again}")
    return Judgement(Verdict.ALIVE, 0, None, recovered, f"{latest.observation}{again}")


def _failing_streak(checked: list[CheckResult]) -> list[CheckResult]:
    """The checks since the last healthy one (the whole history when it never was healthy)."""
    start = len(checked)
    while start > 0 and checked[start - 1].observation in FAILURES:
        start -= 1
    return checked[start:]


def _hours(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours:.0f} h" if hours < 48 else f"{hours / 24:.1f} days"


def next_check_at(judgement: Judgement, last_checked: datetime, health: HealthSettings) -> datetime:
    """When to look at the link again.

    suspect: every recheck_failing, but often enough that confirm_checks checks fit in one
    confirm_interval (72 h / 2 gaps = every 36 h by default), and no later than the moment the
    streak becomes old enough to confirm. Everything else - alive, moved, drifted, and dead /
    rotten (kept under watch for a recovery) - every recheck_alive; unverifiable too, since
    asking a site that blocks or rate-limits us more often only makes it worse.
    """
    if judgement.verdict is not Verdict.SUSPECT:
        return last_checked + timedelta(seconds=health.recheck_alive)
    gaps = max(health.confirm_checks - 1, 1)
    due = last_checked + timedelta(seconds=min(health.recheck_failing, health.confirm_interval / gaps))
    if judgement.failing_since is not None:
        confirmable_at = judgement.failing_since + timedelta(seconds=health.confirm_interval)
        if last_checked < confirmable_at < due:
            due = confirmable_at
    return due
