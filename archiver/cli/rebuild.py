"""`archiver rebuild`: restore a lost database from the WARC files (archiver.pipeline.rebuild says what comes back).

commands.py registers it, handing over how it loads the settings and finds the console.
"""

from __future__ import annotations

from collections.abc import Callable

import click
from rich.console import Console

from archiver.daemon.lock import LOCK_FILE_NAME, DaemonLock, LockHeld
from archiver.pipeline.storage import prepare_data_dir
from archiver.settings import Settings
from archiver.store import Store

EXIT_USAGE = 3  # as commands.py: a daemon holds the data dir


def rebuild_command(settings_of: Callable[[click.Context], Settings],
                    console_of: Callable[[click.Context], Console]) -> click.Command:
    @click.command(name="rebuild")
    @click.pass_context
    def rebuild(ctx: click.Context) -> None:
        """Rebuild the database's captures, articles and links from the WARC files, after losing it.

        Adds a capture row for every WARC record that has none (running it again adds nothing). Verdicts
        are not in the WARCs: the next check judges every link again. Exit 3 while a daemon runs.
        """
        from archiver.pipeline.rebuild import rebuild_database  # the WARC reader and extractors, for this command only

        settings = settings_of(ctx)
        storage = settings.storage
        prepare_data_dir(storage, writing=True)  # .open files closed and every WARC indexed first
        # The daemon's lock: no daemon writes captures while the rebuild decides which rows are missing.
        lock = DaemonLock(storage.data_dir / LOCK_FILE_NAME)
        try:
            lock.acquire()
        except LockHeld as exc:
            click.echo(f"archiver: {exc}; stop it before rebuilding", err=True)
            ctx.exit(EXIT_USAGE)
        try:
            with Store.open(storage.database_url) as store:
                summary = rebuild_database(store, settings)
        finally:
            lock.release()
        console_of(ctx).print(
            f"rebuilt from {summary.warc_files} WARC file(s): {summary.captures_added} capture(s) added, "
            f"{summary.captures_known} already there; {summary.articles} article(s) "
            f"({summary.articles_found} found in the WARCs), {summary.links} link(s)",
            soft_wrap=True, markup=False, highlight=False)
        for name in summary.unreadable:
            click.echo(f"archiver: {name} could not be read; its records are not in the database", err=True)
        if summary.unreadable:
            ctx.exit(1)

    return rebuild
