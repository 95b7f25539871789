"""Export captures as a WACZ 1.1.1 package (https://specs.webrecorder.net/wacz/1.1.1/).

    archive/*.warc.gz        whole WARC files, or, for a selection, the selected records copied
                             member by member (each record is one gzip member, so bytes are
                             copied, never re-encoded): the warcinfo, each selected response or
                             revisit, the revisited response, and the request and metadata
                             records concurrent to them
    indexes/index.cdxj       one sorted CDXJ index over those files (archiver.warc.index)
    pages/pages.jsonl        a header line, then one line per capture of an article page:
                             url, ts, title and the extracted main text
    datapackage.json         every file above with its size and sha256
    datapackage-digest.json  the sha256 of datapackage.json

The zip is written beside the target and renamed, so a WACZ present is a whole one.
WARCs are STORED (the spec asks for it: readers seek into them); the rest is deflated.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from archiver import __version__
from archiver.warc.index import write_index
from archiver.models import Capture
from archiver.warc.files import WARC_SUFFIX, complete_members

__all__ = ["ExportSummary", "WACZ_VERSION", "export_wacz"]

WACZ_VERSION = "1.1.1"
_CHUNK = 1 << 20
_HEADER = re.compile(rb"\r\n(WARC-Type|WARC-Record-ID|WARC-Concurrent-To): *(\S+)", re.IGNORECASE)


@dataclass
class ExportSummary:
    path: Path
    warc_files: int = 0
    records: int = 0  # index lines: the response, revisit and metadata records a reader can find
    pages: list[dict] = field(default_factory=list)


def export_wacz(store, warc_dir: Path, output: Path, *, article_urls: tuple[str, ...] = (),
                since: datetime | None = None) -> ExportSummary:
    """Write the WACZ; with no articles and no `since`, every closed WARC goes in whole.

    LookupError for an article URL that is not registered; FileNotFoundError when `output`'s folder does not
    exist (it is never made: a typo in the path must not leave folders behind).
    """
    output = Path(output)
    if not output.parent.is_dir():
        raise FileNotFoundError(errno.ENOENT, f"its folder {output.parent} does not exist", str(output.parent))
    article_ids = _article_ids(store, article_urls)
    captures, pages = _select(store, article_ids, since)
    with tempfile.TemporaryDirectory(prefix="wacz-") as scratch:
        if article_urls or since is not None:
            warcs = _copy_selected_records(Path(warc_dir), captures, Path(scratch))
        else:
            warcs = sorted(Path(warc_dir).glob("*" + WARC_SUFFIX))
        index = sorted(line for warc in warcs for line in _index_lines(warc, Path(scratch) / "indexes"))
        summary = ExportSummary(Path(output), warc_files=len(warcs), records=len(index), pages=pages)
        _write_zip(Path(output), warcs, index, pages, main_url=article_urls[0] if len(article_urls) == 1 else None)
    return summary


def _article_ids(store, article_urls: tuple[str, ...]) -> list[int]:
    if not article_urls:
        return [row["id"] for row in store.list_articles()]
    ids = []
    for url in article_urls:
        article_id = store.get_article_id(url)
        if article_id is None:
            raise LookupError(f"no article registered at {url}")
        ids.append(article_id)
    return ids


def _select(store, article_ids: list[int], since: datetime | None) -> tuple[list[Capture], list[dict]]:
    """The captures in a WARC of the articles and their references (fetched at or after `since`),
    plus any earlier response a selected revisit stands for; and the page lines of the articles."""
    articles = {row["id"]: row for row in store.list_articles()}
    page_urls = {articles[article_id]["url"]: articles[article_id] for article_id in article_ids}
    requested = list(page_urls)
    for article_id in article_ids:
        requested.extend(link["url"] for link in store.links_for_article(article_id))
    every = [capture for hops in store.report_captures(list(dict.fromkeys(requested))).values()
             for _, capture in hops if capture.record_id and capture.warc_file]
    chosen = [capture for capture in every if since is None or capture.fetched_at >= since]
    by_record = {capture.record_id: capture for capture in every}
    chosen_ids = {capture.record_id for capture in chosen}
    revisited = [by_record[c.refers_to_record_id] for c in chosen
                 if c.refers_to_record_id in by_record and c.refers_to_record_id not in chosen_ids]
    pages = [_page_line(store, capture, page_urls[capture.requested_url]) for capture in chosen
             if capture.requested_url in page_urls and capture.http_status and 200 <= capture.http_status < 300]
    return chosen + revisited, pages


def _page_line(store, capture: Capture, article: dict) -> dict:
    page = {"id": capture.record_id.strip("<>").removeprefix("urn:uuid:"), "url": capture.url,
            "ts": capture.fetched_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "title": article["title"] or article["seed_title"] or capture.url}
    text = store.get_text(capture.text_hash) if capture.text_hash else None
    if text:
        page["text"] = text
    return page


def _copy_selected_records(warc_dir: Path, captures: list[Capture], into: Path) -> list[Path]:
    """Per source WARC, a file of the same name holding only the selected records and their companions."""
    offsets: dict[str, set[int]] = {}
    for capture in captures:
        offsets.setdefault(capture.warc_file, set()).add(capture.warc_offset)
    copies = []
    for name, wanted in sorted(offsets.items()):
        copy = into / "archive" / name
        copy.parent.mkdir(parents=True, exist_ok=True)
        kept_ids: set[bytes] = set()
        with open(warc_dir / name, "rb") as source, open(copy, "wb") as target:
            for start, end, head in complete_members(warc_dir / name):
                headers = {key.lower(): value for key, value in _HEADER.findall(head)}
                # Requests and outlink metadata name their response in WARC-Concurrent-To and come after it.
                if (start in wanted or headers.get(b"warc-type") == b"warcinfo"
                        or headers.get(b"warc-concurrent-to") in kept_ids):
                    kept_ids.add(headers.get(b"warc-record-id"))
                    _copy_range(source, target, start, end)
        copies.append(copy)
    return copies


def _copy_range(source, target, start: int, end: int) -> None:
    source.seek(start)
    left = end - start
    while left:
        data = source.read(min(left, _CHUNK))
        if not data:
            raise OSError(f"{source.name} ended inside a record at byte {start}")
        target.write(data)
        left -= len(data)


def _index_lines(warc: Path, scratch: Path) -> list[str]:
    """The CDXJ lines of `warc` (offsets as in the copy that goes into the package)."""
    lines = write_index(warc, scratch).read_text(encoding="utf-8").splitlines(keepends=True)
    return [line for line in lines if line.strip() and not line.startswith("!")]


def _write_zip(output: Path, warcs: list[Path], index: list[str], pages: list[dict], main_url: str | None) -> None:
    created = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    header = {"format": "json-pages-1.0", "id": "pages", "title": "Archived articles", "hasText": True}
    members = {  # path in the zip -> bytes; WARCs are added from disk below
        "indexes/index.cdxj": "".join(index).encode("utf-8"),
        "pages/pages.jsonl": "".join(json.dumps(line, ensure_ascii=False) + "\n"
                                     for line in [header, *pages]).encode("utf-8"),
    }
    resources = [_resource(f"archive/{warc.name}", *_file_hash(warc)) for warc in warcs]
    resources += [_resource(path, len(data), hashlib.sha256(data).hexdigest()) for path, data in members.items()]
    package = {"profile": "data-package", "wacz_version": WACZ_VERSION, "created": created,
               "software": f"archiver {__version__}", "title": "archiver export", "resources": resources}
    if main_url:
        package["mainPageURL"] = main_url
    package_bytes = json.dumps(package, indent=2).encode("utf-8")
    members["datapackage.json"] = package_bytes
    members["datapackage-digest.json"] = json.dumps(
        {"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(package_bytes).hexdigest()}, indent=2).encode()
    partial = output.with_name(output.name + ".partial")
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as package_zip:
            for warc in warcs:
                package_zip.write(warc, f"archive/{warc.name}", compress_type=zipfile.ZIP_STORED)
            for path, data in members.items():
                package_zip.writestr(path, data)
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)


def _resource(path: str, size: int, sha256: str) -> dict:
    # Frictionless names: lowercase letters, digits, '.', '-', '_' (our WARC names may hold a capitalised host).
    return {"name": re.sub(r"[^a-z0-9._-]", "-", Path(path).name.lower()), "path": path,
            "hash": f"sha256:{sha256}", "bytes": size}


def _file_hash(path: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()
