"""`archiver daemon`: the capture, check and report jobs on the [schedule], for months on end.

    Daemon(settings).run()  -> exit code (0 after a clean stop); LockHeld when another daemon has the data dir

Modules: service (lock, signals, running jobs, stopping with every WARC closed),
jobs (what each scheduled job does). The timetable itself is archiver.daemon.schedule.
"""

from archiver.daemon.jobs import JOBS, JobContext
from archiver.daemon.service import Daemon

__all__ = ["JOBS", "Daemon", "JobContext"]
