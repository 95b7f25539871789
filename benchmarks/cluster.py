"""Queue mode: 1, 2 and 4 worker processes on the loopback benchmark web, with per_host_delay 0 and default politeness.

    .venv/bin/python benchmarks/cluster.py                          # 40 articles x 10 refs over 20 hosts
    .venv/bin/python benchmarks/cluster.py --articles 100 --workers 1,2,4 --delays 0s,1s

Each row: `archiver archive --queue` of every article, with N `archiver worker --threads T` processes
(each its own data dir, as on N machines) on a redis-server of its own (so its command counts are
ours alone) and a PostgreSQL schema of its own. Reported: wall time and throughput (URLs done per
second, from the first URL queued to the last one done; workers are started and registered before),
speed-up over one worker, the most requests any host had in flight at once (loopweb.py counts them),
CPU of all archiver processes (worker start-up included) and Redis per URL, and Redis commands per URL (INFO
total_commands_processed; includes the shared host slots). Then the queue alone: N messages sent and
consumed by a Dramatiq worker doing nothing, its CPU and Redis's per message. WARCs stay local here
(storage.warc_store empty): the bucket's cost is per WARC file, not per URL.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import redis
import sqlalchemy

HERE = Path(__file__).resolve().parent
POSTGRES = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=40)
    parser.add_argument("--refs", type=int, default=10)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.03)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--delays", default="0s,1s", help="per_host_delay values (1s is the default politeness)")
    parser.add_argument("--messages", type=int, default=2000, help="messages for the queue-only measure")
    return parser.parse_args()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_redis(folder: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    child = subprocess.Popen([shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1", "--dir",
                              str(folder), "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
    client = redis.StrictRedis(port=port)
    for _ in range(100):
        try:
            client.ping()
            return child, port
        except redis.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


def redis_counts(port: int) -> tuple[int, float]:
    info = redis.StrictRedis(port=port).info()
    return info["total_commands_processed"], info["used_cpu_sys"] + info["used_cpu_user"]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def one_run(args, urls: dict, workers: int, delay: str, redis_port: int, work: Path) -> dict:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sqlalchemy.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHIVER_")}
    env.update({"ARCHIVER_STORAGE_DATABASE": f"{POSTGRES}?options=-csearch_path%3D{schema}",
                "ARCHIVER_QUEUE_BROKER_URL": f"redis://127.0.0.1:{redis_port}/0",
                "ARCHIVER_QUEUE_NAMESPACE": schema, "ARCHIVER_QUEUE_IDLE_CLOSE": "5s",
                "ARCHIVER_FETCH_ALLOW_PRIVATE_NETWORKS": "true", "ARCHIVER_FETCH_PER_HOST_DELAY": delay,
                "ARCHIVER_FETCH_EXTRACT_PROCESSES": "0"})
    archiver = [sys.executable, "-m", "archiver", "-q"]
    try:
        subprocess.run([*archiver, "--data-dir", str(work / "migrate"), "status"], env=env, check=True,
                       stdout=subprocess.DEVNULL)  # the schema, before the clock starts
        cpu0 = children_cpu()
        pool = [subprocess.Popen([*archiver, "--data-dir", str(work / f"{schema}-w{n}"), "worker", "--threads",
                                  str(args.threads)], env=env) for n in range(workers)]
        live = sqlalchemy.text(f'SELECT count(*) FROM "{schema}".queue_workers')
        for _ in range(1200):  # the workers started (their imports are not the queue's throughput)
            with admin.connect() as connection:
                if connection.execute(live).scalar() >= workers:
                    break
            time.sleep(0.1)
        commands0, redis_cpu0 = redis_counts(redis_port)
        done = subprocess.run([*archiver, "--data-dir", str(work / f"{schema}-q"), "archive", "--queue",
                               *urls["articles"]], env=env, stdout=subprocess.DEVNULL, check=False)
        commands1, redis_cpu1 = redis_counts(redis_port)
        with admin.connect() as connection:  # the run's own span, from queuing its first URL to its last done
            wall = connection.execute(sqlalchemy.text(
                f'SELECT extract(epoch FROM max(done_at) - min(queued_at)) FROM "{schema}".queue_items')).scalar()
        for child in pool:
            child.send_signal(signal.SIGTERM)
        for child in pool:
            child.wait(timeout=120)
        with admin.connect() as connection:
            captured = connection.execute(sqlalchemy.text(
                f'SELECT count(*) FROM "{schema}".queue_items WHERE done_at IS NOT NULL')).scalar()
        return {"workers": workers, "delay": delay, "exit": done.returncode, "wall": float(wall), "urls": captured,
                "cpu": children_cpu() - cpu0, "redis_commands": commands1 - commands0,
                "redis_cpu": redis_cpu1 - redis_cpu0}
    finally:
        with admin.connect() as connection:
            connection.execute(sqlalchemy.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def queue_only(messages: int, redis_port: int) -> dict:
    """Send and consume `messages` no-op messages: the queue's own cost per message."""
    import dramatiq

    from archiver.queue import URL_QUEUE, make_broker
    from archiver.settings import QueueSettings

    broker = make_broker(QueueSettings(broker_url=f"redis://127.0.0.1:{redis_port}/0", namespace="queue-only"))
    handled = []
    dramatiq.actor(lambda *a: handled.append(1), broker=broker, actor_name="capture_url", queue_name=URL_QUEUE)
    commands0, redis_cpu0 = redis_counts(redis_port)
    cpu0 = time.process_time()
    for n in range(messages):
        broker.enqueue(dramatiq.Message(queue_name=URL_QUEUE, actor_name="capture_url", args=(1, f"http://h/{n}"),
                                        kwargs={}, options={}))
    worker = dramatiq.Worker(broker, worker_threads=8, worker_timeout=100)
    worker.start()
    broker.join(URL_QUEUE, timeout=600_000)
    worker.stop()
    cpu = time.process_time() - cpu0
    commands1, redis_cpu1 = redis_counts(redis_port)
    broker.close()
    return {"messages": len(handled), "client_cpu_ms": 1000 * cpu / messages,
            "redis_cpu_ms": 1000 * (redis_cpu1 - redis_cpu0) / messages,
            "commands": (commands1 - commands0) / messages}


def main() -> None:
    args = arguments()
    work = Path(tempfile.mkdtemp(prefix="archiver-queue-bench-"))
    redis_child, redis_port = start_redis(work)
    web = subprocess.Popen([sys.executable, str(HERE / "loopweb.py"), f"--articles={args.articles}",
                            f"--refs={args.refs}", f"--hosts={args.hosts}", f"--latency={args.latency}"],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        urls = json.loads(web.stdout.readline())
        print(f"{args.articles} articles x {args.refs} refs over {args.hosts} hosts, latency {args.latency}s, "
              f"{args.threads} threads per worker, {os.cpu_count()} CPUs", flush=True)
        print("| per_host_delay | workers | URLs | wall | URLs/s | speed-up | max in flight/host | CPU ms/URL "
              "| Redis cmds/URL | exit |\n|---|---|---|---|---|---|---|---|---|---|", flush=True)
        for delay in args.delays.split(","):
            base = None
            for workers in [int(w) for w in args.workers.split(",")]:
                web.stdin.write("log\n")
                web.stdin.flush()
                json.loads(web.stdout.readline())  # reset the counts
                row = one_run(args, urls, workers, delay, redis_port, work)
                web.stdin.write("log\n")
                web.stdin.flush()
                log = json.loads(web.stdout.readline())
                rate = row["urls"] / row["wall"]
                base = base or rate
                print(f"| {delay} | {workers} | {row['urls']} | {row['wall']:.1f} s | {rate:.1f} | "
                      f"{rate / base:.2f}x | "
                      f"{max(log['most_in_flight'])} | {1000 * (row['cpu'] + row['redis_cpu']) / row['urls']:.1f} | "
                      f"{row['redis_commands'] / row['urls']:.1f} | {row['exit']} |", flush=True)
        alone = queue_only(args.messages, redis_port)
        print(f"queue alone ({alone['messages']} no-op messages): {alone['client_cpu_ms']:.2f} ms client CPU + "
              f"{alone['redis_cpu_ms']:.2f} ms Redis CPU and {alone['commands']:.1f} Redis commands per message",
              flush=True)
    finally:
        web.stdin.close()
        web.wait(timeout=60)
        redis_child.terminate()
        redis_child.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
