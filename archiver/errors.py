"""The exception tree, on one page.

    ArchiverError                 anything archiver raises on purpose
    ├── ConfigError               bad configuration or usage (exit code 3); names key, value, expectation
    ├── StoragePathError          the data dir or a path in it cannot be used: read-only, not a folder (exit 3)
    ├── SourceError               an article input that cannot be read (path and reason)
    ├── FetchError                a fetch that could not complete; carries the Observation class
    │   └── GuardRefused          the network guard refused the resolved address
    ├── RecordError               a WARC could not be written (disk full, file-size limit; exit 4)
    └── StoreError                the database refused or is at the wrong schema
        ├── DatabaseFull          the database's disk is full (exit 4)
        └── DatabaseLost          a new, empty database beside WARCs already written (exit 3: rebuild it)

Failures of one reference never raise past the pipeline: they become observations.
Only configuration errors and storage errors stop a run.
"""

from __future__ import annotations


class ArchiverError(Exception):
    """Base of every error archiver raises on purpose."""


class ConfigError(ArchiverError):
    """Bad configuration or usage. The message names the key, the value and what was expected."""

    def __init__(self, key: str, value: object, expected: str):
        self.key = key
        self.value = value
        self.expected = expected
        super().__init__(f"{key} = {value!r}: expected {expected}")


class SourceError(ArchiverError):
    """An article input (document, URL list) that cannot be used."""

    def __init__(self, path: str, reason: str):
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class FetchError(ArchiverError):
    """A fetch that could not complete. `kind` is an Observation value such as 'dns_error'."""

    def __init__(self, kind: str, detail: str):
        self.kind = kind
        self.detail = detail
        super().__init__(f"{kind}: {detail}")


class GuardRefused(FetchError):
    """The network guard refused an address (loopback, private, link-local, ...)."""

    def __init__(self, detail: str):
        super().__init__("excluded", detail)


class StoragePathError(ArchiverError):
    """A folder or file archiver keeps its data in cannot be made or written (read-only, not a folder ...)."""

    def __init__(self, path: object, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"cannot use {self.path}: {reason}")


class RecordError(ArchiverError):
    """A WARC file could not be written; the file was cut back to its last complete record."""


class StoreError(ArchiverError):
    """The database could not be opened, upgraded or written."""


class DatabaseFull(StoreError):
    """The database could not be written because its disk (or quota) is full; the transaction was rolled back."""


class DatabaseLost(StoreError):
    """The database holds no schema yet while the WARC folder holds captures: it was lost or emptied.

    Nothing is written to it: `archiver rebuild` restores it from the WARCs, or the user moves the WARCs away.
    """


class BrowserMissing(ArchiverError):
    """Browser capture was asked for, but Chromium (or the Playwright package that drives it) is not installed."""
