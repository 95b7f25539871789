"""JSON: the machine interface. Versioned by `schema_version`; schema in archiver/report/schema/report-1.1.json.

Field names here are the documented ones (README "## Reports"): change them only
with a new schema version.
"""

from __future__ import annotations

import json
from typing import Any

from archiver.report.formats.common import iso
from archiver.report.model import (
    CHANGE_KINDS, ArchivedCopy, ArticleReport, CaptureRef, Changes, LinkReport, PublicCopy, ReportData, RunVerdicts,
)


def render_json(data: ReportData) -> str:
    return json.dumps(report_to_dict(data), indent=2, ensure_ascii=False) + "\n"


def report_to_dict(data: ReportData) -> dict[str, Any]:
    return {
        "schema_version": data.schema_version,
        "title": data.title,
        "generated_at": iso(data.generated_at),
        "since": iso(data.changes.since),
        "since_label": data.since_label,
        "article_filter": data.article_filter,
        "fail_on": list(data.fail_on),
        "summary": {
            "articles": len(data.articles),
            "references": len(data.references()),
            "by_verdict": data.verdict_counts(),
            "failing": len(data.failing()),
        },
        "changes": _changes(data.changes),
        "history": [_run(run) for run in data.history],
        "articles": [_article(article) for article in data.articles],
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
