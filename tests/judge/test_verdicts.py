"""verdicts: fake timelines (datetime arithmetic only) and the verdict and cadence each must give."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from archiver.judge.verdicts import (
    COUNTING,
    FAILURES,
    HARD,
    HEALTHY,
    NOT_CHECKED,
    REFUSED,
    ROT,
    TRANSIENT,
    CheckResult,
    Judgement,
    judge,
    next_check_at,
)
from archiver.models import ContentChange as C
from archiver.models import Observation as O
from archiver.models import Verdict as V
from archiver.settings import HealthSettings

HEALTH = HealthSettings()  # 3 checks over 72 h; recheck alive 7 d, failing 3 d
T0 = datetime(2024, 3, 1, 8, 0, tzinfo=timezone.utc)
H = timedelta(hours=1)
D = timedelta(days=1)


def timeline(*steps: tuple[timedelta, O] | tuple[timedelta, O, dict]) -> list[CheckResult]:
    """(offset from T0, observation[, extra fields]) -> check results, oldest first."""
    return [CheckResult(T0 + step[0], step[1], **(step[2] if len(step) > 2 else {})) for step in steps]


def every(gap: timedelta, count: int, observation: O, start: timedelta = timedelta(0)) -> list[tuple]:
    return [(start + i * gap, observation) for i in range(count)]


CASES = [  # id, history, verdict, failing_streak, recovered
    ("never_checked", [], V.UNVERIFIABLE, 0, False),
    ("alive", timeline(*every(7 * D, 3, O.OK)), V.ALIVE, 0, False),
    ("flaky_500_recovers", timeline((0 * H, O.OK), (36 * H, O.SERVER_ERROR), (72 * H, O.SERVER_ERROR),
                                    (108 * H, O.OK)), V.ALIVE, 0, True),
    ("one_timeout_is_suspect", timeline((0 * H, O.OK), (7 * D, O.TIMEOUT)), V.SUSPECT, 1, False),
    ("three_404_within_10h_suspect", timeline(*every(5 * H, 3, O.NOT_FOUND)), V.SUSPECT, 3, False),
    ("three_404_over_72h_dead", timeline(*every(36 * H, 3, O.NOT_FOUND)), V.DEAD, 3, False),
    ("two_404_over_72h_suspect", timeline(*every(72 * H, 2, O.NOT_FOUND)), V.SUSPECT, 2, False),
    ("three_410_just_under_72h_suspect", timeline((0 * H, O.GONE), (36 * H, O.GONE), (72 * H - timedelta(seconds=1),
                                                  O.GONE)), V.SUSPECT, 3, False),
    ("dns_error_over_72h_dead", timeline((0 * H, O.OK), *every(36 * H, 3, O.DNS_ERROR, 7 * D)), V.DEAD, 3, False),
    ("ok_breaks_the_streak", timeline((0 * H, O.NOT_FOUND), (36 * H, O.OK), (72 * H, O.NOT_FOUND),
                                      (108 * H, O.NOT_FOUND)), V.SUSPECT, 2, False),
    ("blocked_10x_over_30d_unverifiable", timeline(*every(3 * D, 10, O.BLOCKED)), V.UNVERIFIABLE, 10, False),
    ("rate_limited_10x_unverifiable", timeline(*every(3 * D, 10, O.RATE_LIMITED)), V.UNVERIFIABLE, 10, False),
    ("was_alive_now_blocked_unverifiable", timeline((0 * H, O.OK), *every(3 * D, 5, O.BLOCKED, D)),
     V.UNVERIFIABLE, 5, False),
    ("blocked_checks_do_not_confirm", timeline((0 * H, O.NOT_FOUND), *every(D, 5, O.BLOCKED, D), (7 * D, O.NOT_FOUND)),
     V.SUSPECT, 7, False),
    ("blocked_checks_do_not_break_a_streak", timeline((0 * H, O.NOT_FOUND), (D, O.BLOCKED), (2 * D, O.NOT_FOUND),
                                                      (3 * D, O.NOT_FOUND)), V.DEAD, 4, False),
    ("soft_404_x3_over_72h_rotten", timeline(*every(36 * H, 3, O.SOFT_404)), V.ROTTEN, 3, False),
    ("soft_404_x2_suspect", timeline(*every(36 * H, 2, O.SOFT_404)), V.SUSPECT, 2, False),
    ("parked_x3_rotten", timeline(*every(2 * D, 3, O.PARKED)), V.ROTTEN, 3, False),
    ("redirect_to_root_x3_rotten", timeline(*every(2 * D, 3, O.REDIRECT_TO_ROOT)), V.ROTTEN, 3, False),
    ("rot_then_404_is_dead", timeline((0 * H, O.SOFT_404), (2 * D, O.SOFT_404), (4 * D, O.NOT_FOUND)),
     V.DEAD, 3, False),
    ("404_then_parked_is_rotten", timeline((0 * H, O.NOT_FOUND), (2 * D, O.NOT_FOUND), (4 * D, O.PARKED)),
     V.ROTTEN, 3, False),
    ("permanent_redirect_moved", timeline((0 * H, O.OK), (7 * D, O.REDIRECTED, {"permanent": True})),
     V.MOVED, 0, False),
    ("temporary_redirect_alive", timeline((0 * H, O.REDIRECTED, {"permanent": False})), V.ALIVE, 0, False),
    ("moved_after_failing_recovered", timeline((0 * H, O.NOT_FOUND), (D, O.REDIRECTED, {"permanent": True})),
     V.MOVED, 0, True),
    ("drifted", timeline((0 * H, O.OK), (7 * D, O.OK, {"change": C.DRIFTED})), V.DRIFTED, 0, False),
    ("off_topic_is_drifted", timeline((0 * H, O.OK, {"change": C.OFF_TOPIC})), V.DRIFTED, 0, False),
    ("drift_outranks_move", timeline((0 * H, O.REDIRECTED, {"permanent": True, "change": C.OFF_TOPIC})),
     V.DRIFTED, 0, False),
    ("minor_change_alive", timeline((0 * H, O.OK, {"change": C.MINOR})), V.ALIVE, 0, False),
    ("robots_disallowed_unverifiable", timeline((0 * H, O.OK), (D, O.ROBOTS_DISALLOWED)), V.UNVERIFIABLE, 0, False),
    ("unsupported_unverifiable", timeline((0 * H, O.UNSUPPORTED)), V.UNVERIFIABLE, 0, False),
    ("invalid_url_once_suspect", timeline((0 * H, O.INVALID_URL)), V.SUSPECT, 1, False),
    ("invalid_url_confirmed_dead", timeline(*every(36 * H, 3, O.INVALID_URL)), V.DEAD, 3, False),
    ("recovered_after_blocked", timeline((0 * H, O.BLOCKED), (D, O.OK)), V.ALIVE, 0, True),
    ("excluded_between_does_not_hide_recovery", timeline((0 * H, O.TIMEOUT), (D, O.EXCLUDED), (2 * D, O.OK)),
     V.ALIVE, 0, True),
]


@pytest.mark.parametrize("history, verdict, streak, recovered", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_judge(history, verdict, streak, recovered):
    judgement = judge(history, HEALTH)
    assert (judgement.verdict, judgement.failing_streak, judgement.recovered) == (verdict, streak, recovered), \
        judgement.reason
    assert judgement.reason


def test_transient_and_refused_failures_never_die_unconfirmed():
    for observation in TRANSIENT | REFUSED:
        for count, gap in ((1, 0 * H), (3, 5 * H), (10, 5 * H)):
            assert judge(timeline(*every(gap, count, observation)), HEALTH).verdict is not V.DEAD, observation


def test_blocked_and_rate_limited_never_die_even_over_a_year():
    mixed = [(i * 3 * D, O.BLOCKED if i % 2 else O.RATE_LIMITED) for i in range(120)]
    assert judge(timeline(*mixed), HEALTH).verdict is V.UNVERIFIABLE


def test_failing_since_is_the_first_failure_of_the_streak():
    judgement = judge(timeline((0 * H, O.OK), (D, O.TIMEOUT), (3 * D, O.NOT_FOUND)), HEALTH)
    assert judgement.failing_since == T0 + D


def test_sets_cover_the_vocabulary_once():
    assert HEALTHY | FAILURES | NOT_CHECKED == set(O)
    assert not HEALTHY & FAILURES and not FAILURES & NOT_CHECKED
    assert COUNTING == HARD | TRANSIENT | ROT and not COUNTING & REFUSED


def test_confirm_settings_are_honoured():
    quick = HealthSettings(confirm_checks=2, confirm_interval=3600.0)
    assert judge(timeline(*every(H, 2, O.NOT_FOUND)), quick).verdict is V.DEAD
    assert judge(timeline(*every(H, 2, O.NOT_FOUND)), HEALTH).verdict is V.SUSPECT


def _judged(verdict: V, since: datetime | None = None) -> Judgement:
    return Judgement(verdict, 1 if since else 0, since, False, "")


@pytest.mark.parametrize("judgement, last, due", [
    (_judged(V.ALIVE), T0, T0 + 7 * D),
    (_judged(V.MOVED), T0, T0 + 7 * D),
    (_judged(V.DRIFTED), T0, T0 + 7 * D),
    (_judged(V.DEAD, T0 - 3 * D), T0, T0 + 7 * D),  # watch for a recovery, less often
    (_judged(V.ROTTEN, T0 - 3 * D), T0, T0 + 7 * D),
    (_judged(V.UNVERIFIABLE), T0, T0 + 7 * D),
    (_judged(V.SUSPECT, T0), T0, T0 + 36 * H),  # 72 h / (3 - 1): dead can be confirmed 72 h after the first failure
    (_judged(V.SUSPECT, T0), T0 + 36 * H, T0 + 72 * H),
    (_judged(V.SUSPECT, T0), T0 + 50 * H, T0 + 72 * H),  # a manual check in between: come back when confirmable
    (_judged(V.SUSPECT, T0), T0 + 80 * H, T0 + 116 * H),
], ids=["alive", "moved", "drifted", "dead", "rotten", "unverifiable", "suspect_first", "suspect_second",
        "suspect_clamped_to_confirmable", "suspect_past_interval"])
def test_next_check_at(judgement, last, due):
    assert next_check_at(judgement, last, HEALTH) == due


def test_next_check_respects_a_shorter_recheck_failing():
    eager = HealthSettings(recheck_failing=6 * 3600.0)
    assert next_check_at(_judged(V.SUSPECT, T0), T0, eager) == T0 + 6 * H
    single = HealthSettings(confirm_checks=1, recheck_failing=86400.0)
    assert next_check_at(_judged(V.SUSPECT, T0), T0, single) == T0 + D


def test_a_suspect_timeline_followed_by_the_cadence_is_confirmed_in_72h():
    history = timeline((0 * H, O.NOT_FOUND))
    while (judgement := judge(history, HEALTH)).verdict is V.SUSPECT:
        history.append(CheckResult(next_check_at(judgement, history[-1].checked_at, HEALTH), O.NOT_FOUND))
    assert judgement.verdict is V.DEAD and history[-1].checked_at - T0 == 72 * H and len(history) == 3
