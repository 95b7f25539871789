"""The settings tables: one frozen dataclass per [table] of the config file, each key with its default.

A key's annotation says how its value is parsed; a DURATION, SIZE or TIMEGATES kind in its metadata
overrides that (archiver.settings.values). The annotations stay text (`from __future__ import annotations`),
which is what values.parse_value reads.

Every number has bounds in its metadata, both ends included (checks.py refuses a value outside them, naming
the key; config/archiver.toml writes each range beside its key). They are wide enough for any real use and
narrow enough to catch a slip: retries = 1e9, a timeout of 0, a TTL of ten years. Where the protocol or a
library sets a limit, the bound is that limit: 64 simhash bits, 50,000 sitemaps in an index, a misfire
grace time of at least 1s (APScheduler's positive integer).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from archiver.settings.values import DURATION, SIZE, TIMEGATES, TimeGate, between, kind


@dataclass(frozen=True)
class StorageSettings:
    data_dir: Path = Path("archives")
    database: str = ""  # empty: SQLite at <data_dir>/archiver.db; else an SQLAlchemy URL
    warc_prefix: str = "archiver"
    warc_max_bytes: int = field(default=1_000_000_000, metadata=kind(SIZE, between=("1MB", "100GB")))
    # "s3://bucket/prefix": closed, indexed WARCs and their CDXJ go to this bucket (archiver.warc.bucket);
    # empty: they stay in warcs/.
    warc_store: str = ""

    @property
    def warc_dir(self) -> Path:
        return self.data_dir / "warcs"

    @property
    def database_url(self) -> str:
        return self.database or f"sqlite:///{(self.data_dir / 'archiver.db').as_posix()}"


@dataclass(frozen=True)
class FetchSettings:
    user_agent: str = "archiver/0.1 (+https://github.com/archiver/archiver; web archiving and link checking)"
    contact_url: str = ""
    connect_timeout: float = field(default=10.0, metadata=kind(DURATION, between=("0.1s", "10m")))
    read_timeout: float = field(default=30.0, metadata=kind(DURATION, between=("0.1s", "1h")))
    total_timeout: float = field(default=120.0, metadata=kind(DURATION, between=("0.1s", "24h")))
    max_body_bytes: int = field(default=50_000_000, metadata=kind(SIZE, between=("1kB", "10GB")))
    max_extract_bytes: int = field(default=5_000_000, metadata=kind(SIZE, between=("1kB", "1GB")))
    # 0: extract on the fetch threads (one core between them)
    extract_processes: int = field(default=2, metadata=between(0, 64))
    max_redirects: int = field(default=10, metadata=between(0, 50))
    allow_private_networks: bool = False
    respect_robots: bool = True
    global_concurrency: int = field(default=16, metadata=between(1, 256))
    per_host_concurrency: int = field(default=2, metadata=between(1, 64))
    per_host_delay: float = field(default=1.0, metadata=kind(DURATION, between=("0s", "10m")))
    retries: int = field(default=2, metadata=between(0, 10))
    # The first wait before a retry, doubled per attempt; a longer Retry-After than the cap gives up this check.
    retry_backoff: float = field(default=1.0, metadata=kind(DURATION, between=("0s", "1m")))
    retry_after_cap: float = field(default=30.0, metadata=kind(DURATION, between=("0s", "1h")))
    # Politeness (archiver/fetch/politeness.py); each key is explained in config/archiver.toml.
    robots_ttl: float = field(default=24 * 3600.0, metadata=kind(DURATION, between=("1m", "30d")))
    robots_unreachable_ttl: float = field(default=600.0, metadata=kind(DURATION, between=("0s", "1d")))
    max_crawl_delay: float = field(default=30.0, metadata=kind(DURATION, between=("0s", "1h")))
    robots_ignore_for_articles: bool = False
    max_backoff_delay: float = field(default=60.0, metadata=kind(DURATION, between=("0s", "1h")))
    failure_memory: float = field(default=600.0, metadata=kind(DURATION, between=("0s", "1d")))

    @property
    def user_agent_header(self) -> str:
        if self.contact_url and self.contact_url not in self.user_agent:
            return f"{self.user_agent} (+{self.contact_url})"
        return self.user_agent


@dataclass(frozen=True)
class HealthSettings:
    confirm_checks: int = field(default=3, metadata=between(1, 100))
    confirm_interval: float = field(default=72 * 3600.0, metadata=kind(DURATION, between=("0s", "365d")))
    recheck_alive: float = field(default=7 * 86400.0, metadata=kind(DURATION, between=("0s", "365d")))
    recheck_failing: float = field(default=3 * 86400.0, metadata=kind(DURATION, between=("0s", "365d")))
    # Near-duplicate: 64-bit simhashes within this many bits (Manku et al. use 3 for web pages).
    minor_simhash_bits: int = field(default=3, metadata=between(0, 64))
    # Shingle overlap (Jaccard over word 3-grams) at or above which a change is still minor. Measured on a
    # 557-word article: timestamps, counters, ads and all trivial changes at once score 0.92-1.00; one
    # paragraph in ten rewritten scores 0.83, which is a real edit a citer should see, hence 0.85.
    minor_similarity: float = field(default=0.85, metadata=between(0, 1))
    # Cosine similarity of term vectors below which a page is about something else. A real edit scored
    # 0.84 and a replacement 0.10 on our fixtures; 0.25 leaves room on both sides.
    off_topic_similarity: float = field(default=0.25, metadata=between(0, 1))
    # Word count falling by this share or more means the content was replaced or gutted.
    off_topic_shrink: float = field(default=0.70, metadata=between(0, 1))


@dataclass(frozen=True)
class SourcesSettings:
    articles: tuple[str, ...] = ()  # files or folders: URL lists and seed documents
    feeds: tuple[str, ...] = ()  # RSS/Atom feed URLs (or files)
    sitemaps: tuple[str, ...] = ()  # XML sitemap or sitemap-index URLs (or files)
    # Bounds on what one feed or sitemap may cost: bytes after decompression, URLs per sitemap
    # (the sitemap protocol's own limit is 50,000), and sitemaps read from one index.
    max_document_bytes: int = field(default=50_000_000, metadata=kind(SIZE, between=("1kB", "1GB")))
    max_sitemap_urls: int = field(default=50_000, metadata=between(1, 1_000_000))
    max_sitemaps: int = field(default=50, metadata=between(1, 50_000))


@dataclass(frozen=True)
class ScheduleSettings:
    # "interval 1h", "cron 0 7 * * *" (minute hour day month weekday, local time) or "off";
    # parsed by archiver.daemon.schedule, which names the key on a bad value.
    capture: str = "interval 1h"
    check: str = "interval 6h"
    report: str = "cron 0 7 * * *"
    jitter: float = field(default=60.0, metadata=kind(DURATION, between=("0s", "6h")))  # random delay added to each run
    # A run that could not start on time (daemon down, previous run still busy) still runs this late;
    # runs missed while the daemon was down are coalesced into one catch-up run.
    misfire_grace_time: float = field(default=6 * 3600.0, metadata=kind(DURATION, between=("1s", "3650d")))
    # On SIGTERM/SIGINT: how long running fetches may take to finish before the daemon cuts them off.
    stop_timeout: float = field(default=30.0, metadata=kind(DURATION, between=("0s", "1h")))


@dataclass(frozen=True)
class ReportSettings:
    replay_url: str = "http://localhost:8080/archive/{timestamp}/{url}"
    # The default HTML and table (the daemon's latest.html; `report` without --all) list at most this many
    # changes of each kind and articles with failing references, then say how many more: a page that
    # stays a few MB at any size. The counts, the exit code, JSON and JUnit always cover everything.
    changes_shown: int = field(default=500, metadata=between(1, 100_000))
    failing_articles_shown: int = field(default=200, metadata=between(1, 100_000))
    # Each run writes reports/report-<time>.html and .json; only the newest keep_reports runs' are kept.
    keep_reports: int = field(default=30, metadata=between(1, 100_000))


@dataclass(frozen=True)
class MementoSettings:
    # Off by default so nothing reaches a public archive unasked; config/archiver.toml explains each key.
    enabled: bool = False
    timegates: tuple[TimeGate, ...] = field(
        default=(TimeGate("Internet Archive", "https://web.archive.org/web/{url}"),), metadata=kind(TIMEGATES))
    lookup_limit_per_run: int = field(default=20, metadata=between(0, 1000))
    refresh_interval: float = field(default=30 * 86400.0, metadata=kind(DURATION, between=("1h", "365d")))
    submit_new_captures: bool = False
    save_endpoint: str = "https://web.archive.org/save/{url}"
    submit_limit_per_run: int = field(default=10, metadata=between(0, 1000))


@dataclass(frozen=True)
class WebSettings:
    # `archiver serve`, the review UI (archiver/web/). It listens on loopback unless started with --public.
    host: str = "127.0.0.1"
    port: int = field(default=8070, metadata=between(1, 65535))
    # The password for actions (archive, re-check, overrides); empty: the UI only reads. Prefer setting it
    # through ARCHIVER_WEB_TOKEN rather than in a file others can read.
    token: str = ""


@dataclass(frozen=True)
class CaptureSettings:
    # Page requisites (stylesheets, images, icons, fonts, scripts, posters, iframes): "articles" (the
    # registered pages), "all" (references too) or "off". config/archiver.toml explains each key.
    requisites: str = "articles"
    max_requisites: int = field(default=200, metadata=between(1, 10_000))  # per page
    max_requisite_bytes: int = field(default=50_000_000, metadata=kind(SIZE, between=("1kB", "10GB")))  # per page
    css_depth: int = field(default=3, metadata=between(0, 10))  # @import and url() followed this deep
    # Browser capture (archiver/browser/): headless Chromium loads each article, every request it makes
    # recorded through the Fetcher, and a full-page screenshot kept. `archive --browser` turns it on once.
    browser: bool = False
    browser_executable: str = "/usr/bin/chromium"
    browser_timeout: float = field(default=30.0, metadata=kind(DURATION, between=("1s", "10m")))
    browser_scrolls: int = field(default=20, metadata=between(0, 1000))
    browser_concurrency: int = field(default=1, metadata=between(1, 16))  # Chromium instances at once

    @property
    def requisites_for_articles(self) -> bool:
        return self.requisites in ("articles", "all")

    @property
    def requisites_for_references(self) -> bool:
        return self.requisites == "all"


@dataclass(frozen=True)
class QueueSettings:
    # Queue mode (archiver/queue/): run, check, archive and the daemon enqueue one message per URL on
    # Redis, and `archiver worker` processes on any machine capture them. Needs PostgreSQL.
    enabled: bool = False
    broker_url: str = "redis://127.0.0.1:6379/0"
    namespace: str = "archiver"  # the prefix of every Redis key: several archives can share one Redis
    # A worker silent this long (killed, frozen, cut off) has its unacknowledged messages redelivered.
    heartbeat_timeout: float = field(default=60.0, metadata=kind(DURATION, between=("1s", "1h")))
    # A worker with no message for this long closes its WARC, so it is indexed and uploaded.
    idle_close: float = field(default=10.0, metadata=kind(DURATION, between=("0.1s", "1h")))
    # How long `run --queue` (and the daemon) wait for the workers to finish a run before giving up on it.
    run_timeout: float = field(default=24 * 3600.0, metadata=kind(DURATION, between=("1s", "30d")))


@dataclass(frozen=True)
class Settings:
    storage: StorageSettings = StorageSettings()
    fetch: FetchSettings = FetchSettings()
    health: HealthSettings = HealthSettings()
    sources: SourcesSettings = SourcesSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    report: ReportSettings = ReportSettings()
    memento: MementoSettings = MementoSettings()
    web: WebSettings = WebSettings()
    capture: CaptureSettings = CaptureSettings()
    queue: QueueSettings = QueueSettings()


# Table name -> its dataclass: the tables a config file, ARCHIVER_<TABLE>_<KEY> or an override may name.
TABLES: dict[str, type] = {
    "storage": StorageSettings,
    "fetch": FetchSettings,
    "health": HealthSettings,
    "sources": SourcesSettings,
    "schedule": ScheduleSettings,
    "report": ReportSettings,
    "memento": MementoSettings,
    "web": WebSettings,
    "capture": CaptureSettings,
    "queue": QueueSettings,
}
