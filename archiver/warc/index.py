"""CDXJ indexes of closed WARC files, and look-ups of a URL's captures in them.

Each closed `warcs/NAME.warc.gz` gets `indexes/NAME.warc.gz.cdxj`: one sorted line per
response, revisit and (non warc-fields) metadata/resource record,
`SURT TIMESTAMP14 {"url", "mime", "status", "digest", "length", "offset", "filename"}`,
the format pywb, ReplayWeb.page and WACZ read. The lines are made by cdxj-indexer, the
tool the tests already validate our WARCs with, so the index and the validator agree.

Each file is indexed as the recorder closes it (IndexAsFilesClose, a background thread),
so a long run's rotated files are found by `lookup` and `replay` at once. An index is
written to a temporary name and renamed, so a file present is a whole index;
`index_closed_warcs` builds every one that is missing (after a crash, or one whose
indexing failed), which is why a failure to index is logged and never loses a capture.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import surt
from cdxj_indexer.main import write_cdx_index

from archiver.errors import StoragePathError
from archiver.warc.files import WARC_SUFFIX

__all__ = ["IndexEntry", "find_captures", "index_closed_warcs", "index_dir_of", "index_path", "nearest",
           "parse_timestamp", "read_index", "url_key", "write_index"]

log = logging.getLogger(__name__)

INDEX_SUFFIX = ".cdxj"
INDEX_DIR_NAME = "indexes"  # beside warcs/ in the data dir
_TIMESTAMP = "%Y%m%d%H%M%S"


@dataclass(frozen=True)
class IndexEntry:
    """One index line: where a capture of `url` lies (`filename` is a WARC name, never a path)."""

    urlkey: str
    timestamp: str  # 14 digits, UTC
    url: str
    status: int | None
    mime: str | None
    digest: str | None
    filename: str
    offset: int
    length: int

    @property
    def when(self) -> datetime:
        return datetime.strptime(self.timestamp, _TIMESTAMP).replace(tzinfo=timezone.utc)

    @classmethod
    def from_line(cls, line: str) -> IndexEntry:
        urlkey, timestamp, fields = line.rstrip("\n").split(" ", 2)
        data = json.loads(fields)
        status = data.get("status")
        return cls(urlkey=urlkey, timestamp=timestamp, url=data["url"], mime=data.get("mime"),
                   status=int(status) if status and str(status).isdigit() else None, digest=data.get("digest"),
                   filename=data["filename"], offset=int(data["offset"]), length=int(data["length"]))


def index_dir_of(data_dir: Path) -> Path:
    """Where the indexes of `data_dir` live; StoragePathError when the data dir is a file."""
    if Path(data_dir).is_file():
        raise StoragePathError(data_dir, "not a folder (a file is in the way)")
    return Path(data_dir) / INDEX_DIR_NAME


def index_path(index_dir: Path, warc_name: str) -> Path:
    return Path(index_dir) / (warc_name + INDEX_SUFFIX)


def write_index(warc_path: Path, index_dir: Path) -> Path:
    """Index one closed WARC into `index_dir` (sorted lines), replacing any earlier index of it."""
    warc_path = Path(warc_path)
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    final = index_path(index_dir, warc_path.name)
    # A name of its own: a `lookup` and a daemon may index the same file at once.
    handle, partial = tempfile.mkstemp(prefix=final.name + ".", suffix=".tmp", dir=index_dir)
    os.close(handle)
    try:
        write_cdx_index(partial, [str(warc_path)], {"sort": True})
        os.replace(partial, final)
    finally:
        Path(partial).unlink(missing_ok=True)
    return final


def index_closed_warcs(warc_dir: Path, index_dir: Path) -> list[Path]:
    """Build the index of every closed WARC in `warc_dir` that has none yet; return the indexes written.

    A WARC that cannot be indexed is logged and skipped: the next call tries it again.
    """
    written = []
    for warc_path in sorted(Path(warc_dir).glob("*" + WARC_SUFFIX)):  # `.open` files do not match
        if index_path(index_dir, warc_path.name).exists():
            continue
        try:
            written.append(write_index(warc_path, index_dir))
        except OSError as exc:  # a full or read-only disk: one line, not a traceback per file
            log.warning("cannot index %s: %s; tried again at the next run", warc_path.name, exc.strerror or exc)
        except Exception:  # a damaged file must not stop a capture run; its index stays missing
            log.exception("cannot index %s", warc_path.name)
    return written


def read_index(path: Path) -> list[IndexEntry]:
    with open(path, encoding="utf-8") as lines:
        return [IndexEntry.from_line(line) for line in lines if line.strip() and not line.startswith("!")]


def url_key(url: str) -> str:
    """The SURT form of `url` (the first field of an index line), as cdxj-indexer makes it."""
    return surt.surt(url)


def find_captures(index_dir: Path, url: str) -> list[IndexEntry]:
    """Every indexed record of `url` (SURT-equal URLs count as the same), oldest first."""
    prefix = url_key(url) + " "
    found = []
    for path in sorted(Path(index_dir).glob("*" + WARC_SUFFIX + INDEX_SUFFIX)):
        with open(path, encoding="utf-8") as lines:
            found.extend(IndexEntry.from_line(line) for line in lines if line.startswith(prefix))
    return sorted(found, key=lambda entry: (entry.timestamp, entry.filename, entry.offset))


def nearest(entries: list[IndexEntry], when: datetime) -> IndexEntry | None:
    """The entry closest in time to `when`; on a tie the earlier one (what was there at the time)."""
    if not entries:
        return None
    return min(entries, key=lambda entry: (abs((entry.when - when).total_seconds()), entry.timestamp))


def parse_timestamp(text: str) -> datetime:
    """A UTC datetime from an ISO date/datetime (2026-01-05, 2026-01-05T10:00) or 4-14 timestamp digits."""
    text = text.strip()
    if text.isdigit() and 4 <= len(text) <= 14:
        # A shorter timestamp means the start of that year/month/day..., as in Wayback URLs.
        padded = text + "0101000000"[len(text) - 4:] if len(text) < 8 else text.ljust(14, "0")
        return datetime.strptime(padded, _TIMESTAMP).replace(tzinfo=timezone.utc)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"expected an ISO date such as 2026-01-05 or timestamp digits such as 20260105, "
                         f"not {text!r}") from None
    return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)


class IndexAsFilesClose:
    """Indexes each WARC the moment the recorder closes it, on one background thread.

    A long run rotates through many files: `lookup` and `replay` see each one as soon as
    it is complete, not when the run ends, and the writers never wait for cdxj-indexer.
    close() waits for the files handed over so far. A failure is logged; the next
    index_closed_warcs() (every pipeline runs one at its end and start) tries again.
    """

    def __init__(self, index_dir: Path):
        self.index_dir = Path(index_dir)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="index")

    def __call__(self, warc_path: Path) -> None:
        self._pool.submit(self._index, Path(warc_path))

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def _index(self, warc_path: Path) -> None:
        try:
            write_index(warc_path, self.index_dir)
        except OSError as exc:  # the catch-all pass retries it
            log.warning("cannot index %s: %s; tried again at the next run", warc_path.name, exc.strerror or exc)
        except Exception:
            log.exception("cannot index %s", warc_path.name)

