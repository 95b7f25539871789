"""`archiver serve` as a user runs it: loopback by default, refused elsewhere without --public, stopped by SIGTERM."""

from __future__ import annotations

import os
import re
import selectors
import signal
import subprocess
import sys
import time
import urllib.request

from archiver.cli.commands import main


def test_serve_refuses_a_non_loopback_host_without_public(tmp_path, capsys):
    assert main(["--data-dir", str(tmp_path / "archives"), "serve", "--host", "0.0.0.0", "--port", "0"]) == 3
    assert "--public" in capsys.readouterr().err


def _first_line(process: subprocess.Popen, timeout: float) -> str:
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    buffered = b""
    while b"\n" not in buffered and time.monotonic() < deadline:
        if selector.select(timeout=max(deadline - time.monotonic(), 0)):
            chunk = os.read(process.stdout.fileno(), 4096)
            if not chunk:
                break
            buffered += chunk
    return buffered.decode()


def test_serve_answers_on_loopback_and_stops_on_sigterm(tmp_path):
    env = {**os.environ, "ARCHIVER_WEB_TOKEN": "", "COLUMNS": "300"}
    process = subprocess.Popen([sys.executable, "-m", "archiver", "--data-dir", str(tmp_path / "archives"), "serve",
                                "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        line = _first_line(process, timeout=60)
        url = re.search(r"at (http://127\.0\.0\.1:\d+/)", line).group(1)
        assert "read-only" in line
        with urllib.request.urlopen(url, timeout=30) as response:
            assert response.status == 200
            assert "default-src 'none'" in response.headers["Content-Security-Policy"]
            assert b"Link health" in response.read()
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
            process.stdout.close()
            process.stderr.close()
    assert code == 0
