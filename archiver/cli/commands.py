"""Command line: verbs, output and exit codes. Nothing imports this module.

Exit codes: 0 ok, 1 unexpected error, 2 the report holds dead or changed links,
3 bad configuration or usage, 4 the WARCs cannot be written (disk full, file-size limit).

Each command imports the rooms it uses when it runs: capture (fetcher, extractors, browser), reports,
the daemon and the WARC indexer cost about a second to import, which `status` and `--help` must not pay.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console

from archiver import __version__
from archiver.cli.queue_commands import (
    archive_queued,
    check_queued,
    from_bucket,
    print_queue_status,
    queue_mode,
    run_queued,
    worker_command,
)
from archiver.cli.rebuild import rebuild_command
from archiver.cli.serve import serve_command
from archiver.cli.terminal import (
    print_articles,
    print_check,
    print_daemon,
    print_references,
    print_summaries,
    progress_callback,
)
from archiver.daemon.lock import LOCK_FILE_NAME, LockHeld, read_lock_holder
from archiver.errors import (
    ArchiverError,
    BrowserMissing,
    ConfigError,
    DatabaseFull,
    DatabaseLost,
    RecordError,
    SourceError,
    StoragePathError,
)
from archiver.logs import configure_logging
from archiver.pipeline.storage import open_store
from archiver.report.formats import FORMAT_NAMES, stream_for
from archiver.report.model import DEFAULT_FAIL_ON, VERDICT_ORDER
from archiver.settings import Settings, load_settings

if TYPE_CHECKING:
    from archiver.pipeline import ArticleSummary

EXIT_OK, EXIT_ERROR, EXIT_CHANGED, EXIT_USAGE, EXIT_STORAGE = 0, 1, 2, 3, 4
STATUS_ARTICLES = 20  # the newest articles `status` lists; --all lists every one, a page at a time
DEFAULT_CONFIG = Path("config/archiver.toml")

log = logging.getLogger("archiver")


def _settings(ctx: click.Context) -> Settings:
    """Load settings once per invocation: defaults < file < ARCHIVER_* env < CLI flags."""
    obj = ctx.find_root().obj
    if "settings" not in obj:
        config = obj["config"] or os.environ.get("ARCHIVER_CONFIG")
        if config is None and DEFAULT_CONFIG.is_file():
            config = DEFAULT_CONFIG
        overrides = {"storage.data_dir": obj["data_dir"]} if obj["data_dir"] else {}
        obj["settings"] = settings = load_settings(config, overrides=overrides)
        configure_logging(settings.storage.data_dir / "logs", obj["verbosity"])
    return obj["settings"]


def _console(ctx: click.Context) -> Console:
    return ctx.find_root().obj["console"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config", type=click.Path(dir_okay=False), help="Config TOML (default: config/archiver.toml if present).")
@click.option("--data-dir", "data_dir", type=click.Path(file_okay=False), help="Where WARCs, reports and the database live.")
@click.option("-v", "--verbose", count=True, help="More logging (-vv for every fetch).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
@click.version_option(__version__, prog_name="archiver")
@click.pass_context
def cli(ctx: click.Context, config: str | None, data_dir: str | None, verbose: int, quiet: bool) -> None:
    """Archive articles and everything they link to; check which links died or changed."""
    verbosity = -1 if quiet else verbose
    # No markup or emoji codes in plain strings: what the commands print holds titles, URLs and paths
    # from the web or the user ("[/b]", "[fe80::1]", ":cat:"); styled output is built as rich Text.
    console = Console(stderr=False, quiet=quiet, markup=False, emoji=False)
    ctx.obj = {"config": config, "data_dir": data_dir, "verbosity": verbosity, "console": console}


@cli.command()
@click.argument("urls", nargs=-1, required=True)
@click.option("--browser", is_flag=True, help="Also load each article in headless Chromium: every request it makes, "
              "and a full-page screenshot, into the WARC (capture.browser). Exit 3 without chromium.")
@click.option("--queue", "use_queue", is_flag=True, help="Queue the URLs for `archiver worker` processes (queue mode).")
@click.pass_context
def archive(ctx: click.Context, urls: tuple[str, ...], browser: bool, use_queue: bool) -> None:
    """Capture articles now: the page, its content, its requisites, its body links and every reference."""
    from archiver.pipeline import article_from_cli

    settings = _settings(ctx)
    if browser:
        settings = dataclasses.replace(settings, capture=dataclasses.replace(settings.capture, browser=True))
    articles = []
    for url in urls:
        try:
            articles.append(article_from_cli(url))
        except ValueError as exc:  # the message names the URL and the reason
            raise click.UsageError(str(exc)) from None
    if queue_mode(settings, use_queue):
        archive_queued(settings, _console(ctx), articles)
        return
    summaries = _capture(ctx, settings, articles, "archive")
    print_summaries(_console(ctx), summaries)


@cli.command()
@click.argument("urls", nargs=-1, required=True)
@click.pass_context
def add(ctx: click.Context, urls: tuple[str, ...]) -> None:
    """Register articles by URL for later cycles."""
    from archiver.pipeline import article_from_cli, utc_now

    settings = _settings(ctx)
    try:
        articles = [article_from_cli(url) for url in urls]
    except ValueError as exc:  # the message names the URL and the reason
        raise click.UsageError(str(exc)) from None
    with open_store(settings) as store:
        created = sum(store.add_article(article, utc_now())[1] for article in articles)
    _console(ctx).print(f"{created} article(s) added, {len(articles) - created} already registered")


@cli.command(name="import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.pass_context
def import_(ctx: click.Context, paths: tuple[str, ...]) -> None:
    """Register articles from seed documents (with an `Original url:` line), URL lists, or folders of them."""
    from archiver.pipeline import utc_now
    from archiver.sources.documents import load_sources

    settings = _settings(ctx)
    articles, errors = load_sources(paths)
    with open_store(settings) as store:
        created = sum(store.add_article(article, utc_now())[1] for article in articles)
    console = _console(ctx)
    console.print(f"{created} article(s) added, {len(articles) - created} already registered")
    for error in errors:
        click.echo(f"rejected {error}", err=True)
    if errors:
        ctx.exit(EXIT_USAGE)


@cli.command()
@click.option("--queue", "use_queue", is_flag=True, help="Queue the URLs for `archiver worker` processes (queue mode).")
@click.pass_context
def run(ctx: click.Context, use_queue: bool) -> None:
    """One full cycle: register the configured sources (files, feeds, sitemaps), capture new articles,
    re-check what is due, write the reports."""
    from archiver.pipeline import open_pipeline, register_configured_sources

    settings = _settings(ctx)
    if queue_mode(settings, use_queue):
        run_queued(settings, _console(ctx))
        _write_reports(ctx, settings)
        return
    with open_store(settings) as store:
        register_configured_sources(settings, store)
        never_checked = store.never_checked_articles()
    console = _console(ctx)
    with progress_callback(console) as on_progress, open_pipeline(settings, on_progress=on_progress) as pipeline:
        summaries = pipeline.archive(never_checked, "run")
        checks = pipeline.check()
    print_summaries(console, summaries)
    print_check(console, checks)
    _write_reports(ctx, settings)


def _write_reports(ctx: click.Context, settings: Settings) -> None:
    from archiver.pipeline import thumbnail_reader, utc_now
    from archiver.report import write_cycle_reports

    with open_store(settings) as store:
        written = write_cycle_reports(store, settings, utc_now(), thumbnail_reader(settings))
    _console(ctx).print(f"report: {written['html']}", soft_wrap=True, markup=False, highlight=False)


@cli.command()
@click.option("--all", "include_not_due", is_flag=True, help="Check every link, not only those due.")
@click.option("--article", "article_url", help="Check only this article and its references.")
@click.option("--queue", "use_queue", is_flag=True, help="Queue the URLs for `archiver worker` processes (queue mode).")
@click.pass_context
def check(ctx: click.Context, include_not_due: bool, article_url: str | None, use_queue: bool) -> None:
    """Re-capture articles and re-check the references that are due; summarise what changed."""
    from archiver.pipeline import open_pipeline

    settings = _settings(ctx)
    console = _console(ctx)
    if queue_mode(settings, use_queue):
        check_queued(settings, console, include_not_due, article_url)
        return
    with progress_callback(console) as on_progress, open_pipeline(settings, on_progress=on_progress) as pipeline:
        try:
            summary = pipeline.check(include_not_due=include_not_due, article_url=article_url)
        except (LookupError, ValueError) as exc:
            raise click.UsageError(str(exc)) from None
    print_check(console, summary)


@cli.command()
@click.option("--format", "format_name", default="table", show_default=True, help=f"One of {', '.join(FORMAT_NAMES)}.")
@click.option("--since", "since_text", default="LAST", show_default=True,
              help="Changes since the previous check run (LAST) or since an ISO date (2026-01-05).")
@click.option("--article", "article_url", help="Only this article and its references (required by robustlinks).")
@click.option("--fail-on", "fail_on_text", default=",".join(DEFAULT_FAIL_ON), show_default=True,
              help="Verdicts that make the exit code 2; empty for never.")
@click.option("--all", "complete", is_flag=True,
              help="HTML and table: every article and reference, not only the news and the failing ones "
                   "(HTML: -o names a folder for an index page and a page per article).")
@click.option("-o", "--output", "output_path", type=click.Path(), help="Write here instead of stdout.")
@click.pass_context
def report(ctx: click.Context, format_name: str, since_text: str, article_url: str | None, fail_on_text: str,
           complete: bool, output_path: str | None) -> None:
    """Link-health report: what died or changed since the last run, per article, with archived copies.

    HTML and table show the news and the failing references by article, with counts for the rest;
    --all shows everything. The other formats always hold every reference. Exit code 2 when the
    report holds a link whose verdict is in --fail-on, 0 otherwise.
    """
    from archiver.pipeline import thumbnail_reader, utc_now
    from archiver.report import build_report, parse_since, publish_site, write_atomically

    settings = _settings(ctx)
    fail_on = tuple(name.strip() for name in fail_on_text.split(",") if name.strip())
    unknown = [name for name in fail_on if name not in VERDICT_ORDER]
    if unknown:
        raise click.UsageError(f"--fail-on: unknown verdict {', '.join(unknown)} (known: {', '.join(VERDICT_ORDER)})")
    if format_name == "robustlinks" and article_url is None:
        raise click.UsageError("--format robustlinks needs --article URL")
    site = format_name == "html" and complete and article_url is None  # one page per article, in a folder
    if site and not output_path:
        raise click.UsageError("--format html --all writes a folder of pages: give it with -o FOLDER")
    if output_path and Path(output_path).is_dir() and not site:
        raise click.UsageError(f"-o {output_path} is a folder; this report is one file")
    console = _console(ctx)
    try:
        streamer = stream_for(format_name, terminal=console.is_terminal and not output_path, width=console.width)
        since = parse_since(since_text)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    with open_store(settings) as store:
        try:
            data = build_report(store, settings, now=utc_now(), since=since, article_url=article_url,
                                fail_on=fail_on, complete=complete, thumbnails=thumbnail_reader(settings))
        except LookupError as exc:
            raise click.UsageError(str(exc)) from None
        try:  # the articles stream from the store while the report is written
            if site:
                publish_site(data, Path(output_path))
            elif output_path:
                write_atomically(Path(output_path), streamer(data))
            else:
                write_to_stdout(streamer(data))
        except OSError as exc:
            raise click.UsageError(f"cannot write {output_path}: {exc.strerror or exc}") from None
    ctx.exit(EXIT_CHANGED if data.summary.failing else EXIT_OK)


def write_to_stdout(pieces) -> None:
    """A report's pieces (text or bytes) to stdout as they come."""
    for piece in pieces:
        click.echo(piece, nl=False)


@cli.command()
@click.pass_context
def daemon(ctx: click.Context) -> None:
    """Capture, check and report on the [schedule] until SIGTERM or Ctrl-C (one daemon per data dir).

    A second signal stops at once; either way every WARC is closed. Exit 3 when another
    daemon holds the data dir or the configuration is bad.
    """
    from archiver.daemon import Daemon

    settings = _settings(ctx)
    verbosity = ctx.find_root().obj["verbosity"]
    # At least one line per run on stderr (journald, docker logs), and a log file of its own.
    configure_logging(settings.storage.data_dir / "logs", verbosity or 1, file_name="daemon.log")
    try:
        code = Daemon(settings).run()
    except LockHeld as exc:
        click.echo(f"archiver: {exc}", err=True)
        ctx.exit(EXIT_USAGE)
    ctx.exit(code)


@cli.command()
@click.option("--require-daemon", is_flag=True, help="Exit 1 unless a daemon is running (a health check).")
@click.option("--all", "every_article", is_flag=True,
              help=f"List every article, not only the newest {STATUS_ARTICLES}, and count distinct link URLs by verdict.")
@click.pass_context
def status(ctx: click.Context, require_daemon: bool, every_article: bool) -> None:
    """Articles (the newest, or --all), sources, links by verdict, the last run, the next scheduled runs and the daemon."""
    from archiver.daemon.schedule import scheduled_runs

    settings = _settings(ctx)
    console = _console(ctx)
    with open_store(settings) as store:
        totals = store.article_totals()
        if every_article:
            print_articles(console, store.article_pages(), totals, settings.storage.data_dir)
        else:
            print_articles(console, [store.newest_articles(STATUS_ARTICLES)], totals, settings.storage.data_dir)
        last = store.last_run()
        by_verdict = store.reference_verdict_counts()
        distinct = store.verdict_counts() if every_article else None  # a scan of every link: --all only
        due = scheduled_runs(store)
        print_queue_status(_console(ctx), settings, store)
    holder = read_lock_holder(settings.storage.data_dir / LOCK_FILE_NAME)
    if last is not None:
        console.print(f"last run #{last.id} ({last.kind}) {last.status} at {last.started_at:%Y-%m-%d %H:%M} UTC: {last.counts}", soft_wrap=True)
    sources = settings.sources
    console.print(f"sources: {len(sources.articles)} article path(s), {len(sources.feeds)} feed(s), "
                  f"{len(sources.sitemaps)} sitemap(s)", soft_wrap=True)
    for kind, entries in (("feed", sources.feeds), ("sitemap", sources.sitemaps)):
        for entry in entries:
            console.print(f"  {kind}: {entry}", soft_wrap=True, markup=False, highlight=False)
    print_references(console, totals, by_verdict, distinct)
    print_daemon(console, due, holder)
    if holder is None and require_daemon:
        ctx.exit(EXIT_ERROR)


@cli.command()
@click.argument("url")
@click.option("--at", "at_text", help="Only the capture nearest this date (ISO date or 4-14 timestamp digits).")
@click.pass_context
def lookup(ctx: click.Context, url: str, at_text: str | None) -> None:
    """Captures of URL in the WARC indexes (timestamp, status, file, offset), oldest first; exit 1 if none."""
    from archiver.warc.index import find_captures, index_closed_warcs, index_dir_of, nearest, parse_timestamp

    settings = _settings(ctx)
    try:
        at = parse_timestamp(at_text) if at_text else None
    except ValueError as exc:
        raise click.UsageError(f"--at: {exc}") from None
    index_dir = index_dir_of(settings.storage.data_dir)
    from_bucket(settings)
    index_closed_warcs(settings.storage.warc_dir, index_dir)  # WARCs older than indexing have none yet
    entries = find_captures(index_dir, url)
    if at is not None:
        entries = [entry for entry in [nearest(entries, at)] if entry]
    if not entries:
        click.echo(f"archiver: no capture of {url}", err=True)
        ctx.exit(EXIT_ERROR)
    for entry in entries:
        click.echo("\t".join((entry.timestamp, str(entry.status or "-"), entry.filename, str(entry.offset), entry.url)))


@cli.command()
@click.option("--wacz", "wacz_path", required=True, type=click.Path(dir_okay=False), help="The WACZ file to write.")
@click.option("--article", "article_urls", multiple=True, help="Only this article and its references (repeatable).")
@click.option("--since", "since_text", help="Only captures made on or after this ISO date.")
@click.pass_context
def export(ctx: click.Context, wacz_path: str, article_urls: tuple[str, ...], since_text: str | None) -> None:
    """Write a WACZ package (WARCs, CDXJ index, pages with their text) that replay tools open as is:
    every closed WARC whole, or with --article/--since only the selected captures' records."""
    from archiver.warc.index import parse_timestamp
    from archiver.warc.wacz import export_wacz

    settings = _settings(ctx)
    try:
        since = parse_timestamp(since_text) if since_text else None
    except ValueError as exc:
        raise click.UsageError(f"--since: {exc}") from None
    from_bucket(settings)
    with open_store(settings) as store:
        try:
            summary = export_wacz(store, settings.storage.warc_dir, Path(wacz_path), article_urls=article_urls,
                                  since=since)
        except LookupError as exc:
            raise click.UsageError(str(exc)) from None
        except OSError as exc:
            raise click.UsageError(f"cannot export to {wacz_path}: {exc.strerror or exc}") from None
    _console(ctx).print(f"{summary.path}: {summary.warc_files} WARC file(s), {summary.records} indexed record(s), "
                        f"{len(summary.pages)} page(s)", soft_wrap=True, markup=False, highlight=False)


@cli.command()
@click.option("--host", help="Listen here (default: the host of report.replay_url).")
@click.option("--port", type=click.IntRange(1, 65535), help="Listen on this port (default: the port of report.replay_url).")
@click.option("--public", is_flag=True, help="Allow a non-loopback --host: anyone reaching it can read everything archived.")
@click.pass_context
def replay(ctx: click.Context, host: str | None, port: int | None, public: bool) -> None:
    """Serve the archives through pywb so the reports' archived-copy links open, until SIGTERM or Ctrl-C.

    Needs the replay extra: pip install 'archiver[replay]'. Exit 3 without it.
    """
    from archiver.warc.index import index_closed_warcs, index_dir_of
    from archiver.warc.replay import PYWB_MISSING, check_bind_host, pywb_config, pywb_installed, replay_address, run_replay

    settings = _settings(ctx)
    if not pywb_installed():
        click.echo(f"archiver: {PYWB_MISSING}", err=True)
        ctx.exit(EXIT_USAGE)
    address = replay_address(settings.report.replay_url, host, port)
    try:
        check_bind_host(address.host, public)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    index_dir = index_dir_of(settings.storage.data_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    from_bucket(settings)
    index_closed_warcs(settings.storage.warc_dir, index_dir)  # WARCs older than indexing have none yet
    config = pywb_config(address, settings.storage.warc_dir, index_dir)
    verbosity = ctx.find_root().obj["verbosity"]

    def announce(url: str) -> None:
        _console(ctx).print(f"replaying {settings.storage.data_dir} at {url} (Ctrl-C to stop)", soft_wrap=True,
                            markup=False, highlight=False)

    try:
        code = run_replay(address, config, access_log=verbosity > 0, on_ready=announce)
    except OSError as exc:  # the port is taken, or the host is not this machine's
        raise click.UsageError(f"cannot listen on {address.host}:{address.port}: {exc.strerror or exc}") from None
    ctx.exit(code)


def _capture(ctx: click.Context, settings: Settings, articles, kind: str) -> list[ArticleSummary]:
    from archiver.pipeline import open_pipeline

    with progress_callback(_console(ctx)) as on_progress, open_pipeline(settings, on_progress=on_progress) as pipeline:
        return pipeline.archive(list(articles), kind)


cli.add_command(rebuild_command(_settings, _console))
cli.add_command(serve_command(_settings, _console))
cli.add_command(worker_command(_settings))


def main(argv: list[str] | None = None) -> int:
    """Entry point: runs the CLI and maps every outcome to an exit code."""
    try:
        result = cli.main(args=argv, prog_name="archiver", standalone_mode=False)
        return result if isinstance(result, int) else EXIT_OK
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.UsageError as exc:
        exc.show()  # usage line, "Try --help", and the error
        return EXIT_USAGE
    except ConfigError as exc:
        click.echo(f"archiver: configuration error: {exc}", err=True)
        return EXIT_USAGE
    except click.Abort:
        click.echo("archiver: aborted", err=True)
        return EXIT_ERROR
    except SourceError as exc:
        click.echo(f"archiver: {exc}", err=True)
        return EXIT_USAGE
    except (RecordError, DatabaseFull) as exc:
        click.echo(f"archiver: storage full or not writable, run stopped: {exc}", err=True)
        return EXIT_STORAGE
    except BrowserMissing as exc:  # the message holds the install command
        click.echo(f"archiver: {exc}", err=True)
        return EXIT_USAGE
    except (StoragePathError, DatabaseLost) as exc:  # the user must fix the path, or say what to do
        click.echo(f"archiver: {exc}", err=True)
        return EXIT_USAGE
    except ArchiverError as exc:
        click.echo(f"archiver: {exc}", err=True)
        return EXIT_ERROR
    except Exception:
        log.exception("unexpected error")
        return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
