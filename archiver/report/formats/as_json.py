"""JSON: the machine interface. Versioned by `schema_version`; schema in archiver/report/schema/report-1.2.json.

Field names here are the documented ones (README "## Reports"): change them only
with a new schema version. Written incrementally: the head (summary), then the changes, one
per line and read from the store a page at a time, the history, then one article per line
inside "articles", read a page at a time too. `scope` says what "articles" holds: every article ("all",
`archiver report --format json`), or none ("news": what every run leaves in archives/reports/, the counts,
the changes and the history, which grow with what changed in a run, not with the archive or its rot).
"""

from __future__ import annotations

import json
from typing import Any, Callable, Iterable, Iterator, Sequence

from archiver.report.formats.common import iso
from archiver.report.model import (
    CHANGE_KINDS, ArchivedCopy, ArticleChange, ArticleReport, CaptureRef, LinkChange, LinkReport, PublicCopy,
    ReportData, RunVerdicts,
)


SCOPES = ("all", "news")


def render_json(data: ReportData, *, scope: str = "all") -> Iterator[str]:
    """The report as JSON text, in pieces: the same document, never held whole (nor its news)."""
    if scope not in SCOPES:
        raise ValueError(f"unknown JSON scope {scope!r}: expected one of {', '.join(SCOPES)}")
    head = json.dumps(report_head(data, scope), indent=2, ensure_ascii=False)
    assert head.endswith("\n}"), "the head is a JSON object written with indent=2"
    yield head[:-2] + f',\n  "changes": {{\n    "since": {json.dumps(iso(data.changes.since))}'
    for kind in CHANGE_KINDS:
        yield f',\n    "{kind}": '
        yield from _array(data.changes.of_kind(kind, with_copies=False).pages(), _link_change, "      ")
    yield ',\n    "articles_changed": '
    yield from _array(data.changes.articles.pages(), _article_change, "      ")
    yield '\n  },\n  "history": '
    yield from _array([data.history], _run, "    ")
    yield ',\n  "articles": '
    yield from _array(data.articles.pages() if scope == "all" else (), _article, "    ")
    yield "\n}\n"


def report_head(data: ReportData, scope: str = "all") -> dict[str, Any]:
    """The head's fields before the news, the history and the articles (which render_json streams)."""
    return {
        "schema_version": data.schema_version,
        "title": data.title,
        "generated_at": iso(data.generated_at),
        "since": iso(data.changes.since),
        "since_label": data.since_label,
        "article_filter": data.article_filter,
        "fail_on": list(data.fail_on),
        "scope": scope,
        "summary": {
            "articles": data.summary.articles,
            "references": data.summary.references,
            "by_verdict": dict(data.summary.by_verdict),
            "failing": data.summary.failing,
        },
    }


def _array(pages: Iterable[Sequence], as_object: Callable[[Any], dict[str, Any]], indent: str) -> Iterator[str]:
    """A JSON array of the pages' items as objects, one per line at `indent`, written a page at a time
    (each item's object is made, written and dropped before the next's)."""
    separator = "[\n" + indent
    for page in pages:
        if page:
            yield separator + (",\n" + indent).join(json.dumps(as_object(item), ensure_ascii=False) for item in page)
            separator = ",\n" + indent
    yield "[]" if separator.startswith("[") else "\n" + indent[:-2] + "]"


def _link_change(change: LinkChange) -> dict[str, Any]:
    return {"article_url": change.article_url, "url": change.url, "verdict_before": change.verdict_before,
            "verdict_now": change.verdict_now}


def _article_change(change: ArticleChange) -> dict[str, Any]:
    return {"article_url": change.article_url, "content_change": change.content_change,
            "similarity": change.similarity}


def _run(run: RunVerdicts) -> dict[str, Any]:
    return {"run_id": run.run_id, "kind": run.kind, "started_at": iso(run.started_at), "checked": run.checked,
            "counts": dict(run.counts)}


def _copy(copy: ArchivedCopy | None) -> dict[str, Any] | None:
    return None if copy is None else {"replay_url": copy.replay_url, "captured_at": iso(copy.captured_at)}


def _public_copy(copy: PublicCopy) -> dict[str, Any]:
    return {"archive": copy.archive, "memento_url": copy.memento_url, "memento_datetime": iso(copy.captured_at),
            "looked_up_at": iso(copy.looked_up_at)}


def _capture(capture: CaptureRef) -> dict[str, Any]:
    return {"url": capture.url, "hop": capture.hop, "fetched_at": iso(capture.fetched_at),
            "http_status": capture.http_status, "warc_file": capture.warc_file, "warc_offset": capture.warc_offset,
            "warc_length": capture.warc_length, "record_id": capture.record_id}


def _article(article: ArticleReport) -> dict[str, Any]:
    return {
        "url": article.url, "canonical_url": article.canonical_url, "title": article.title,
        "clean_title": article.clean_title, "date": article.date, "date_raw": article.date_raw,
        "modified": article.modified,
        "verdict": article.verdict, "observation": article.observation,
        "last_checked": iso(article.last_checked), "last_captured": iso(article.last_captured),
        "content_change": article.content_change, "similarity": article.similarity, "diff": article.diff,
        "archived_copy": _copy(article.archived_copy),
        "links": [_link(link) for link in article.links],
    }


def _link(link: LinkReport) -> dict[str, Any]:
    return {
        "url": link.url, "anchor_text": link.anchor_text, "position": link.position,
        "still_linked": link.still_linked, "verdict": link.verdict, "verdict_since": iso(link.verdict_since),
        "observation": link.observation, "detail": link.detail, "http_status": link.http_status,
        "final_url": link.final_url, "content_change": link.content_change, "similarity": link.similarity,
        "first_seen": iso(link.first_seen), "last_seen": iso(link.last_seen), "last_checked": iso(link.last_checked),
        "archived_copy": _copy(link.archived_copy), "diff": link.diff,
        "captures": [_capture(capture) for capture in link.captures],
        "public_copies": [_public_copy(copy) for copy in link.public_copies],
        "override": link.override,
    }
