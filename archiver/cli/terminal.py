"""What the CLI shows on a terminal: progress bars, run summaries, the status listing.

Rich output on a terminal; plain, unwrapped, tab-separated lines when piped, so
the output greps well. Only the CLI uses this module, and it only prints: the
commands read the database and the lock file and hand over what they found.

Titles, URLs, paths and error details come from the web or from a user, so they
reach Rich only inside Text objects: never parsed as markup ("[/b]" in a title,
"[fe80::1]" in a URL) or emoji codes (":cat:" in a wiki URL), control characters dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text

from archiver.daemon.lock import LockHolder
from archiver.daemon.schedule import JOB_IDS
from archiver.report.formats.common import one_line

if TYPE_CHECKING:
    from archiver.pipeline import ArticleSummary, CheckSummary


@contextmanager
def progress_callback(console: Console):
    """A progress-bar callback on a terminal; None (no output) when piped."""
    if not console.is_terminal:
        yield None
        return
    columns = (TextColumn("{task.description}", style="cyan", markup=False), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("working", total=0)

        def on_progress(advance: int = 0, total: int = 0, description: str = "") -> None:
            if total:
                progress.update(task, total=(progress.tasks[0].total or 0) + total)
            progress.update(task, advance=advance, description=description[:60] or None)

        yield on_progress


def plain(text: object) -> Text:
    """Text from the web or a user, printed as it is: no markup, no emoji codes, no control characters."""
    return Text(one_line(str(text)))


def print_summaries(console: Console, summaries: list[ArticleSummary]) -> None:
    """Per article: its references, how many have a response in the WARCs, and how many are healthy.

    The two splits are different questions: a 404 is captured (the evidence is kept) and failing.
    """
    for summary in summaries:
        if not summary.captured:
            console.print(Text.assemble(("✗", "red"), " ", plain(summary.url), ": no article extracted (",
                                        plain(summary.failure), ")"), soft_wrap=True)
            continue
        failing = sum(summary.failed_by_class.values())
        classes = ", ".join(f"{kind} {n}" for kind, n in sorted(summary.failed_by_class.items()))
        checked = summary.references_captured + summary.references_unanswered
        console.print(Text.assemble(
            ("✓", "green"), " ", plain(summary.url), ": ", plain(summary.title or "(untitled)"),
            f"\n    {summary.references} references, {summary.references_captured} captured, "
            f"{summary.references_unanswered} without a response; {checked - failing} healthy, {failing} failing"
            + (f" ({classes})" if classes else ""),
        ), soft_wrap=True)  # one line per fact, so the summary greps well when piped


def print_check(console: Console, summary: CheckSummary) -> None:
    verdicts = ", ".join(f"{verdict} {n}" for verdict, n in sorted(summary.by_verdict.items()))
    console.print(f"checked {summary.checked} URL(s): {verdicts or 'nothing was due'}", soft_wrap=True)
    for label, urls in (("newly dead", summary.newly_dead), ("newly rotten", summary.newly_rotten),
                        ("newly drifted", summary.newly_drifted), ("moved", summary.moved),
                        ("recovered", summary.recovered), ("article changed", summary.articles_changed)):
        for url in urls:
            console.print(Text.assemble(f"  {label}: ", plain(url)), soft_wrap=True)


def print_articles(console: Console, pages: Iterable[list[dict]], totals: dict[str, int], data_dir: Path) -> None:
    """Registered articles (pages of them: the newest few, or every one) with when their content was last
    extracted and their references: captured (a response of any status is in the WARCs, from any run)
    or no response (checked, never answered). One Rich table, or one write when piped, per page."""
    header = ("article", "title", "last extracted", "refs", "captured", "no response")
    console.print(Text.assemble(f"{totals['articles']} article(s) in ", plain(data_dir)), soft_wrap=True)
    shown = 0
    for number, rows in enumerate(pages):
        shown += len(rows)
        lines = [
            (one_line(row["url"]), one_line(row["title"]),
             row["last_captured_at"].strftime("%Y-%m-%d %H:%M") if row["last_captured_at"] else "never",
             str(row["link_count"]), str(row["captured_link_count"]), str(row["failed_link_count"]))
            for row in rows
        ]
        if console.is_terminal:
            table = Table(*header, show_header=number == 0)
            for line in lines:
                table.add_row(*map(Text, line))
            console.print(table)
        elif not console.quiet:  # piped: one tab-separated line per article, whole URLs, nothing wrapped
            # Written past Rich, which would expand the tabs into spaces.
            console.file.write("".join("\t".join(line) + "\n" for line in ([header] if number == 0 else []) + lines))
    if shown < totals["articles"]:
        console.print(f"({shown} newest shown; status --all lists all {totals['articles']})", soft_wrap=True)


def print_references(console: Console, totals: dict[str, int], by_verdict: dict[str, int],
                     distinct: dict[str, int] | None) -> None:
    """Two units, named: references as the report counts them (one per article and link), by verdict, and
    with `distinct`, link URLs by verdict (a URL cited by two articles is checked, and counted, once)."""
    urls = f"; {sum(distinct.values())} distinct URL(s)" if distinct is not None else ""
    console.print(f"references: {totals['references']} in {totals['articles']} article(s), one per article and link "
                  f"as the report counts them{urls}", soft_wrap=True)
    console.print(f"references by verdict: {_by_verdict(by_verdict)}", soft_wrap=True)
    if distinct is not None:
        console.print(f"distinct links by verdict: {_by_verdict(distinct)}", soft_wrap=True)


def _by_verdict(counts: dict[str, int]) -> str:
    return ", ".join(f"{verdict} {count}" for verdict, count in sorted(counts.items())) or "no links yet"


def print_daemon(console: Console, due: dict[str, datetime | None], holder: LockHolder | None) -> None:
    """The next scheduled runs (as the job store has them) and the daemon holding the lock, if one does."""
    runs = [f"{job} {due[job]:%Y-%m-%d %H:%M %Z}" for job in JOB_IDS if due.get(job) is not None]
    console.print(f"next runs: {', '.join(runs) or 'none scheduled (no daemon has run here)'}", soft_wrap=True)
    console.print(f"daemon: running ({holder.describe()})" if holder else "daemon: not running", soft_wrap=True)
