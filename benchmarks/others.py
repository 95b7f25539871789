"""The same URL list through tools nobody here wrote: wget (WARC capture) and LinkChecker (link check).

Each runner returns (seconds, note) or (None, why it was skipped): a missing tool is
reported with the command that installs it, never skipped silently.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

TOOL_TIMEOUT = 1800  # seconds: a tool that hangs ends the column, not the benchmark


def _venv_tool(name: str) -> str | None:
    """`name` beside this Python (the project's venv), else on PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else shutil.which(name)


def _timed(command: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=TOOL_TIMEOUT)
    return time.perf_counter() - started, done


def run_wget(urls: list[str], work_dir: Path) -> tuple[float | None, str]:
    """Fetch every URL once, one after another, into a gzipped WARC (wget has no parallel mode)."""
    wget = shutil.which("wget")
    if wget is None:
        return None, "wget not installed: apt-get install wget"
    work_dir.mkdir(parents=True, exist_ok=True)
    url_file = work_dir / "urls.txt"
    url_file.write_text("\n".join(urls) + "\n")
    command = [wget, "--quiet", "--tries=1", "--timeout=20", "--warc-file=" + str(work_dir / "wget"),
               "--no-warc-keep-log", "--directory-prefix=" + str(work_dir / "files"), "--input-file=" + str(url_file)]
    seconds, done = _timed(command, work_dir)
    warc = work_dir / "wget.warc.gz"
    size = warc.stat().st_size if warc.exists() else 0
    # wget exits 8 when some URL answered an error (the probes' 404s do not exist here, so this is rare).
    return seconds, f"exit {done.returncode}, WARC {size / 1e6:.1f} MB"


def run_linkchecker(article_urls: list[str], work_dir: Path, threads: int) -> tuple[float | None, str]:
    """Check the articles and every link in them (recursion level 1), other hosts included."""
    linkchecker = _venv_tool("linkchecker")
    if linkchecker is None:
        return None, f"LinkChecker not installed: {Path(sys.executable).parent / 'pip'} install linkchecker"
    command = [linkchecker, "--recursion-level=1", "--check-extern", "--no-status", "--no-warnings", "--verbose",
               f"--threads={threads}", "--output=csv", *article_urls]
    work_dir.mkdir(parents=True, exist_ok=True)
    # Run as root, LinkChecker drops to user nobody: it reports on stdout, not into our private temp dir.
    seconds, done = _timed(command, work_dir)
    # LinkChecker exits 1 when it found broken links; 2 is its own error.
    if done.returncode not in (0, 1):
        return seconds, f"failed (exit {done.returncode}): {done.stderr.strip()[-300:]}"
    return seconds, f"exit {done.returncode}, {_csv_rows(done.stdout)} URLs checked"


def _csv_rows(report: str) -> int:
    lines = [line for line in report.splitlines() if line and not line.startswith("#")]
    return max(0, len(lines) - 1)  # minus the header line
