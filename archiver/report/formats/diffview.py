"""Side-by-side rows from a unified diff (compare.unified_diff: one paragraph per line), for the HTML report."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DiffRow:
    kind: str  # "same", "changed", "removed", "added", or "gap" (lines skipped between two hunks)
    left: str = ""  # the baseline's paragraph
    right: str = ""  # the paragraph now


def side_by_side(unified: str | None) -> list[DiffRow]:
    """Pair each hunk's removed paragraphs with its added ones, in order; context shows on both sides."""
    rows: list[DiffRow] = []
    removed: list[str] = []
    added: list[str] = []

    def flush() -> None:
        for index in range(max(len(removed), len(added))):
            left = removed[index] if index < len(removed) else None
            right = added[index] if index < len(added) else None
            kind = "changed" if left is not None and right is not None else ("removed" if right is None else "added")
            rows.append(DiffRow(kind, left or "", right or ""))
        removed.clear()
        added.clear()

    lines = (unified or "").splitlines()
    if len(lines) >= 2 and lines[0].startswith("---") and lines[1].startswith("+++"):
        lines = lines[2:]  # file headers; only here, since a paragraph may itself start with "--"
    hunks = 0
    for line in lines:
        if line.startswith("@@"):
            flush()
            if hunks:
                rows.append(DiffRow("gap"))
            hunks += 1
        elif line.startswith("-"):
            removed.append(line[1:])
        elif line.startswith("+"):
            added.append(line[1:])
        else:
            flush()
            text = line[1:] if line.startswith(" ") else line
            rows.append(DiffRow("same", text, text))
    flush()
    return rows
