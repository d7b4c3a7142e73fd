"""Backup taken while the app writes, restored, is the database exactly as it was at backup time.

The scenario runs in a child process against a real database (a SQLite file, or a fresh
PostgreSQL database when DATABASE_URL is PostgreSQL): a writer thread keeps adding a store and
its team in one transaction each, ``manage.py backup`` runs in the middle of it, writes go on,
then ``manage.py restore`` puts the backup back. This file is also that child's script.
"""

import io
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest

ROOT = Path(__file__).resolve().parents[2]
WRITES_BEFORE = 30  # rows written before the backup starts
WRITES_AFTER = 30  # rows written after it ended, which the restore must drop again


def child_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        DATABASE_URL=database_url,
        DEBUG="true",
        DJANGO_SETTINGS_MODULE="dealerplan.settings",
        PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "src")]),
    )
    return env


def manage(database_url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "dealerplan", *args],
        env=child_env(database_url),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def run_scenario(database_url: str, backup_path: Path) -> dict:
    result = subprocess.run(  # noqa: S603 - our own interpreter and this file
        [sys.executable, __file__, str(backup_path)],
        env=child_env(database_url),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def scenario(backup_path: Path) -> dict:
    """Write, back up mid-way, write more, restore; report what each step saw."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from dealerplan.core.backup import database_fingerprint, read_manifest
    from dealerplan.org.models import Store, Team

    Store.objects.create(code="base", name="北京朝阳店")
    written = []
    stop = threading.Event()
    failure = []

    def writer():
        try:
            i = 0
            while not stop.is_set():
                i += 1
                with transaction.atomic():
                    store = Store.objects.create(code=f"w{i}", name=f"门店{i}")
                    Team.objects.create(store=store, name=f"销售{i}组")
                written.append(i)
                time.sleep(0.002)
        except Exception as exc:  # reported to the test, not swallowed
            failure.append(repr(exc))
        finally:
            from django.db import connection as thread_connection

            thread_connection.close()

    def wait_for(count):
        deadline = time.monotonic() + 60
        while len(written) < count and not failure and time.monotonic() < deadline:
            time.sleep(0.01)

    thread = threading.Thread(target=writer)
    thread.start()
    wait_for(WRITES_BEFORE)
    before = len(written)
    call_command("backup", output=str(backup_path), stdout=io.StringIO())
    after = len(written)
    wait_for(after + WRITES_AFTER)
    stop.set()
    thread.join()

    def stores():
        return list(Store.objects.order_by("pk").values_list("pk", "code", "name"))

    live_stores = stores()
    live = database_fingerprint()
    output = io.StringIO()
    call_command("restore", str(backup_path), yes=True, stdout=output)
    restored_stores = stores()
    teams = list(Team.objects.order_by("pk").values_list("store__code", "name"))
    connection.close()
    return {
        "failure": failure,
        "written_before_backup": before,
        "written_after_backup": after,
        "written_total": len(written),
        "live_stores": live_stores,
        "live_fingerprint": live,
        "restored_stores": restored_stores,
        "restored_teams": teams,
        "restored_fingerprint": database_fingerprint(),
        "manifest": read_manifest(backup_path),
        "restore_output": output.getvalue(),
    }


def check_restored_to_backup_time(report: dict) -> None:
    assert report["failure"] == []
    manifest = report["manifest"]["tables"]
    # Every table, row count and checksum, as the backup saw it.
    assert report["restored_fingerprint"] == manifest
    assert "Verified" in report["restore_output"]
    # The backup is one moment of the live database: its first k writes, no more, no fewer,
    # byte for byte (every writer transaction adds store k before store k + 1).
    restored = [tuple(row) for row in report["restored_stores"]]
    live = [tuple(row) for row in report["live_stores"]]
    k = len(restored) - 1  # minus the "base" store
    assert restored == live[: len(restored)]
    # (+1: a write may have committed but not yet been counted when the backup returned)
    assert report["written_before_backup"] <= k <= report["written_after_backup"] + 1
    # Writes went on after the backup, and the restore took them away again.
    assert report["written_total"] >= k - 1 + WRITES_AFTER
    assert report["live_fingerprint"]["org_store"]["count"] == report["written_total"] + 1
    assert manifest["org_store"]["count"] == k + 1
    # No half transaction: each restored store has exactly its team.
    assert [code for code, _name in report["restored_teams"]] == [f"w{i}" for i in range(1, k + 1)]


# -- SQLite -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def migrated_sqlite(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("backup-base") / "base.sqlite3"
    result = manage(f"sqlite:///{path}", "migrate", "--no-input", "--skip-checks", "-v", "0")
    assert result.returncode == 0, result.stderr[-3000:]
    return path


@pytest.fixture
def sqlite_url(migrated_sqlite, tmp_path) -> str:
    path = tmp_path / "dealerplan.sqlite3"
    shutil.copyfile(migrated_sqlite, path)
    return f"sqlite:///{path}"


def test_sqlite_backup_during_writes_restores_the_state_at_backup_time(sqlite_url, tmp_path):
    report = run_scenario(sqlite_url, tmp_path / "backups" / "nightly.sqlite3")
    check_restored_to_backup_time(report)
    assert report["manifest"]["vendor"] == "sqlite"


def test_sqlite_backup_is_one_self_contained_file(sqlite_url, tmp_path):
    target = tmp_path / "copy.sqlite3"
    result = manage(sqlite_url, "backup", "--output", str(target))
    assert result.returncode == 0, result.stderr
    assert "Backup written to" in result.stdout
    assert target.exists() and (tmp_path / "copy.sqlite3.json").exists()
    assert not list(tmp_path.glob("copy.sqlite3-wal")), "the copy must not depend on a WAL file"
    assert not list(tmp_path.glob(".backup-*")), "no temporary file is left behind"


def test_restore_asks_before_replacing_the_database(sqlite_url, tmp_path):
    target = tmp_path / "copy.sqlite3"
    assert manage(sqlite_url, "backup", "-o", str(target)).returncode == 0
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "dealerplan", "restore", str(target)],
        env=child_env(sqlite_url),
        input="no\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "nothing was changed" in result.stderr


def test_restore_refuses_a_file_that_is_not_a_backup(sqlite_url, tmp_path):
    bogus = tmp_path / "notes.sqlite3"
    bogus.write_bytes(b"not a database at all" * 100)
    result = manage(sqlite_url, "restore", str(bogus), "--yes")
    assert result.returncode != 0
    assert "not a SQLite database" in result.stderr


def test_restore_reports_a_backup_that_no_longer_matches_its_manifest(sqlite_url, tmp_path):
    import sqlite3

    target = tmp_path / "copy.sqlite3"
    assert manage(sqlite_url, "backup", "-o", str(target)).returncode == 0
    tampered = sqlite3.connect(target)
    with tampered:
        tampered.execute(
            "DELETE FROM django_migrations WHERE id = (SELECT max(id) FROM django_migrations)"
        )
    tampered.close()
    result = manage(sqlite_url, "restore", str(target), "--yes")
    assert result.returncode != 0
    assert "differs from the backup's manifest" in result.stderr
    assert "django_migrations:" in result.stderr


# -- PostgreSQL -------------------------------------------------------------------------------


def postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


@pytest.fixture
def fresh_postgres():
    """A new, migrated PostgreSQL database next to the test one, dropped afterwards."""
    import psycopg

    base = postgres_url()
    name = f"dealerplan_backup_{uuid.uuid4().hex[:10]}"
    server = base.rsplit("/", 1)[0]
    admin_url = f"{server}/postgres"
    try:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    except psycopg.errors.InsufficientPrivilege:
        pytest.skip("the PostgreSQL user may not create databases")
    url = f"{server}/{quote(name)}"
    try:
        result = manage(url, "migrate", "--no-input", "--skip-checks", "-v", "0")
        assert result.returncode == 0, result.stderr[-3000:]
        yield url
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.skipif(postgres_url() is None, reason="needs DATABASE_URL on PostgreSQL")
def test_postgresql_backup_during_writes_restores_the_state_at_backup_time(
    fresh_postgres, tmp_path
):
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    report = run_scenario(fresh_postgres, tmp_path / "nightly.dump")
    check_restored_to_backup_time(report)
    assert report["manifest"]["vendor"] == "postgresql"
    assert (tmp_path / "nightly.dump").read_bytes()[:5] == b"PGDMP"  # pg_dump -Fc


if __name__ == "__main__":
    print(json.dumps(scenario(Path(sys.argv[1])), default=str))
