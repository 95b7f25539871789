"""Article input files: the files a path names, and each one's text, read with a cap.

The cap is on bytes read, never on st_size: a device, a pipe or a FIFO reports 0 and may never end
(`archiver import /dev/zero`, or a list piped in through /dev/stdin).
"""

from __future__ import annotations

from pathlib import Path

from archiver.errors import SourceError

MAX_SOURCE_BYTES = 10_000_000  # a seed document or URL list is text; anything bigger is a mistake
_BINARY_PROBE = 8192  # a NUL in this many first bytes makes a file binary


def read_text(path: Path) -> str:
    """The file's text; SourceError when it is too big, binary or not UTF-8."""
    try:
        with path.open("rb") as handle:
            head = handle.read(_BINARY_PROBE)
            if b"\x00" in head:  # before reading on: /dev/zero and random bytes stop here
                raise SourceError(str(path), "binary file, not a URL list or seed document")
            data = head + handle.read(MAX_SOURCE_BYTES + 1 - len(head))
    except OSError as exc:
        raise SourceError(str(path), f"cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_SOURCE_BYTES:
        raise SourceError(str(path), f"larger than {MAX_SOURCE_BYTES} bytes; not an article list")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(str(path), f"not UTF-8 text (byte {exc.start})") from None


def files_below(root: Path) -> list[Path]:
    """`root` itself, or every non-hidden regular file below it in sorted order (no devices, no FIFOs)."""
    if not root.is_dir():
        return [root]
    found = (p for p in root.rglob("*") if p.is_file())
    return sorted(p for p in found if not any(part.startswith(".") for part in p.relative_to(root).parts))
