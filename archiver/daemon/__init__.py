"""`archiver daemon`: the capture, check and report jobs on the [schedule], for months on end.

    Daemon(settings).run()  -> exit code (0 after a clean stop); LockHeld when another daemon has the data dir

Modules: service (lock, signals, running jobs, stopping with every WARC closed),
jobs (what each scheduled job does). The timetable itself is archiver.daemon.schedule.
"""

from archiver.lazy import lazy_exports

# Imported on first use (archiver.lazy): `status` reads the lock and the schedule without loading the jobs.
_WHERE = {"JOBS": "jobs", "JobContext": "jobs", "Daemon": "service"}
__all__ = sorted(_WHERE)
__getattr__, __dir__ = lazy_exports(__name__, _WHERE)
