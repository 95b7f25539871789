"""What the CLI shows on a terminal: progress bars, run summaries, the status listing.

Rich output on a terminal; plain, unwrapped, tab-separated lines when piped, so
the output greps well. Only the CLI uses this module, and it only prints: the
commands read the database and the lock file and hand over what they found.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from archiver.daemon.lock import LockHolder
from archiver.daemon.schedule import JOB_IDS
from archiver.pipeline import ArticleSummary, CheckSummary


@contextmanager
def progress_callback(console: Console):
    """A progress-bar callback on a terminal; None (no output) when piped."""
    if not console.is_terminal:
        yield None
        return
    columns = (TextColumn("{task.description}", style="cyan"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("working", total=0)

        def on_progress(advance: int = 0, total: int = 0, description: str = "") -> None:
            if total:
                progress.update(task, total=(progress.tasks[0].total or 0) + total)
            progress.update(task, advance=advance, description=description[:60] or None)

        yield on_progress


def print_summaries(console: Console, summaries: list[ArticleSummary]) -> None:
    for summary in summaries:
        if not summary.captured:
            console.print(f"[red]✗[/red] {summary.url}: not captured ({summary.failure})", soft_wrap=True)
            continue
        failed = sum(summary.failed_by_class.values())
        classes = ", ".join(f"{kind} {n}" for kind, n in sorted(summary.failed_by_class.items()))
        console.print(
            f"[green]✓[/green] {summary.url}: {summary.title or '(untitled)'}\n"
            f"    {summary.references} references, {summary.references_captured} captured, {failed} failed"
            + (f" ({classes})" if classes else ""),
            soft_wrap=True,  # one line per fact, so the summary greps well when piped
        )


def print_check(console: Console, summary: CheckSummary) -> None:
    verdicts = ", ".join(f"{verdict} {n}" for verdict, n in sorted(summary.by_verdict.items()))
    console.print(f"checked {summary.checked} URL(s): {verdicts or 'nothing was due'}", soft_wrap=True)
    for label, urls in (("newly dead", summary.newly_dead), ("newly rotten", summary.newly_rotten),
                        ("newly drifted", summary.newly_drifted), ("moved", summary.moved),
                        ("recovered", summary.recovered), ("article changed", summary.articles_changed)):
        for url in urls:
            console.print(f"  {label}: {url}", soft_wrap=True, markup=False, highlight=False)


def print_articles(console: Console, rows: list[dict], data_dir: Path) -> None:
    """Registered articles with their last capture and reference counts."""
    header = ("article", "title", "last capture", "refs", "captured", "failed")
    lines = [
        (row["url"], row["title"] or "",
         row["last_captured_at"].strftime("%Y-%m-%d %H:%M") if row["last_captured_at"] else "never",
         str(row["link_count"]), str(row["captured_link_count"]), str(row["failed_link_count"]))
        for row in rows
    ]
    console.print(f"{len(rows)} article(s) in {data_dir}", soft_wrap=True)
    if console.is_terminal:
        table = Table(*header)
        for line in lines:
            table.add_row(*line)
        console.print(table)
    else:  # piped: one tab-separated line per article, whole URLs, nothing wrapped
        for line in [header, *lines]:
            console.print("\t".join(line), soft_wrap=True, markup=False, highlight=False)


def print_daemon(console: Console, due: dict[str, datetime | None], holder: LockHolder | None) -> None:
    """The next scheduled runs (as the job store has them) and the daemon holding the lock, if one does."""
    runs = [f"{job} {due[job]:%Y-%m-%d %H:%M %Z}" for job in JOB_IDS if due.get(job) is not None]
    console.print(f"next runs: {', '.join(runs) or 'none scheduled (no daemon has run here)'}", soft_wrap=True)
    console.print(f"daemon: running ({holder.describe()})" if holder else "daemon: not running", soft_wrap=True)
