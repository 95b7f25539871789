"""Run the CLI on a real (pseudo-)terminal, as a user at a shell would, and read back what it showed.

    run = run_on_terminal(["--data-dir", str(d), "status"], env=env, cwd=tmp_path)
    run.code, run.text   # exit code; the screen output with colours, links and carriage returns removed

Rich decides how to print by asking whether its stream is a terminal; on a pty it is,
so progress bars, tables and markup rendering all run as they would for a user.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from dataclasses import dataclass
from pathlib import Path

# CSI sequences (colours, cursor moves) and OSC sequences (hyperlinks: ESC ] 8 ; ; URL ESC \).
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")


@dataclass(frozen=True)
class TerminalRun:
    code: int
    raw: bytes

    @property
    def text(self) -> str:
        """What a reader sees, give or take cursor moves: escape sequences and carriage returns removed."""
        return _ESCAPES.sub("", self.raw.decode("utf-8", "replace")).replace("\r", "")


def run_on_terminal(args: list[str], *, env: dict[str, str], cwd: Path, timeout: float = 60,
                    columns: int = 220, rows: int = 50) -> TerminalRun:
    """`python -m archiver ARGS` with stdin, stdout and stderr on a pty of the given size; bounded by `timeout`."""
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    env = {**env, "TERM": "xterm-256color", "COLUMNS": str(columns), "LINES": str(rows)}
    for name in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        env.pop(name, None)
    try:
        process = subprocess.Popen([sys.executable, "-m", "archiver", *args], stdin=terminal, stdout=terminal,
                                   stderr=terminal, env=env, cwd=cwd, close_fds=True)
    finally:
        os.close(terminal)  # the child holds its own copy; ours would keep the pty open after it exits
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while (remaining := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([controller], [], [], remaining)
            if not ready:
                continue
            try:
                data = os.read(controller, 65536)
            except OSError:  # EIO: every process on the terminal has closed it
                break
            if not data:
                break
            chunks.append(data)
        else:
            raise TimeoutError(f"archiver {' '.join(args)} still running after {timeout}s")
        code = process.wait(timeout=max(deadline - time.monotonic(), 1.0))
    finally:
        os.close(controller)
        if process.poll() is None:
            process.kill()
            process.wait()
    return TerminalRun(code, b"".join(chunks))
