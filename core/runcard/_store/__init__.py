"""The storage seam: everything runcard persists goes through a `Store` (see `_base`).

SQLite is the embedded default; PostgreSQL serves a team (`runcard server`); both are the one
SQL store of `_sql` over their dialect. `_http` reads a server's runs as a store. The rest of
runcard takes from here the interface (`Store`, `Batch`, `PUSHED_FIELDS`) and `open_store`.
"""

from __future__ import annotations

from runcard._settings import is_postgres_url
from runcard._store._base import PUSHED_FIELDS, Batch, Store
from runcard._store._sqlite import SQLiteStore  # the default: loaded with runcard, not at init

__all__ = ["PUSHED_FIELDS", "Batch", "Store", "open_store"]


def open_store(root: str, create: bool = True) -> Store:
    """The store under directory `root` (SQLite), or at the PostgreSQL URL `root`. Readers pass
    create=False: a store that does not exist yet then reads as empty."""
    if is_postgres_url(root):
        from runcard._store._postgres import PostgresStore  # imports psycopg: only when used

        return PostgresStore(root, create=create)
    return SQLiteStore(root, create=create)
