"""Logging: to stderr and to a rotating file under <data_dir>/logs/.

Each kind of process has its own file: the daemon (one per data dir, by its
lock) writes daemon.log, commands write archiver.log. A rotating file shared
by two processes loses lines when both rotate it, and the daemon runs beside
commands all the time.

What goes where: one line per run at info (its counts by observation), one
per checked URL at debug, errors with the URL and the error's class.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

_FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"
LOG_MAX_BYTES = 10_000_000
LOG_BACKUPS = 5
# Libraries whose warnings belong in our logs: APScheduler's tell of a job store it cannot read.
_LIBRARY_LEVELS = {"apscheduler": logging.WARNING}


class _LogFile(logging.handlers.RotatingFileHandler):
    """The rotating log file; when it cannot be written (disk full, read-only), it says so once on stderr
    and goes on trying silently, instead of printing a "--- Logging error ---" block for every line."""

    def __init__(self, path: Path, fallback: logging.Handler):
        super().__init__(path, maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8")
        self._fallback = fallback
        self._failing = False

    def emit(self, record: logging.LogRecord) -> None:
        self._written = True
        super().emit(record)  # calls handleError on failure
        if self._written:
            self._failing = False  # space again: the next failure is worth a line

    def handleError(self, record: logging.LogRecord) -> None:
        self._written = False
        if self._failing:
            return
        self._failing = True
        error = sys.exc_info()[1]
        reason = getattr(error, "strerror", None) or error
        _warn(self._fallback, f"cannot write logs to {self.baseFilename}: {reason}; "
                              "its lines are dropped until it can be written again")


def _warn(stderr: logging.Handler, message: str) -> None:
    """A warning from the logging set-up itself, on stderr, unless the verbosity hides warnings (-q)."""
    if stderr.level <= logging.WARNING:
        stderr.handle(logging.makeLogRecord({"msg": message, "levelno": logging.WARNING, "levelname": "WARNING"}))


def _level(verbosity: int) -> int:
    return {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)


def configure_logging(log_dir: Path, verbosity: int = 0, *, file_name: str = "archiver.log") -> None:
    """verbosity: -1 errors only, 0 warnings, 1 info, 2 debug (every fetch). Safe to call again.

    The file gets info and up whatever the verbosity (debug too at -vv).
    """
    level = _level(verbosity)
    stderr = logging.StreamHandler()
    stderr.setLevel(level)
    stderr.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handlers: list[logging.Handler] = [stderr]
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        rotating = _LogFile(log_dir / file_name, fallback=stderr)
        rotating.setLevel(min(level, logging.INFO))
        rotating.setFormatter(logging.Formatter(_FORMAT))
        handlers.append(rotating)
    except OSError as exc:  # a read-only data dir must not stop a report or status
        _warn(stderr, f"cannot write logs to {log_dir}: {exc}")
    loggers = {logging.getLogger("archiver"): logging.DEBUG,
               **{logging.getLogger(name): level for name, level in _LIBRARY_LEVELS.items()}}
    previous = {handler for logger in loggers for handler in logger.handlers if getattr(handler, "_archiver", False)}
    for logger, logger_level in loggers.items():
        for handler in previous & set(logger.handlers):  # ours from an earlier call; anyone else's stay
            logger.removeHandler(handler)
        for handler in handlers:
            handler._archiver = True  # type: ignore[attr-defined]
            logger.addHandler(handler)
        logger.setLevel(logger_level)
        logger.propagate = False
    for handler in previous:
        handler.close()


def close_logging() -> None:
    """Close the handlers configure_logging added (their log files with them); others' handlers stay."""
    for name in ("archiver", *_LIBRARY_LEVELS):
        logger = logging.getLogger(name)
        for handler in [handler for handler in logger.handlers if getattr(handler, "_archiver", False)]:
            logger.removeHandler(handler)
            handler.close()
