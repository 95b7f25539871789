"""Archive runs in a child process to kill, and the check that the database points only at bytes in closed WARCs."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy

from archiver.settings import load_settings
from archiver.store.schema import captures, runs
from support.warc_audit import read_record

ENV = {"ARCHIVER_FETCH_ALLOW_PRIVATE_NETWORKS": "true", "ARCHIVER_FETCH_PER_HOST_DELAY": "0s",
       "ARCHIVER_FETCH_RESPECT_ROBOTS": "false"}


def settings_for(data_dir: Path):
    return load_settings(env=ENV, overrides={"storage.data_dir": str(data_dir)})


def archive_process(data_dir: Path, url: str, cwd: Path, extra_env: dict | None = None, *, command: str = "archive",
                    **popen) -> subprocess.Popen:
    """`archiver -q --data-dir DATA_DIR archive URL` (or another command taking a URL) in a child process."""
    env = {**os.environ, **ENV, **(extra_env or {})}
    env.pop("ARCHIVER_CONFIG", None)
    return subprocess.Popen([sys.executable, "-m", "archiver", "-q", "--data-dir", str(data_dir), command, url],
                            cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen)


@contextmanager
def reaped(process: subprocess.Popen) -> Iterator[subprocess.Popen]:
    """`process` for the block; on the way out, however the block ends, it is killed if still running,
    waited for and its pipes closed (a test that fails mid-run leaves no child and no open pipe behind)."""
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        with process:  # Popen's exit closes stdin, stdout and stderr, then waits
            pass


def check_db_points_at_warcs(settings, after_id: int = 0) -> int:
    """Every capture row (id > after_id) with a WARC file points at exactly its record; return the last id."""
    warc_dir = settings.storage.warc_dir
    engine = sqlalchemy.create_engine(settings.storage.database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sqlalchemy.select(captures.c.id, captures.c.warc_file, captures.c.warc_offset, captures.c.warc_length,
                                  captures.c.record_id)
                .where(captures.c.id > after_id, captures.c.warc_file.is_not(None)).order_by(captures.c.id)).all()
            last = connection.execute(sqlalchemy.select(sqlalchemy.func.max(captures.c.id))).scalar() or 0
    finally:
        engine.dispose()
    for row in rows:
        path = warc_dir / row.warc_file
        assert path.exists(), f"capture {row.id} points at missing {row.warc_file}"
        assert row.warc_offset + row.warc_length <= path.stat().st_size, f"capture {row.id} points past {row.warc_file}"
        assert read_record(path, row.warc_offset, row.warc_length)["record_id"] == row.record_id, f"capture {row.id}"
    return last


def run_rows(settings) -> list:
    """(id, status, error) of every run, oldest first, read with SQL of its own (no Store: it would start nothing)."""
    engine = sqlalchemy.create_engine(settings.storage.database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(sqlalchemy.select(runs.c.id, runs.c.status, runs.c.error).order_by(runs.c.id)).all()
    finally:
        engine.dispose()
