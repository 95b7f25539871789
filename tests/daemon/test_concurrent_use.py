"""Concurrent use (issue #8, part 6): a daemon and four command-line writers on one data dir for 30 s.

On SQLite and on PostgreSQL: a real `archiver daemon` (capture every second, check
and report every few seconds, links due again after 10 s) and four writer processes
looping `add`, `archive`, `import` and `check` against a loopback web, with some
URLs distinct per writer and some shared by all of them, so the same article is
registered and captured by several processes at once. Afterwards: no lock error or
traceback anywhere, every registered URL once, every capture row pointing at its
record in a closed, valid WARC, every capture a command reported present, no run
left running.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy

from archiver.models import RecordRef
from archiver.store.schema import runs
from archiver.urls import normalize_url
from support.daemon_process import WAIT, DaemonProcess, article_linking_to, environment, write_config
from support.fakeweb import HTML, reference_page, serve_fakeweb
from support.loopback import Reply
from support.warc_audit import audit_warc, check_ref

WRITERS = 4
SECONDS = 30
SHARED = 3  # URLs every writer archives, adds or imports: duplicate registrations and captures race
COMMAND_TIMEOUT = 120  # seconds: a bound for one command, which normally takes one to five
# What must never appear in a process's stderr or in a log file.
TROUBLE = re.compile(r"database is locked|database is busy|deadlock|could not obtain lock|lock timeout|Traceback"
                     r"|^ERROR|^CRITICAL| ERROR | CRITICAL ", re.IGNORECASE | re.MULTILINE)
CAPTURED_LINE = re.compile(r"^✓ (\S+): .*\n\s+(\d+) references, (\d+) captured", re.MULTILINE)
CHECKED_LINE = re.compile(r"^checked (\d+) URL\(s\)", re.MULTILINE)
REGISTERED_LINE = re.compile(r"^(\d+) article\(s\) added, (\d+) already registered$", re.MULTILINE)


@dataclass
class Command:
    """One finished writer command: what it was asked, how it ended, what it said."""

    args: list[str]
    pid: int
    code: int
    stdout: str
    stderr: str
    registers: list[str] = field(default_factory=list)  # normalised URLs it must leave registered


def seed_document(title: str, url: str) -> str:
    return (f"# {title}\n\n2026-01-05\n\nThe council met on Monday and agreed the budget, the minutes of the "
            f"meeting said, after a long debate about the new library.\n\nOriginal url: <{url}>\n")


class Writer:
    """One writer process after another until the deadline: add, archive, import, check in turn."""

    def __init__(self, number: int, base: list[str], folder: Path, deadline: float, urls):
        self.number, self.base, self.folder, self.deadline, self.urls = number, base, folder, deadline, urls
        self.commands: list[Command] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            step = self.number  # writers start on different verbs, so every verb meets the others
            while time.monotonic() < self.deadline:
                self.commands.append(self.command(step))
                step += 1
        except BaseException as exc:  # reported by the test, not lost in a thread
            self.error = exc

    def command(self, step: int) -> Command:
        w, n, shared = self.number, step, self.urls.shared(step)
        verb = ("add", "archive", "import", "check")[step % 4]
        if verb == "add":
            urls = [self.urls.article(f"w{w}/add{n}"), shared]
            return self.execute([verb, *urls], urls)
        if verb == "archive":
            urls = [self.urls.article(f"w{w}/archive{n}"), shared]
            return self.execute([verb, *urls], urls)
        if verb == "import":
            listed = [self.urls.article(f"w{w}/list{n}"), shared]
            seeded = self.urls.article(f"w{w}/seed{n}")
            folder = self.folder / f"import-w{w}-{n}"
            folder.mkdir()
            (folder / "list.txt").write_text("# a reading list\n" + "".join(f"{url}\n" for url in listed))
            (folder / "seed.md").write_text(seed_document(f"Seeded story {w}-{n}", seeded))
            return self.execute([verb, str(folder)], [*listed, seeded])
        return self.execute([verb], [])

    def execute(self, args: list[str], registers: list[str]) -> Command:
        process = subprocess.Popen([*self.base, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, cwd=self.folder, env=environment())
        try:
            stdout, stderr = process.communicate(timeout=COMMAND_TIMEOUT)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
        return Command(args, process.pid, process.returncode, stdout, stderr, [normalize_url(u) for u in registers])


class StoryUrls:
    """Article URLs on the news site; each article links to shared references and one of its own."""

    def __init__(self, web):
        self.web = web

    def article(self, name: str) -> str:
        return self.web.news.url(f"/story/{name}")

    def shared(self, step: int) -> str:
        return self.article(f"shared{step % SHARED}")

    def serve(self) -> None:
        a, b, c = self.web.refs_a, self.web.refs_b, self.web.refs_c

        def story(seen) -> Reply:
            own = b.url("/own" + seen.path)  # a reference no other article has
            return Reply(headers=HTML, body=article_linking_to(
                [a.url("/studies/ok.html"), a.url("/old/location"), b.url("/gone/missing.html"),
                 c.url("/compressed.html"), own]))

        self.web.news.fallback = story
        b.fallback = Reply(headers=HTML, body=reference_page("A reference of its own"))


def query(database_url: str, statement, **params) -> list:
    """Rows of `statement` (SQL text, or a Core select when column types matter, as for JSON)."""
    engine = sqlalchemy.create_engine(database_url)
    try:
        with engine.connect() as connection:
            if isinstance(statement, str):
                statement = sqlalchemy.text(statement)
            return connection.execute(statement, params).all()
    finally:
        engine.dispose()


def trouble_in(text: str) -> list[str]:
    return [line for line in text.splitlines() if TROUBLE.search(line)]


@pytest.mark.slow
@pytest.mark.timeout(SECONDS + 3 * COMMAND_TIMEOUT)
def test_a_daemon_and_four_writers_for_30_seconds_lose_and_duplicate_nothing(tmp_path, database_url):
    data_dir = tmp_path / "archives"
    with ExitStack() as stack:
        web = serve_fakeweb(stack)
        urls = StoryUrls(web)
        urls.serve()
        config = write_config(
            tmp_path / "archiver.toml", database=database_url, capture="interval 1s", check="interval 2s",
            report="interval 5s", stop_timeout="20s", articles=[web.article_url, urls.shared(0)],
            # Links are due again after 10 s, so the daemon's and the writers' checks re-fetch during the run.
            more='[health]\nrecheck_alive = "10s"\nrecheck_failing = "10s"\n')
        daemon = DaemonProcess(config, data_dir)
        try:
            daemon.wait_started()
            base = [sys.executable, "-m", "archiver", "--config", str(config), "--data-dir", str(data_dir)]
            deadline = time.monotonic() + SECONDS
            writers = [Writer(w, base, tmp_path, deadline, urls) for w in range(WRITERS)]
            threads = [threading.Thread(target=writer.run, name=f"writer-{writer.number}") for writer in writers]
            for thread in threads:
                thread.start()
            # Each command is bounded, so is the last one a writer starts before the deadline.
            joined_by = deadline + 2 * COMMAND_TIMEOUT
            for thread in threads:
                thread.join(max(0.0, joined_by - time.monotonic()))
            assert not any(thread.is_alive() for thread in threads), "a writer did not finish"
            assert daemon.process.poll() is None, daemon.stderr
            daemon.process.send_signal(signal.SIGTERM)
            daemon_code = daemon.process.wait(WAIT + 20)
        finally:
            daemon.kill()

    commands = [command for writer in writers for command in writer.commands]
    assert [writer.error for writer in writers] == [None] * WRITERS
    verbs = Counter(command.args[0] for command in commands)
    assert all(verbs[verb] >= 1 for verb in ("add", "archive", "import", "check")), verbs

    # Every process ended well and said nothing alarming, nor did the logs.
    assert daemon_code == 0, daemon.stderr
    failed = [(c.args, c.code, c.stderr[-2000:]) for c in commands if c.code != 0 or trouble_in(c.stderr)]
    assert not failed, failed[:3]
    assert not trouble_in(daemon.stderr), trouble_in(daemon.stderr)[:5]
    for log_file in ("archiver.log", "daemon.log"):
        logged = (data_dir / "logs" / log_file).read_text()
        assert not trouble_in(logged), (log_file, trouble_in(logged)[:5])

    # Every URL registered exactly once; every one a command registered is there.
    registered = Counter(url for (url,) in query(database_url, "SELECT url FROM articles"))
    assert [url for url, count in registered.items() if count > 1] == []
    wanted = {url for command in commands for url in command.registers}
    assert wanted - set(registered) == set()
    assert len({url for url in wanted if "/shared" in url}) == SHARED  # registered by several processes at once
    for command in commands:
        if command.args[0] in ("add", "import"):
            [(added, known)] = REGISTERED_LINE.findall(command.stdout)
            assert int(added) + int(known) == len(command.registers), command.stdout
    assert query(database_url, "SELECT article_id, url FROM links GROUP BY article_id, url HAVING COUNT(*) > 1") == []

    # Every capture row points at its own record in a closed WARC; no record is claimed twice.
    warc_dir = data_dir / "warcs"
    rows = query(database_url, "SELECT * FROM captures WHERE record_id IS NOT NULL ORDER BY id")
    assert rows
    assert [r for r, n in Counter(row.record_id for row in rows).items() if n > 1] == []
    assert query(database_url, "SELECT id FROM captures WHERE record_id IS NULL AND warc_file IS NOT NULL") == []
    for row in rows:
        # A repeated payload is a revisit record; a 304 is kept as the response it was.
        record_type = "revisit" if row.refers_to_record_id and row.http_status != 304 else "response"
        check_ref(warc_dir, RecordRef(row.warc_file, row.warc_offset, row.warc_length, row.record_id,
                                      record_type, row.url, row.fetched_at, row.payload_digest))

    # What each command reported, the database holds: its run, its article captures, its counts.
    run_rows = query(database_url, sqlalchemy.select(runs).order_by(runs.c.id))
    runs_of = {(run.pid, run.kind): run for run in run_rows}
    for command in commands:
        if command.args[0] == "archive":
            run = runs_of[(command.pid, "archive")]
            reported = CAPTURED_LINE.findall(command.stdout)
            assert {url for url, _, _ in reported} == set(command.registers), command.stdout
            assert run.counts["articles_captured"] == len(reported)
            assert run.counts["references_captured"] == sum(int(captured) for _, _, captured in reported)
            for url, _, _ in reported:
                assert query(database_url, "SELECT id FROM captures WHERE run_id = :run AND requested_url = :url "
                             "AND hop = 0 AND http_status = 200 AND record_id IS NOT NULL", run=run.id, url=url), url
        if command.args[0] == "check":
            [checked] = CHECKED_LINE.findall(command.stdout)
            assert runs_of[(command.pid, "check")].counts["checked"] == int(checked), command.stdout

    # No run left running; the daemon ran both jobs and they did work.
    daemon_pid = daemon.process.pid
    assert {run.status for run in run_rows if run.pid != daemon_pid} == {"ok"}
    assert {run.status for run in run_rows if run.pid == daemon_pid} <= {"ok", "interrupted"}
    daemon_runs = [run for run in run_rows if run.pid == daemon_pid and run.status == "ok"]
    assert any(run.kind == "capture" and run.counts.get("articles_captured", 0) > 0 for run in daemon_runs)
    assert any(run.kind == "check" and run.counts.get("checked", 0) > 0 for run in daemon_runs)

    # Every WARC closed and valid (gzip -t, warcio check, cdxj-indexer and our own record audit).
    assert list(warc_dir.glob("*.open")) == []
    warcs = sorted(warc_dir.glob("*.warc.gz"))
    assert {row.warc_file for row in rows} <= {path.name for path in warcs}
    for path in warcs:
        audit_warc(path)
    print(f"\n{len(commands)} commands {dict(verbs)}, {len(run_rows)} runs, {len(rows)} capture records, "
          f"{len(warcs)} WARCs, {len(registered)} articles")
