"""`archiver serve`: the review web UI (archiver.web) until SIGTERM or Ctrl-C.

commands.py registers it, handing over how it loads the settings and finds the console.
"""

from __future__ import annotations

import signal
from collections.abc import Callable

import click
from rich.console import Console

from archiver.pipeline.storage import open_store
from archiver.settings import Settings
from archiver.warc.replay import check_bind_host


def serve_command(settings_of: Callable[[click.Context], Settings],
                  console_of: Callable[[click.Context], Console]) -> click.Command:
    @click.command(name="serve")
    @click.option("--host", help="Listen here (default: [web] host, 127.0.0.1).")
    @click.option("--port", type=click.IntRange(0, 65535), help="Listen on this port (default: [web] port; 0: any).")
    @click.option("--public", is_flag=True,
                  help="Allow a non-loopback --host: anyone reaching it can read everything archived.")
    @click.pass_context
    def serve(ctx: click.Context, host: str | None, port: int | None, public: bool) -> None:
        """Serve the review UI: dashboard, article search, each article's references and diffs, hosts, and
        actions (archive now, re-check, overrides) for whoever logs in with the [web] token."""
        # Flask and the pipeline the jobs use load here, not with every other command.
        from archiver.web.app import create_app
        from archiver.web.jobs import JobRunner
        from archiver.web.server import start_server

        settings = settings_of(ctx)
        host = host or settings.web.host
        port = settings.web.port if port is None else port
        try:
            check_bind_host(host, public)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
        with open_store(settings) as store:
            jobs = JobRunner(settings)
            app = create_app(settings, store, public=public, jobs=jobs)
            try:
                server = start_server(app, host, port, in_thread=False,
                                      access_log=ctx.find_root().obj["verbosity"] > 0)
            except OSError as exc:
                raise click.UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
            previous = signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
            mode = "actions need the [web] token" if settings.web.token else "read-only: no [web] token is set"
            console_of(ctx).print(f"reviewing {settings.storage.data_dir} at {server.url} ({mode}; Ctrl-C to stop)",
                                  soft_wrap=True, markup=False, highlight=False)
            try:
                server.serve_forever()
            except KeyboardInterrupt:
                pass
            finally:
                signal.signal(signal.SIGTERM, previous)
                server.server.server_close()
                jobs.close()

    return serve
