"""Logging: to stderr and to a rotating file under <data_dir>/logs/."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(log_dir: Path, verbosity: int = 0) -> None:
    """verbosity: -1 errors only, 0 warnings, 1 info, 2 debug (every fetch). Safe to call again."""
    level = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    root = logging.getLogger("archiver")
    root.setLevel(logging.DEBUG)
    for handler in list(root.handlers):
        if getattr(handler, "_archiver", False):
            root.removeHandler(handler)
            handler.close()
    stderr = logging.StreamHandler()
    stderr.setLevel(level)
    stderr.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handlers: list[logging.Handler] = [stderr]
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        rotating = logging.handlers.RotatingFileHandler(log_dir / "archiver.log", maxBytes=10_000_000, backupCount=5, encoding="utf-8")
        rotating.setLevel(min(level, logging.INFO))
        rotating.setFormatter(logging.Formatter(_FORMAT))
        handlers.append(rotating)
    except OSError as exc:  # a read-only data dir must not stop a report or status
        stderr.handle(logging.makeLogRecord({"msg": f"cannot write logs to {log_dir}: {exc}", "levelno": logging.WARNING, "levelname": "WARNING"}))
    for handler in handlers:
        handler._archiver = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.propagate = False
