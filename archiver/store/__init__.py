"""The only room with SQL: articles, links, captures, runs and link health in SQLite or PostgreSQL.

    store = Store.open(settings.storage.database_url)   # schema created or upgraded
    ...
    store.close()
"""

from archiver.store.browse import ArticleFilter
from archiver.store.overrides import OVERRIDE_KINDS, LinkOverride
from archiver.store.queue_items import QueueItem, RunProgress, WarcObject, WorkerRow
from archiver.store.rows import ObservationRow
from archiver.store.runs import HEARTBEAT_INTERVAL, this_host
from archiver.store.store import Store

__all__ = ["HEARTBEAT_INTERVAL", "OVERRIDE_KINDS", "ArticleFilter", "LinkOverride", "ObservationRow", "QueueItem",
           "RunProgress", "Store", "WarcObject", "WorkerRow", "this_host"]
