"""The Flask app: read-only pages (dashboard, articles, article, link, diff, hosts, jobs) and the login.

Templates live in web/templates; they include the HTML report's stylesheet, chart and diff templates
from report/templates, so the UI and the report look and escape alike. Autoescape is on for every
template (Flask's default covers only .html names, ours end in .j2).
"""

from __future__ import annotations

import secrets

from flask import Blueprint, Flask, abort, redirect, render_template, request, session, url_for

from archiver.report.formats.common import change_text, day, is_web_url, percent, short_time
from archiver.report.formats.diffview import side_by_side
from archiver.report.model import DEFAULT_FAIL_ON, VERDICT_ORDER
from archiver.settings import Settings
from archiver.store import OVERRIDE_KINDS, ArticleFilter
from archiver.web import views
from archiver.web.actions import register_actions
from archiver.web.cache import AggregateCache
from archiver.web.jobs import JobRunner
from archiver.web.security import CONTENT_SECURITY_POLICY, csrf_token, install_security, logged_in, token_matches

__all__ = ["CONTENT_SECURITY_POLICY", "create_app"]
PAGE_SIZE = 50


class ReviewApp(Flask):
    jinja_options = {**Flask.jinja_options, "autoescape": True, "trim_blocks": True, "lstrip_blocks": True}


def create_app(settings: Settings, store, *, public: bool = False, jobs: JobRunner | None = None,
               background_counts: bool = True) -> ReviewApp:
    """The UI over `store` (kept open by the caller). `jobs` runs the actions (a JobRunner over `settings`);
    `background_counts=False` counts the archive-wide aggregates within the request (cache.py)."""
    app = ReviewApp("archiver.web")
    app.secret_key = secrets.token_bytes(32)  # sessions end with the process: log in again after a restart
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Strict", MAX_CONTENT_LENGTH=64_000)
    # The report's templates (report.css, chart.svg.j2, diff.html.j2), found after the UI's own.
    app.register_blueprint(Blueprint("report_templates", "archiver.report", template_folder="templates"))
    app.jinja_env.filters.update(web_url=lambda url: url if is_web_url(url) else None, short_time=short_time,
                                 day=day, percent=percent, side_by_side=side_by_side)
    app.jinja_env.globals.update(change_text=change_text, csrf_token=csrf_token, logged_in=logged_in,
                                 verdicts=VERDICT_ORDER, override_kinds=OVERRIDE_KINDS, actions_enabled=bool(
                                     settings.web.token))
    install_security(app, public=public)
    cache = AggregateCache(store.data_version, background=background_counts)
    runner = jobs or JobRunner(settings)
    app.extensions["archiver_jobs"] = runner
    app.extensions["archiver_cache"] = cache

    @app.get("/")
    def dashboard():
        return render_template("ui_dashboard.html.j2", page=views.dashboard(store, cache), jobs=runner.recent(5))

    @app.get("/articles")
    def articles():
        args = request.args
        try:
            wanted = ArticleFilter(text=args.get("q", "").strip(), verdict=args.get("verdict", "").strip(),
                                   host=args.get("host", "").strip(), date_from=views.parse_day(args.get("from", "")),
                                   date_to=views.parse_day(args.get("to", "")))
            after = int(args["after"]) if args.get("after") else None
        except ValueError:
            abort(400, "dates are written 2026-01-05, and `after` is an article number")
        rows = store.search_articles(wanted, after_id=after, limit=PAGE_SIZE + 1, failing=DEFAULT_FAIL_ON)
        more = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        next_args = {**args.to_dict(), "after": rows[-1]["id"]} if more and rows else None
        return render_template("ui_articles.html.j2", rows=rows, wanted=wanted, after=after,
                               next_url=url_for("articles", **next_args) if next_args else None)

    @app.get("/articles/<int:article_id>")
    def article(article_id: int):
        page = views.article_page(store, settings, article_id)
        if page is None:
            abort(404, f"no article {article_id}")
        return render_template("ui_article.html.j2", page=page)

    @app.get("/link")
    def link():
        url = request.args.get("url", "")
        if not url:
            abort(400, "which link? /link?url=...")
        return render_template("ui_link.html.j2", page=views.link_page(store, settings, url))

    @app.get("/diff")
    def diff():
        url = request.args.get("url", "")
        found = views.diff_of(store, url) if url else None
        if found is None:
            abort(404, "that URL was never checked")
        latest, text = found
        return render_template("ui_diff_page.html.j2", url=url, latest=latest, diff=text,
                               back=request.args.get("article", type=int))

    @app.get("/hosts")
    def hosts():
        rows, counted_at = views.hosts(store, cache)
        return render_template("ui_hosts.html.j2", rows=rows, counted_at=counted_at)

    @app.get("/jobs")
    def jobs_list():
        return render_template("ui_jobs.html.j2", jobs=runner.recent(50))

    @app.get("/jobs/<int:job_id>")
    def job(job_id: int):
        found = runner.get(job_id)
        if found is None:
            abort(404, f"no job {job_id} (the UI remembers its newest jobs only)")
        article_id = store.get_article_id(found.target) if found.state in ("done", "failed") else None
        return render_template("ui_job.html.j2", job=found, article_id=article_id)

    @app.route("/login", methods=["GET", "POST"])
    def login():
        if request.method == "GET":
            return render_template("ui_login.html.j2", failed=False)
        if not token_matches(settings.web.token, request.form.get("token", "")):
            return render_template("ui_login.html.j2", failed=True), 403
        csrf = session.get("csrf")
        session.clear()  # a fresh session at login: nothing chosen before it carries over
        session["reviewer"] = request.form.get("name", "").strip()[:80] or "reviewer"
        session["csrf"] = csrf or secrets.token_urlsafe(32)
        return redirect(url_for("dashboard"), code=303)

    @app.post("/logout")
    def logout():
        session.clear()
        return redirect(url_for("dashboard"), code=303)

    @app.errorhandler(400)
    @app.errorhandler(403)
    @app.errorhandler(404)
    @app.errorhandler(421)
    def refused(error):
        return render_template("ui_error.html.j2", error=error), error.code

    register_actions(app, store, runner)
    return app
