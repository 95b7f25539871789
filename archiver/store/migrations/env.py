"""Alembic environment for archiver's store.

Store.open (archiver/store/migrate.py) runs the migrations: it passes an open
connection, already inside a transaction that holds the upgrade lock, through
`config.attributes["connection"]`. For writing a new revision by hand, set
`sqlalchemy.url` on the Alembic config instead.
"""

from alembic import context
from sqlalchemy import create_engine

from archiver.store.schema import metadata


def run_migrations(connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("archiver migrations run through Store.open(url), or need sqlalchemy.url set")
    engine = create_engine(url)
    with engine.connect() as own_connection:
        run_migrations(own_connection)
        own_connection.commit()
    engine.dispose()


main()
