"""The rules settled against the baseline: an emptied page and a page calling itself not found come before drift."""

from __future__ import annotations

import pytest

from archiver.judge.classify import Classification
from archiver.judge.settle import settle_near_empty, settle_not_found
from archiver.models import ContentChange as C
from archiver.models import Observation as O

ARTICLE = " ".join(f"Paragraph {n} of a report on the harbour water utility and its lead service lines." for n in range(12))

EMPTY = Classification(O.OK, "HTTP 200", near_empty=True)


@pytest.mark.parametrize("baseline, observation", [
    (ARTICLE, O.SOFT_404),  # it had text: the page was emptied
    ("", O.OK),  # always empty: nothing was lost
    ("Loading...", O.OK),  # an app shell then and now
    (None, O.OK),  # never had a baseline: no evidence
])
def test_near_empty_is_soft_404_unless_the_baseline_was_empty_too(baseline, observation):
    assert settle_near_empty(EMPTY, baseline).observation is observation


def test_a_page_with_text_is_never_settled_as_empty():
    found = Classification(O.OK, "HTTP 200")
    assert settle_near_empty(found, ARTICLE) is found


@pytest.mark.parametrize("change, observation", [
    (C.DRIFTED, O.SOFT_404), (C.OFF_TOPIC, O.SOFT_404), (C.MINOR, O.REDIRECTED), (C.UNCHANGED, O.REDIRECTED),
    (None, O.REDIRECTED),
])
def test_a_not_found_title_comes_before_drift(change, observation):
    found = Classification(O.REDIRECTED, "temporarily redirected", False, not_found_title=True)
    settled = settle_not_found(found, change)
    assert settled.observation is observation
    assert settled.permanent is (None if observation is O.SOFT_404 else False)


def test_drift_without_a_not_found_title_stays_drift():
    found = Classification(O.OK, "HTTP 200")
    assert settle_not_found(found, C.OFF_TOPIC) is found
