"""A throwaway PostgreSQL server for the tests, started when RUNCARD_TEST_POSTGRES=1 (tox -e server).

The server lives in a temporary folder, listens on a free port of 127.0.0.1 and takes no
password (trust). PostgreSQL refuses to run as root, so as root it runs as the `postgres` user
(Debian's `postgresql` package makes it). Each test gets a schema of its own, named in the URL's
search_path, so it starts from an empty store.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

ENABLED = os.environ.get("RUNCARD_TEST_POSTGRES") == "1"
DATABASE = "runcard_test"
HARNESS = "runcard-test-harness"  # the application_name of this module's own connection


def _binaries() -> Path:
    """The newest PostgreSQL found: Debian's /usr/lib/postgresql/<version>/bin, else the PATH."""
    debian = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2].split(".")[0])
    )
    if debian:
        return Path(debian[-1])
    initdb = shutil.which("initdb")
    if initdb is None:
        raise RuntimeError(
            "RUNCARD_TEST_POSTGRES=1 needs PostgreSQL's server programs (initdb, pg_ctl): "
            "apt-get install postgresql"
        )
    return Path(initdb).parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    def __init__(self) -> None:
        self.bin = _binaries()
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.base = Path(tempfile.mkdtemp(prefix="runcard-pg-"))
        self.port = 0
        self._schemas = 0
        self._admin = None

    def start(self) -> None:
        if self.as_owner:
            shutil.chown(self.base, "postgres", "postgres")
        self._run(
            "initdb", "-D", str(self.base / "data"), "-U", "postgres", "-A", "trust",
            "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip
        for _ in range(5):  # another process may take the free port first
            self.port = _free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.base} -c fsync=off"
                " -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
            )
            started = self._run(
                "pg_ctl", "-D", str(self.base / "data"), "-l", str(self.base / "log"),
                "-w", "-t", "30", "-o", options, "start", check=False,
            )  # fmt: skip
            if started.returncode == 0:
                break
        else:
            raise RuntimeError(f"PostgreSQL did not start:\n{(self.base / 'log').read_text()}")
        import psycopg

        with psycopg.connect(self.url(database="postgres"), autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {DATABASE}")
        self._admin = psycopg.connect(self.url(), autocommit=True, application_name=HARNESS)

    def stop(self) -> None:
        if self._admin is not None:
            self._admin.close()
        if (self.base / "data" / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.base / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.base, ignore_errors=True)

    def url(self, schema: str | None = None, database: str = DATABASE) -> str:
        url = f"postgresql://postgres@127.0.0.1:{self.port}/{database}"
        return f"{url}?options=-csearch_path%3D{schema}" if schema else url

    def new_store(self) -> str:
        """The URL of a new, empty schema: a store that does not exist yet."""
        assert self._admin is not None, "the server is not started"
        self._schemas += 1
        schema = f"test_{self._schemas}"
        self._admin.execute(f"CREATE SCHEMA {schema}")
        return self.url(schema)

    def _run(
        self, program: str, *args: str, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.as_owner, str(self.bin / program), *args],
            capture_output=True,
            text=True,
            check=check,
            timeout=60,
        )


def store_exists(location: Path | str) -> bool:
    """Whether runcard made its store at `location`: a folder, or a PostgreSQL URL."""
    if not str(location).startswith("postgresql://"):
        return (Path(location) / "runcard.db").exists()
    import psycopg

    with psycopg.connect(str(location), autocommit=True) as db:
        row = db.execute("SELECT to_regclass('runs') IS NOT NULL").fetchone()
        return bool(row and row[0])
