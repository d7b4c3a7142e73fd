"""``manage.py restore PATH [--yes]``: replace the database with a backup, then verify it."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from dealerplan.core import backup


class Command(BaseCommand):
    # A backup or restore must work even when some other part of the code fails its checks.
    requires_system_checks = []
    help = (
        "Replace EVERY record of the database with a backup made by `backup` (SQLite: copied "
        "back with the online backup API; PostgreSQL: pg_restore --clean --if-exists). Stop the "
        "web server and the task worker first. Afterwards every table is compared with the "
        "backup's manifest."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The backup file.")
        parser.add_argument(
            "--yes", action="store_true", help="Do not ask for confirmation (for scripts)."
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="Database alias.")

    def handle(self, *args, path, yes=False, database=DEFAULT_DB_ALIAS, **options):
        source = Path(path).expanduser()
        if not source.is_file():
            raise CommandError(f"{source} does not exist.")
        name = connections[database].settings_dict["NAME"]
        if not yes:
            if not options.get("interactive", True):
                raise CommandError("Refusing to restore without --yes.")
            answer = input(
                f"This replaces every record in {name} with {source}.\nType 'yes' to continue: "
            )
            if answer.strip().lower() != "yes":
                raise CommandError("Restore cancelled; nothing was changed.")
        try:
            result = backup.restore(source, using=database)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Restored {source} into {name} ({backup.describe(result.tables)}).")
        if result.expected is None:
            self.stdout.write(self.style.WARNING("No manifest beside the backup: not verified."))
        elif result.problems:
            raise CommandError(
                "The restored database differs from the backup's manifest:\n  "
                + "\n  ".join(result.problems)
            )
        else:
            self.stdout.write(
                self.style.SUCCESS("Verified: every table's row count and checksum match.")
            )
