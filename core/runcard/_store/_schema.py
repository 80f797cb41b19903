"""The SQLite schema and its ordered migrations: the only place the schema changes.

`PRAGMA user_version` holds the number of migrations applied. Each migration runs inside the
`BEGIN IMMEDIATE` transaction that re-reads the version, so processes that open a new store at
the same moment apply it once (the second waits for the lock, then finds nothing to do).
"""

from __future__ import annotations

MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE IF NOT EXISTS runs (
            pk INTEGER PRIMARY KEY,
            entity TEXT NOT NULL,
            project TEXT NOT NULL,
            run_id TEXT NOT NULL,
            name TEXT NOT NULL,
            group_name TEXT,
            job_type TEXT,
            tags TEXT NOT NULL DEFAULT '[]',
            notes TEXT,
            mode TEXT NOT NULL,
            state TEXT NOT NULL,
            exit_code INTEGER,
            created_at REAL NOT NULL,
            finished_at REAL,
            heartbeat_at REAL NOT NULL,
            heartbeat_interval REAL NOT NULL,
            config TEXT NOT NULL DEFAULT '{}',
            summary TEXT NOT NULL DEFAULT '{}',
            descriptions TEXT NOT NULL DEFAULT '{}',
            host TEXT NOT NULL DEFAULT '{}',
            UNIQUE (entity, project, run_id)
        )""",
        "CREATE INDEX IF NOT EXISTS runs_by_project ON runs (project, created_at)",
        "CREATE INDEX IF NOT EXISTS runs_by_id ON runs (run_id)",
        # a JSON list of [key, value, source, detail, step, time] per batch of revisions
        """CREATE TABLE IF NOT EXISTS revisions (
            pk INTEGER PRIMARY KEY,
            run_pk INTEGER NOT NULL,
            scope TEXT NOT NULL,
            entries TEXT NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS revisions_by_run ON revisions (run_pk, scope)",
        # history in chunks of up to 1024 rows: steps and times here (packed arrays, zlib) ...
        """CREATE TABLE IF NOT EXISTS history_chunks (
            run_pk INTEGER NOT NULL,
            chunk INTEGER NOT NULL,
            rows INTEGER NOT NULL,
            min_step INTEGER NOT NULL,
            max_step INTEGER NOT NULL,
            steps BLOB NOT NULL,
            times BLOB NOT NULL,
            PRIMARY KEY (run_pk, chunk)
        ) WITHOUT ROWID""",
        # ... and each key's values in its own row, so one key is read without the others
        """CREATE TABLE IF NOT EXISTS history_columns (
            run_pk INTEGER NOT NULL,
            key TEXT NOT NULL,
            chunk INTEGER NOT NULL,
            kind TEXT NOT NULL,
            positions BLOB,
            data BLOB NOT NULL,
            PRIMARY KEY (run_pk, key, chunk)
        ) WITHOUT ROWID""",
    ],
    [
        # runs numbered per project for their names, without counting the project's runs
        """CREATE TABLE IF NOT EXISTS run_counters (
            project TEXT PRIMARY KEY,
            runs INTEGER NOT NULL
        )""",
        "INSERT INTO run_counters SELECT project, count(*) FROM runs GROUP BY project",
    ],
    [
        # this store's name when it pushes runs to a server (see _sync)
        "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "INSERT OR IGNORE INTO meta VALUES ('origin', lower(hex(randomblob(16))))",
        # on a server: what each pushing store has sent, so a push repeated is stored once
        """CREATE TABLE IF NOT EXISTS pushed_chunks (
            run_pk INTEGER NOT NULL,
            origin TEXT NOT NULL,
            origin_chunk INTEGER NOT NULL,
            chunk INTEGER NOT NULL,
            rows INTEGER NOT NULL,
            PRIMARY KEY (run_pk, origin, origin_chunk)
        ) WITHOUT ROWID""",
        """CREATE TABLE IF NOT EXISTS pushed_revisions (
            run_pk INTEGER NOT NULL,
            origin TEXT NOT NULL,
            last INTEGER NOT NULL,
            PRIMARY KEY (run_pk, origin)
        ) WITHOUT ROWID""",
    ],
    [
        # sweeps (see _sweeps): the sweep, and one row per suggestion an agent claimed
        """CREATE TABLE IF NOT EXISTS sweeps (
            sweep_id TEXT PRIMARY KEY,
            entity TEXT NOT NULL,
            project TEXT NOT NULL,
            name TEXT,
            spec TEXT NOT NULL,
            seed INTEGER NOT NULL,
            state TEXT NOT NULL,
            created_at REAL NOT NULL
        )""",
        """CREATE TABLE IF NOT EXISTS sweep_runs (
            pk INTEGER PRIMARY KEY,
            sweep_id TEXT NOT NULL,
            slot INTEGER NOT NULL,
            run_id TEXT NOT NULL,
            params TEXT NOT NULL,
            agent TEXT,
            claimed_at REAL NOT NULL,
            status TEXT NOT NULL,
            retry INTEGER NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX IF NOT EXISTS sweep_runs_by_sweep ON sweep_runs (sweep_id, slot)",
        "ALTER TABLE runs ADD COLUMN sweep TEXT",
    ],
]

VERSION = len(MIGRATIONS)
