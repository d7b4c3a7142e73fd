"""Online backup and restore of the whole database, with a fingerprint to prove the copy.

SQLite is copied page by page with sqlite3's online backup API through the Django connection,
so the copy is one consistent snapshot even while the app keeps writing. PostgreSQL is dumped
with ``pg_dump -Fc`` inside a snapshot that this module exports, and the fingerprint is taken
in that same snapshot. Either way a ``<backup>.json`` manifest beside the file holds the row
count and a checksum of every table, and a restore compares the restored database with it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone

MANIFEST_SUFFIX = ".json"
FETCH_ROWS = 2000


class BackupError(Exception):
    """A backup or restore could not be done; the message says why."""


# ---------------------------------------------------------------------------------------------
# Fingerprint: per-table row counts and checksums
# ---------------------------------------------------------------------------------------------


def _value(value):
    # bytea arrives as a memoryview, whose repr is an address.
    return bytes(value) if isinstance(value, memoryview) else value


def table_fingerprint(connection, cursor, table: str) -> dict:
    """Row count and SHA-256 over the rows of one table, read in primary key order."""
    quote = connection.ops.quote_name
    pk = connection.introspection.get_primary_key_column(cursor, table)
    if pk:
        order = quote(pk)
    else:
        width = len(connection.introspection.get_table_description(cursor, table))
        order = ", ".join(str(i) for i in range(1, width + 1))
    digest = hashlib.sha256()
    count = 0
    with connection.chunked_cursor() as rows:
        rows.execute(f"SELECT * FROM {quote(table)} ORDER BY {order}")  # noqa: S608 - introspected names
        while batch := rows.fetchmany(FETCH_ROWS):
            for row in batch:
                digest.update(repr(tuple(_value(v) for v in row)).encode())
                digest.update(b"\n")
            count += len(batch)
    return {"count": count, "checksum": digest.hexdigest()}


def fingerprint(connection) -> dict[str, dict]:
    """Every table of the database → {"count", "checksum"}; call inside one snapshot."""
    with connection.cursor() as cursor:
        tables = sorted(
            name
            for name in connection.introspection.table_names(cursor)
            if not name.startswith("sqlite_")
        )
        return {table: table_fingerprint(connection, cursor, table) for table in tables}


def database_fingerprint(using: str = DEFAULT_DB_ALIAS) -> dict[str, dict]:
    """The fingerprint of the live database, read in one consistent snapshot."""
    connection = connections[using]
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        return fingerprint(connection)


def sqlite_file_fingerprint(path: Path, like=None) -> dict[str, dict]:
    """The fingerprint of a SQLite file, read with the same value conversions as the app."""
    like = like or connections[DEFAULT_DB_ALIAS]
    settings_dict = {**like.settings_dict, "NAME": str(path), "OPTIONS": {}, "CONN_MAX_AGE": 0}
    wrapper = type(like)(settings_dict, alias=f"backup-{os.getpid()}")
    try:
        return fingerprint(wrapper)
    finally:
        wrapper.close()


def differences(expected: dict[str, dict], actual: dict[str, dict]) -> list[str]:
    """Human-readable differences between two fingerprints; empty when identical."""
    problems = []
    for table in sorted(set(expected) | set(actual)):
        if table not in actual:
            problems.append(f"{table}: missing")
        elif table not in expected:
            problems.append(f"{table}: not in the backup")
        elif expected[table] != actual[table]:
            problems.append(
                f"{table}: {actual[table]['count']} rows, expected {expected[table]['count']}"
                + ("" if expected[table]["count"] != actual[table]["count"] else " (data differs)")
            )
    return problems


def write_manifest(path: Path, vendor: str, tables: dict[str, dict]) -> Path:
    manifest = manifest_path(path)
    data = {
        "created_at": timezone.now().isoformat(),
        "vendor": vendor,
        "file": path.name,
        "tables": tables,
    }
    manifest.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
    return manifest


def manifest_path(path: Path) -> Path:
    return path.with_name(path.name + MANIFEST_SUFFIX)


def read_manifest(path: Path) -> dict | None:
    manifest = manifest_path(path)
    if not manifest.exists():
        return None
    return json.loads(manifest.read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------------
# Backup
# ---------------------------------------------------------------------------------------------


@dataclass
class BackupResult:
    path: Path
    manifest: Path
    tables: dict[str, dict]

    @property
    def rows(self) -> int:
        return sum(t["count"] for t in self.tables.values())


def default_backup_path(using: str = DEFAULT_DB_ALIAS) -> Path:
    vendor = connections[using].vendor
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    extension = "sqlite3" if vendor == "sqlite" else "dump"
    return Path(settings.VAR_DIR) / "backups" / f"dealerplan-{stamp}.{extension}"


def backup(output: Path | None = None, using: str = DEFAULT_DB_ALIAS) -> BackupResult:
    """Write a consistent copy of the database to ``output`` and its manifest beside it."""
    connection = connections[using]
    output = Path(output) if output else default_backup_path(using)
    output.parent.mkdir(parents=True, exist_ok=True)
    if connection.vendor == "sqlite":
        tables = _backup_sqlite(connection, output)
    elif connection.vendor == "postgresql":
        tables = _backup_postgresql(connection, output)
    else:
        raise BackupError(f"Backups of {connection.vendor} databases are not supported.")
    return BackupResult(output, write_manifest(output, connection.vendor, tables), tables)


def _backup_sqlite(connection, output: Path) -> dict[str, dict]:
    if connection.is_in_memory_db():
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    # Into a temporary file first, so a failed backup never leaves a half-written copy.
    handle, temporary = tempfile.mkstemp(prefix=".backup-", dir=output.parent)
    os.close(handle)
    try:
        connection.ensure_connection()
        target = sqlite3.connect(temporary)
        try:
            # pages=-1: one step under one read lock, so the copy is a single snapshot.
            connection.connection.backup(target, pages=-1)
            target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            target.close()
        tables = sqlite_file_fingerprint(Path(temporary), like=connection)
        os.replace(temporary, output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return tables


def _pg_environment(connection) -> dict[str, str]:
    """libpq variables for pg_dump / pg_restore from the Django connection's settings."""
    params = connection.get_connection_params()
    env = {**os.environ}
    mapping = {
        "host": "PGHOST",
        "port": "PGPORT",
        "user": "PGUSER",
        "password": "PGPASSWORD",
        "dbname": "PGDATABASE",
        "sslmode": "PGSSLMODE",
        "sslrootcert": "PGSSLROOTCERT",
        "sslcert": "PGSSLCERT",
        "sslkey": "PGSSLKEY",
        "options": "PGOPTIONS",
    }
    for key, variable in mapping.items():
        if params.get(key) not in (None, ""):
            env[variable] = str(params[key])
    if not env.get("PGDATABASE"):
        env["PGDATABASE"] = connection.settings_dict["NAME"]
    return env


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise BackupError(
            f"{name} was not found: install the PostgreSQL client (postgresql-client)."
        )
    return path


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(  # noqa: S603 - fixed program, arguments we build
        command, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()}")


def _backup_postgresql(connection, output: Path) -> dict[str, dict]:
    pg_dump = _pg_tool("pg_dump")
    temporary = output.with_name(f".{output.name}.partial")
    with transaction.atomic(using=connection.alias):
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            (snapshot,) = cursor.fetchone()
        # The fingerprint and the dump read the very same snapshot, while writes go on.
        tables = fingerprint(connection)
        try:
            _run(
                [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={temporary}"],
                _pg_environment(connection),
            )
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
    os.replace(temporary, output)
    return tables


# ---------------------------------------------------------------------------------------------
# Restore
# ---------------------------------------------------------------------------------------------


@dataclass
class RestoreResult:
    tables: dict[str, dict]
    expected: dict[str, dict] | None
    problems: list[str]

    @property
    def verified(self) -> bool:
        return self.expected is not None and not self.problems


def restore(path: Path, using: str = DEFAULT_DB_ALIAS) -> RestoreResult:
    """Replace the database with the backup at ``path``, then compare it with the manifest."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path} does not exist.")
    connection = connections[using]
    if connection.vendor == "sqlite":
        _restore_sqlite(connection, path)
    elif connection.vendor == "postgresql":
        _restore_postgresql(connection, path)
    else:
        raise BackupError(f"Restoring {connection.vendor} databases is not supported.")
    manifest = read_manifest(path)
    tables = database_fingerprint(using)
    expected = manifest["tables"] if manifest else None
    problems = differences(expected, tables) if expected is not None else []
    return RestoreResult(tables, expected, problems)


def _restore_sqlite(connection, path: Path) -> None:
    if connection.is_in_memory_db():
        raise BackupError("Cannot restore into an in-memory SQLite database.")
    source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        try:
            (check,) = source.execute("PRAGMA quick_check").fetchone()
            tables = {row[0] for row in source.execute("SELECT name FROM sqlite_master")}
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{path} is not a SQLite database: {exc}") from exc
        if check != "ok" or "django_migrations" not in tables:
            raise BackupError(f"{path} is not a dealerplan SQLite backup ({check}).")
        connection.close()
        connection.ensure_connection()
        source.backup(connection.connection, pages=-1)
    finally:
        source.close()
    connection.close()  # the next query reopens it with the usual pragmas (WAL)


def _restore_postgresql(connection, path: Path) -> None:
    pg_restore = _pg_tool("pg_restore")
    env = _pg_environment(connection)
    _run([pg_restore, "--list", str(path)], env)  # a readable pg_dump archive?
    connection.close()  # no open transaction of ours may hold a lock on a table
    _run(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            f"--dbname={env['PGDATABASE']}",
            str(path),
        ],
        env,
    )


def describe(tables: dict[str, dict]) -> str:
    rows = sum(t["count"] for t in tables.values())
    return f"{len(tables)} tables, {rows} rows"
