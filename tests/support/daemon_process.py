"""A real `archiver daemon` process on a loopback web, with its config, environment and stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import support.waiting as waiting
from archiver.daemon.lock import LOCK_FILE_NAME, read_lock_holder

WAIT = 30  # seconds: a bound for what normally takes one or two


def eventually(predicate, timeout: float = WAIT) -> bool:
    return waiting.eventually(predicate, timeout)


def write_config(path: Path, *, database: str = "", capture: str = "interval 1s", check: str = "off",
                 stop_timeout: str = "2s", articles: list[str] = (), report: str = "off", more: str = "") -> Path:
    """A daemon config beside `path`'s articles.txt; `more` is TOML appended as it is (extra tables)."""
    (path.parent / "articles.txt").write_text("".join(f"{url}\n" for url in articles))
    path.write_text(f"""
[storage]
database = "{database}"
[fetch]
allow_private_networks = true
total_timeout = "60s"
per_host_delay = "0s"
retries = 0
respect_robots = false
[sources]
articles = ["articles.txt"]
[schedule]
capture = "{capture}"
check = "{check}"
report = "{report}"
jitter = "0s"
stop_timeout = "{stop_timeout}"
{more}""")
    return path


def environment() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if not name.startswith("ARCHIVER_")}


class DaemonProcess:
    """`python -m archiver daemon` with its stderr in a file (a pipe nobody reads could fill and block it)."""

    def __init__(self, config: Path, data_dir: Path, name: str = "daemon"):
        self.data_dir = data_dir
        self.stderr_path = config.parent / f"{name}.stderr"
        with open(self.stderr_path, "wb") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "archiver", "--config", str(config), "--data-dir", str(data_dir), "daemon"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr, cwd=config.parent, env=environment())

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def wait_started(self) -> None:
        holder = lambda: read_lock_holder(self.data_dir / LOCK_FILE_NAME)  # noqa: E731
        assert eventually(lambda: self.process.poll() is not None or (holder() and holder().pid == self.process.pid)), \
            "the daemon did not take its lock"
        assert self.process.poll() is None, f"the daemon exited: {self.stderr}"

    def stop(self, timeout: float = WAIT) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def article_linking_to(urls: list[str]) -> bytes:
    paragraphs = "".join(
        f"<p>Paragraph {n} of the story explains the matter in detail, and according to <a href=\"{url}\">a source"
        f"</a> things changed considerably over the last year, as officials confirmed in public statements.</p>"
        for n, url in enumerate(urls))
    return (f"<!doctype html><html><head><title>The story</title></head><body><article><h1>The story</h1>"
            f"{paragraphs}</article></body></html>").encode()
