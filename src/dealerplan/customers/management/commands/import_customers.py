"""Import customers from an .xlsx or .csv file on behalf of a user, as the import pages do.

    dealerplan import_customers 客户名单.xlsx --user consultant01            # check only
    dealerplan import_customers 客户名单.xlsx --user sales_manager --duplicates merge --commit

Same rules as the pages (``customers.importing``): the file is checked first, every problem is
listed with its row and column, and with ``--commit`` everything is written in one transaction,
or nothing. Columns are matched from the headers; ``--column C=phone`` overrides a column.
"""

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError
from openpyxl.utils import column_index_from_string

from dealerplan.customers import importing
from dealerplan.customers.models import ImportJob
from dealerplan.org.models import User


class Command(BaseCommand):
    help = "Check and import customers from an .xlsx or .csv file for a user."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the .xlsx or .csv file")
        parser.add_argument("--user", required=True, help="user name of the importing user")
        parser.add_argument(
            "--duplicates",
            choices=ImportJob.DuplicateAction.values,
            default=ImportJob.DuplicateAction.SKIP,
            help="what to do with phones already in the store or repeated in the file",
        )
        parser.add_argument(
            "--column",
            action="append",
            default=[],
            metavar="LETTER=FIELD",
            help="map a column by letter, e.g. C=phone (empty field: ignore the column)",
        )
        parser.add_argument(
            "--commit", action="store_true", help="write the customers (default: check only)"
        )

    def handle(self, *args, **options):
        try:
            user = User.objects.get(username=options["user"], is_active=True)
        except User.DoesNotExist as exc:
            raise CommandError(f"No active user {options['user']!r}.") from exc
        try:
            with open(options["path"], "rb") as handle:
                job = importing.start_import(user=user, uploaded=File(handle))
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from exc
        except importing.ImportFileError as exc:
            raise CommandError(exc.message) from exc
        job.mapping = self.mapping(job, options["column"])
        job.duplicate_action = options["duplicates"]
        job.save(update_fields=["mapping", "duplicate_action", "updated_at"])
        self.stdout.write(
            "columns: "
            + ", ".join(
                f"{importing.column_title(job.headers, int(col))}→{field}"
                for col, field in sorted(job.mapping.items(), key=lambda item: int(item[0]))
            )
        )
        job = importing.check_import(job)
        if job.status == ImportJob.Status.FAILED:
            self.report_failure(job)
        report = job.report
        for item in report["issues"]:
            self.stdout.write(importing.describe_issue(item, job.headers))
        counts = importing.planned_counts(job)
        self.stdout.write(
            f"job {job.pk}: {report['data_rows']} rows, {report['error_rows']} with errors, "
            f"{counts['created']} new, {counts['merged']} to merge, {counts['skipped']} to skip"
        )
        if report["issue_count"]:
            raise CommandError("Fix the errors in the file first: nothing was imported.")
        if not options["commit"]:
            self.stdout.write("Checked only; run again with --commit to import.")
            return
        if not importing.confirm_import(job):
            raise CommandError("There is nothing to import.")
        job = importing.run_import(job)
        if job.status != ImportJob.Status.DONE:
            self.report_failure(job)
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported: {job.created_count} created, {job.merged_count} merged, "
                f"{job.skipped_count} skipped."
            )
        )

    def mapping(self, job: ImportJob, overrides: list[str]) -> dict[str, str]:
        mapping = dict(job.mapping)
        allowed = {
            name
            for name, _label in importing.field_choices(
                allow_owner=importing.allows_owner_column(job.user)
            )
        }
        for override in overrides:
            letter, _sep, field = override.partition("=")
            try:
                col = str(column_index_from_string(letter.strip().upper()) - 1)
            except ValueError as exc:
                raise CommandError(f"Not a column letter: {letter!r}") from exc
            field = field.strip()
            if field and field not in allowed:
                raise CommandError(f"Unknown field {field!r}; use one of {sorted(allowed)}.")
            if field:
                mapping[col] = field
            else:
                mapping.pop(col, None)
        return mapping

    def report_failure(self, job: ImportJob):
        for item in job.error_summary.get("issues", []):
            self.stderr.write(importing.describe_issue(item, job.headers))
        raise CommandError("Nothing was imported.")
