"""`python -m archiver replay` as a test's subprocess: started on a free loopback port, waited for, stopped."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from support.loopback import closed_port
from support.waiting import eventually

WAIT = 60  # seconds: a bound for pywb to start (it loads its templates and rules first); it takes a few
COLLECTION = "archive"


def accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def free_port() -> int:
    with closed_port() as port:  # bound, then released on exit for replay to take
        return port


def wait_until_serving(process: subprocess.Popen, folder: Path, port: int) -> None:
    """Until replay prints the URL it serves (it does once pywb accepts requests), or exits."""
    announced = f"at http://127.0.0.1:{port}/{COLLECTION}/ (Ctrl-C to stop)"
    assert eventually(lambda: announced in (folder / "replay.stdout").read_text() or process.poll() is not None,
                      timeout=WAIT)
    assert process.poll() is None, (folder / "replay.stderr").read_text()


@contextmanager
def start_replay(folder: Path, data_dir: Path, template: str, *flags: str) -> Iterator[subprocess.Popen]:
    """`python -m archiver replay` with its output in files (a pipe nobody reads could fill); stopped on exit."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("ARCHIVER_")}
    environment["ARCHIVER_REPORT_REPLAY_URL"] = template  # host, port and collection all come from here
    with open(folder / "replay.stdout", "wb") as stdout, open(folder / "replay.stderr", "wb") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "archiver", "--data-dir", str(data_dir), "replay", *flags],
                                   stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, cwd=folder, env=environment)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
