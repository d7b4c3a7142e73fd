"""``manage.py backup [--output PATH]``: a consistent copy of the database while it serves."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from dealerplan.core import backup


class Command(BaseCommand):
    # A backup or restore must work even when some other part of the code fails its checks.
    requires_system_checks = []
    help = (
        "Back up the whole database while the app keeps running: SQLite with its online backup "
        "API, PostgreSQL with pg_dump -Fc. A .json manifest with every table's row count and "
        "checksum is written beside the file; `restore` checks against it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            "-o",
            help="File to write (default: var/backups/dealerplan-<date>-<time>.sqlite3 or .dump).",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="Database alias.")

    def handle(self, *args, output=None, database=DEFAULT_DB_ALIAS, **options):
        target = Path(output).expanduser() if output else None
        if target is not None and target.is_dir():
            target = target / backup.default_backup_path(database).name
        try:
            result = backup.backup(target, using=database)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup written to {result.path} ({backup.describe(result.tables)})."
            )
        )
        self.stdout.write(f"Manifest: {result.manifest}")
