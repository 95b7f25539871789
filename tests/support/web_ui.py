"""The review UI (archiver serve) for tests: a copy of the shared report history, served on a loopback port.

    settings = history_copy(history, tmp_path, token="s3cret")
    with serving(settings) as ui:       # ui.url, ui.store, ui.jobs
        ...

The copy keeps the shared history read-only for the report tests, whatever the UI's actions write.
"""

from __future__ import annotations

import dataclasses
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from archiver.settings import Settings
from archiver.store import Store
from archiver.web.app import create_app
from archiver.web.jobs import JobRunner
from archiver.web.server import start_server
from support.report_history import ReportHistory, history_settings

TOKEN = "correct horse battery staple"


@dataclass
class ServedUI:
    url: str
    store: Store
    jobs: JobRunner
    settings: Settings


def with_token(settings: Settings, token: str = TOKEN) -> Settings:
    return dataclasses.replace(settings, web=dataclasses.replace(settings.web, token=token))


def history_copy(history: ReportHistory, tmp_path: Path, *, token: str = TOKEN) -> Settings:
    data_dir = tmp_path / "archives"
    shutil.copytree(history.data_dir, data_dir)
    return with_token(history_settings(data_dir), token)


@contextmanager
def serving(settings: Settings, *, public: bool = False) -> Iterator[ServedUI]:
    with Store.open(settings.storage.database_url) as store:
        jobs = JobRunner(settings)
        server = start_server(create_app(settings, store, public=public, jobs=jobs), "127.0.0.1", 0)
        try:
            yield ServedUI(server.url.rstrip("/"), store, jobs, settings)
        finally:
            server.stop()
            jobs.close()
