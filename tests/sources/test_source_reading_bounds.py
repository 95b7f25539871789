"""`archiver import` caps what it reads, whatever kind of file it is given: devices and FIFOs have no size to ask."""

from __future__ import annotations

import os

import pytest

from archiver.sources.files import MAX_SOURCE_BYTES
from support.bounded_cli import run_cli_bounded

# The child's address space: several times what `import` needs (about 100 MiB), far below a runaway read.
ADDRESS_SPACE = 512 << 20
# Peak memory a capped read stays under: the interpreter and its imports, plus one source file's bytes and text.
PEAK_RSS_KIB = 256 * 1024


@pytest.mark.parametrize("kind", ["/dev/zero", "/dev/urandom", "fifo of endless text"])
def test_import_of_an_endless_file_is_refused_within_bounded_time_and_memory(tmp_path, kind):
    endless_fifo = None
    if kind.startswith("fifo"):
        path = tmp_path / "urls.fifo"
        os.mkfifo(path)
        endless_fifo = (path, b"https://news.test/an-article\n" * 2048)  # text, so only the size cap can stop it
    else:
        path = kind

    run = run_cli_bounded(["--data-dir", str(tmp_path / "archives"), "import", str(path)], tmp_path,
                          timeout=60, address_space=ADDRESS_SPACE, endless_fifo=endless_fifo)

    assert run.exit_code == 3, run.stderr
    assert f"rejected {path}" in run.stderr
    expected = "larger than" if endless_fifo else "binary file"
    assert expected in run.stderr
    assert run.peak_rss_kib is not None and run.peak_rss_kib < PEAK_RSS_KIB, run.peak_rss_kib
    assert MAX_SOURCE_BYTES < PEAK_RSS_KIB * 1024  # the cap itself fits the bound above
