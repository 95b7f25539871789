"""The UI's actions: archive a URL now, re-check an article, and a reviewer's override on a link.

Each needs a login (security.py checked the CSRF token already) and answers at once: archiving and
re-checking are queued as jobs (jobs.py) and the browser is sent to the job's page.
"""

from __future__ import annotations

from flask import Flask, abort, redirect, request, session, url_for

from archiver.pipeline import utc_now
from archiver.store import OVERRIDE_KINDS, LinkOverride
from archiver.web.jobs import JobRunner
from archiver.web.security import logged_in

NOTE_LIMIT = 2000


def _require_login() -> None:
    if not logged_in():
        abort(403, "log in to act: archiving, re-checking and overrides need the [web] token")


def register_actions(app: Flask, store, runner: JobRunner) -> None:
    @app.post("/actions/archive")
    def archive_now():
        _require_login()
        try:
            job = runner.archive(request.form.get("url", "").strip())
        except ValueError as exc:
            abort(400, str(exc))
        return redirect(url_for("job", job_id=job.id), code=303)

    @app.post("/actions/recheck/<int:article_id>")
    def recheck(article_id: int):
        _require_login()
        article = store.article_row(article_id)
        if article is None:
            abort(404, f"no article {article_id}")
        job = runner.recheck(article["url"])
        return redirect(url_for("job", job_id=job.id), code=303)

    @app.post("/actions/override")
    def override_link():
        _require_login()
        url, kind = request.form.get("url", ""), request.form.get("kind", "")
        if not url:
            abort(400, "which link?")
        if kind == "clear":
            store.clear_override(url)
        elif kind in OVERRIDE_KINDS:
            store.set_override(LinkOverride(url, kind, request.form.get("note", "").strip()[:NOTE_LIMIT],
                                            session.get("reviewer", ""), utc_now()))
        else:
            abort(400, f"unknown override {kind!r}")
        back = request.form.get("article", type=int)
        target = url_for("article", article_id=back) if back else url_for("link", url=url)
        return redirect(target, code=303)
