"""Several worker processes on one machine standing in for several machines: real Redis, PostgreSQL and S3."""

from __future__ import annotations

import subprocess
from contextlib import ExitStack

import boto3
import dramatiq
import pytest
import sqlalchemy

from archiver.queue import URL_QUEUE, make_broker, queue_depth
from archiver.settings import QueueSettings
from archiver.store import Store
from archiver.store.schema import captures, observations, queue_items, queue_workers, warc_objects
from support.cluster import WAIT, Cluster, OwnRedis, processes, serve_loop_web
from support.waiting import eventually
from support.warc_audit import read_record

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(300)]


def rows(database: str, query):
    engine = sqlalchemy.create_engine(database)
    try:
        with engine.connect() as connection:
            return connection.execute(query).all()
    finally:
        engine.dispose()


def start_workers(cluster, tmp_path, children, count: int, threads: int = 4):
    Store.open(cluster.database).close()  # the schema, before the test reads its tables
    for n in range(count):
        children.append(cluster.command(tmp_path / f"machine-{n}", "worker", "--threads", str(threads),
                                        log=tmp_path / f"worker-{n}.log"))
    # All of them consuming before anything is queued: otherwise the first one up may take every message.
    live = sqlalchemy.select(queue_workers.c.name)
    assert eventually(lambda: len(rows(cluster.database, live)) >= count, WAIT), "the workers started"
    return children[-count:]


def queue_run(cluster, tmp_path, urls, log_name="queue.log") -> subprocess.Popen:
    return cluster.command(tmp_path / "scheduler", "archive", "--queue", *urls, log=tmp_path / log_name)


def assert_each_url_once(cluster, web, run_id: int) -> None:
    observed = rows(cluster.database, sqlalchemy.select(observations.c.url).where(observations.c.run_id == run_id))
    urls = [row.url for row in observed]
    assert sorted(urls) == sorted(web.urls), "every URL observed exactly once in the run"
    first_hops = rows(cluster.database, sqlalchemy.select(captures.c.requested_url)
                      .where(captures.c.run_id == run_id, captures.c.hop == 0, captures.c.article_id.is_not(None)
                             | captures.c.requested_url.in_(web.urls)))
    fetched = [row.requested_url for row in first_hops if row.requested_url in web.urls]
    assert sorted(fetched) == sorted(web.urls), "one fetch (hop 0 capture) per URL per run"
    undone = rows(cluster.database, sqlalchemy.select(queue_items.c.url).where(queue_items.c.run_id == run_id,
                                                                               queue_items.c.done_at.is_(None)))
    assert undone == []


def assert_captures_in_bucket(cluster, run_id: int, tmp_path) -> None:
    """Every capture row with a WARC record points at that record in a WARC uploaded to the bucket."""
    def all_shipped() -> bool:
        files = {r.warc_file for r in rows(cluster.database, sqlalchemy.select(captures.c.warc_file)
                                           .where(captures.c.warc_file.is_not(None)))}
        shipped = {r.warc_file for r in rows(cluster.database, sqlalchemy.select(warc_objects.c.warc_file))}
        return bool(files) and files <= shipped

    assert eventually(all_shipped, WAIT), "every WARC a capture row names is in the bucket"
    s3 = boto3.client("s3", endpoint_url=cluster.s3_endpoint, aws_access_key_id="test", aws_secret_access_key="test",
                      region_name="us-east-1")
    keys = {r.warc_file: r.object_key for r in rows(cluster.database, sqlalchemy.select(warc_objects))}
    local = {}
    for name, key in keys.items():
        local[name] = tmp_path / "from-bucket" / name
        local[name].parent.mkdir(exist_ok=True)
        s3.download_file(cluster.bucket, key, str(local[name]))
    recorded = rows(cluster.database, sqlalchemy.select(captures).where(captures.c.run_id == run_id,
                                                                       captures.c.record_id.is_not(None)))
    assert recorded
    for capture in recorded:
        record = read_record(local[capture.warc_file], capture.warc_offset, capture.warc_length)
        assert (record["record_id"], record["uri"]) == (capture.record_id, capture.url)


def run_id_of(cluster) -> int:
    ids = rows(cluster.database, sqlalchemy.select(queue_items.c.run_id).distinct())
    assert len(ids) == 1
    return ids[0].run_id


def test_three_workers_capture_every_url_exactly_once_and_ship_the_warcs(cluster, tmp_path):
    with ExitStack() as stack:
        web = serve_loop_web(stack, articles=3, references=8, hosts=3, delay=0.1)
        children = stack.enter_context(processes())
        start_workers(cluster, tmp_path, children, 3)
        enqueuer = queue_run(cluster, tmp_path, web.articles)
        children.append(enqueuer)
        assert enqueuer.wait(timeout=WAIT) == 0, (tmp_path / "queue.log").read_text()
        run_id = run_id_of(cluster)
        assert_each_url_once(cluster, web, run_id)
        assert_captures_in_bucket(cluster, run_id, tmp_path)
        workers = {r.worker for r in rows(cluster.database, sqlalchemy.select(queue_items.c.worker))}
        assert len(workers) >= 2, "the work was shared between worker processes"
        # Politeness across the cluster: three workers of four threads, and no host ever saw more than
        # per_host_concurrency (2) requests at once, as the loopback servers counted them.
        assert web.counter.most and max(web.counter.most.values()) <= 2, dict(web.counter.most)
        # A check in queue mode: the articles, then every reference, each once in the new run.
        checking = cluster.command(tmp_path / "scheduler", "check", "--all", "--queue", log=tmp_path / "check.log")
        children.append(checking)
        assert checking.wait(timeout=WAIT) == 0, (tmp_path / "check.log").read_text()
        assert_each_url_once(cluster, web, run_id + 1)


def test_a_worker_killed_mid_run_has_its_urls_redelivered_and_nothing_is_lost_or_doubled(cluster, tmp_path):
    with ExitStack() as stack:
        web = serve_loop_web(stack, articles=2, references=10, hosts=3, delay=0.25)
        children = stack.enter_context(processes())
        doomed, *_ = start_workers(cluster, tmp_path, children, 3)
        enqueuer = queue_run(cluster, tmp_path, web.articles)
        children.append(enqueuer)
        assert eventually(lambda: done_count(cluster) >= 3, WAIT), "the run started"
        doomed.kill()  # SIGKILL: mid-fetch, its prefetched messages unacknowledged, its WARC left .open
        doomed.wait()
        assert enqueuer.wait(timeout=WAIT) == 0, (tmp_path / "queue.log").read_text()
        run_id = run_id_of(cluster)
        assert_each_url_once(cluster, web, run_id)
        # A worker started again on the killed one's machine recovers its .open WARC and ships it.
        children.append(cluster.command(tmp_path / "machine-0", "worker", log=tmp_path / "worker-0-again.log"))
        assert_captures_in_bucket(cluster, run_id, tmp_path)


def test_a_redis_restart_mid_run_loses_nothing(postgres_url, s3_endpoint, tmp_path):
    own = OwnRedis(tmp_path)
    own.start()
    cluster = Cluster(database=postgres_url, broker_url=own.url, s3_endpoint=s3_endpoint)
    try:
        with ExitStack() as stack:
            web = serve_loop_web(stack, articles=2, references=10, hosts=3, delay=0.25)
            children = stack.enter_context(processes())
            start_workers(cluster, tmp_path, children, 2)
            enqueuer = queue_run(cluster, tmp_path, web.articles)
            children.append(enqueuer)
            assert eventually(lambda: done_count(cluster) >= 3, WAIT), "the run started"
            own.stop()
            own.start()  # the same port and append-only file: its messages are back
            assert enqueuer.wait(timeout=WAIT) == 0, (tmp_path / "queue.log").read_text()
            assert_each_url_once(cluster, web, run_id_of(cluster))
    finally:
        own.stop()


def test_bad_messages_are_rejected_logged_and_dead_lettered_and_the_worker_goes_on(cluster, tmp_path):
    settings = QueueSettings(broker_url=cluster.broker_url, namespace=cluster.namespace)
    broker = make_broker(settings)
    try:
        for args in (("not a run id",), (10**9, "http://127.0.0.9/never-queued"), (1, "")):
            broker.enqueue(dramatiq.Message(queue_name=URL_QUEUE, actor_name="capture_url", args=args, kwargs={},
                                            options={}))
        with ExitStack() as stack:
            web = serve_loop_web(stack, articles=1, references=2, hosts=1, delay=0.0)
            children = stack.enter_context(processes())
            start_workers(cluster, tmp_path, children, 1, threads=2)
            assert eventually(lambda: queue_depth(settings).dead == 3, WAIT), queue_depth(settings)
            assert eventually(lambda: status_says(cluster, tmp_path, "workers: 1 live"), WAIT)
            assert status_says(cluster, tmp_path, "queue: 0 waiting, 0 retrying, 3 dead-lettered")
            enqueuer = queue_run(cluster, tmp_path, web.articles)
            children.append(enqueuer)
            assert enqueuer.wait(timeout=WAIT) == 0, (tmp_path / "queue.log").read_text()
            assert_each_url_once(cluster, web, run_id_of(cluster))
        log = (tmp_path / "worker-0.log").read_text()
        assert log.count("rejected a message, dead-lettered") == 3, log
        assert "malformed message" in log and "no run 1000000000" in log
    finally:
        broker.close()


def test_queue_mode_on_sqlite_exits_3_with_the_reason(cluster, tmp_path):
    sqlite = Cluster(database="", broker_url=cluster.broker_url, namespace=cluster.namespace)
    for args in (("archive", "--queue", "http://127.0.0.9/a"), ("worker",)):
        child = sqlite.command(tmp_path / "data", *args, log=tmp_path / "out.log")
        assert child.wait(timeout=WAIT) == 3
        assert "PostgreSQL" in (tmp_path / "out.log").read_text()
    assert queue_depth(QueueSettings(broker_url=cluster.broker_url, namespace=cluster.namespace)).waiting == 0


def status_says(cluster, tmp_path, line: str) -> bool:
    """`archiver status` in queue mode prints `line` (queue depth, live workers, runs in progress)."""
    enabled = Cluster(cluster.database, cluster.broker_url, cluster.namespace, extra={"ARCHIVER_QUEUE_ENABLED": "true"})
    child = enabled.command(tmp_path / "status", "status", log=tmp_path / "status.log")
    assert child.wait(timeout=WAIT) == 0
    return line in (tmp_path / "status.log").read_text()


def done_count(cluster) -> int:
    return len(rows(cluster.database, sqlalchemy.select(queue_items.c.id).where(queue_items.c.done_at.is_not(None))))
