"""JSON: the machine interface. Versioned by `schema_version`; schema in archiver/report/schema/report-1.1.json.

Field names here are the documented ones (README "## Reports"): change them only
with a new schema version. Written incrementally: the head (summary, changes, history)
first, then one article per line inside "articles", read from the store a page at a time.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

from archiver.report.formats.common import iso
from archiver.report.model import (
    CHANGE_KINDS, ArchivedCopy, ArticleReport, CaptureRef, Changes, LinkReport, PublicCopy, ReportData, RunVerdicts,
)


def render_json(data: ReportData) -> Iterator[str]:
    """The report as JSON text, in pieces: the same document, never held whole."""
    head = json.dumps(report_head(data), indent=2, ensure_ascii=False)
    assert head.endswith("\n}"), "the head is a JSON object written with indent=2"
    yield head[:-2] + ',\n  "articles": ['
    separator = "\n    "
    for article in data.articles:
        yield separator + json.dumps(_article(article), ensure_ascii=False)
        separator = ",\n    "
    yield "\n  ]\n}\n" if separator != "\n    " else "]\n}\n"


def report_head(data: ReportData) -> dict[str, Any]:
    """Everything but the articles, counted by the database: what a dashboard polls for."""
    return {
        "schema_version": data.schema_version,
        "title": data.title,
        "generated_at": iso(data.generated_at),
        "since": iso(data.changes.since),
        "since_label": data.since_label,
        "article_filter": data.article_filter,
        "fail_on": list(data.fail_on),
        "summary": {
            "articles": data.summary.articles,
            "references": data.summary.references,
            "by_verdict": dict(data.summary.by_verdict),
            "failing": data.summary.failing,
        },
        "changes": _changes(data.changes),
        "history": [_run(run) for run in data.history],
    }


def _changes(changes: Changes) -> dict[str, Any]:
    lists: dict[str, Any] = {"since": iso(changes.since)}
    for kind in CHANGE_KINDS:
        lists[kind] = [{"article_url": c.article_url, "url": c.url, "verdict_before": c.verdict_before,
                        "verdict_now": c.verdict_now} for c in changes.of_kind(kind)]
    lists["articles_changed"] = [{"article_url": c.article_url, "content_change": c.content_change,
                                  "similarity": c.similarity} for c in changes.articles]
    return lists


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
