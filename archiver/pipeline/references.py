"""One run's references: each URL checked once however many articles cite it, and counted for each of them.

An article's references are queued as soon as that article is stored, so an
article stored later may cite a URL already checked, or still being checked:
its summary counts the reference all the same, from the outcome kept here
(only what a summary needs: whether it answered, and how it failed).
"""

from __future__ import annotations

from dataclasses import dataclass

from archiver.models import Link
from archiver.pipeline.capture import UrlOutcome
from archiver.pipeline.summary import ArticleSummary


@dataclass
class _Reference:
    first_article_id: int | None
    citing: list[ArticleSummary]
    outcome: UrlOutcome | None = None  # set once checked; only its captures' statuses and failure are read


class RunReferences:
    """Which URLs this run has queued, which articles cite each, and what each check gave."""

    def __init__(self) -> None:
        self._references: dict[str, _Reference] = {}

    def cite(self, summary: ArticleSummary, links: list[Link]) -> tuple[list[str], list[str]]:
        """`summary`'s article cites `links`: the URLs new to this run, as (to fetch, not http(s))."""
        fetch, unsupported = [], []
        summary.references = len(links)
        for link in links:
            reference = self._references.get(link.url)
            if reference is None:
                reference = self._references[link.url] = _Reference(summary.article_id, [])
                (fetch if link.supported else unsupported).append(link.url)
            reference.citing.append(summary)
            if reference.outcome is not None:
                summary.note_reference(reference.outcome)
        return fetch, unsupported

    def article_of(self, url: str) -> int | None:
        reference = self._references.get(url)
        return reference.first_article_id if reference else None

    def checked(self, outcome: UrlOutcome) -> None:
        """`outcome` is the check of its URL: every article citing it so far counts it, and later ones will."""
        reference = self._references.get(outcome.url)
        if reference is None:
            return  # a due URL of a check, cited by no article of this run
        reference.outcome = _slim(outcome)
        for summary in reference.citing:
            summary.note_reference(reference.outcome)


def _slim(outcome: UrlOutcome) -> UrlOutcome:
    """The outcome without its extracted page: a run keeps one per reference until it ends."""
    return UrlOutcome(outcome.url, outcome.captures, None, outcome.response_ref, outcome.classification)
