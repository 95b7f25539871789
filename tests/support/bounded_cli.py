"""The CLI in a child process held to a deadline and an address-space cap, reporting its own peak memory.

For inputs that never end (/dev/zero, a FIFO whose writer never stops): a CLI that reads them without a bound
would otherwise eat the test machine's memory. Under the cap it fails with MemoryError instead, quickly.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

# Runs in the child: cap the address space, run the CLI, write its peak RSS (KiB) to the report file.
# The peak is VmHWM, this process image's own: ru_maxrss is carried across exec and would report the
# test process's peak instead whenever that is higher.
_CHILD = """
import resource, sys
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from archiver.cli.commands import main
code = main(sys.argv[3:])
with open("/proc/self/status") as status:
    peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
with open(sys.argv[2], "w") as report:
    report.write(peak)
sys.exit(code)
"""


@dataclass
class BoundedRun:
    exit_code: int
    stdout: str
    stderr: str
    peak_rss_kib: int | None  # None when the child died before reporting it


def run_cli_bounded(argv: list[str], work: Path, *, timeout: float, address_space: int,
                    endless_fifo: tuple[Path, bytes] | None = None) -> BoundedRun:
    """`archiver ARGV` in a child with cwd `work` (no config there), killed after `timeout` seconds.

    `endless_fifo` (path, chunk): the FIFO at `path` is fed `chunk` over and over for as long as the child runs,
    and never closed for writing before it exits, so the child never sees its end.
    """
    report = work / "peak-rss"
    env = {key: value for key, value in os.environ.items() if not key.startswith("ARCHIVER_")}
    with open(work / "stdout", "w+") as out, open(work / "stderr", "w+") as err:
        with subprocess.Popen([sys.executable, "-c", _CHILD, str(address_space), str(report), *argv],
                              cwd=work, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err) as child:
            try:
                if endless_fifo is not None:
                    _feed_until_exit(child, *endless_fifo, deadline=time.monotonic() + timeout)
                child.wait(timeout=timeout)
            finally:
                if child.poll() is None:
                    child.kill()
                    child.wait(timeout=10)
        out.seek(0)
        err.seek(0)
        peak = int(report.read_text()) if report.exists() else None
        return BoundedRun(child.returncode, out.read(), err.read(), peak)


def _feed_until_exit(child: subprocess.Popen, fifo: Path, chunk: bytes, deadline: float) -> None:
    # O_RDWR opens a FIFO on Linux without waiting for a reader, and holds a write end the child never sees
    # closed; non-blocking, so a full pipe (the child stopped reading) is waited on with select, bounded.
    fd = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)
    try:
        while child.poll() is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise subprocess.TimeoutExpired(child.args, 0)
            _, writable, _ = select.select([], [fd], [], min(remaining, 0.2))
            if writable:
                try:
                    os.write(fd, chunk)
                except BlockingIOError:
                    pass
    finally:
        os.close(fd)
