"""``manage.py send_monthly_reports``: last month's reports to each store's managers.

Run it from cron every morning: on a store's first working day of the month it mails the
store's sales manager and general manager one workbook (the four monthly tables and the year
summary); on other days it does nothing. A store is sent once per month, however often it runs.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dealerplan.planning.visitplan import parse_month
from dealerplan.reports.mail import send_monthly_reports


class Command(BaseCommand):
    help = (
        "On the first working day of the month, e-mail each store's sales and general managers "
        "an .xlsx of last month's sales plan, visit plan, sales statistics and visit statistics "
        "with the year summary. Sends each store once per month."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--month",
            default=None,
            help="Report on this month, YYYY-MM, whatever today is (still once per store).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Build the workbooks and show who would get them; send and record nothing.",
        )

    def handle(self, *args, month=None, dry_run=False, **options):
        chosen = None
        if month:
            chosen = parse_month(month)
            if chosen is None or not 2000 <= chosen.year <= 2100:
                raise CommandError(f"--month expects YYYY-MM, got {month!r}")
        outcome = send_monthly_reports(today=timezone.localdate(), month=chosen, dry_run=dry_run)
        for line in outcome.sent:
            self.stdout.write(f"sent {line}")
        for line in outcome.would_send:
            self.stdout.write(f"would send {line}")
        for line in outcome.already_sent:
            self.stdout.write(f"already sent {line}")
        for line in outcome.no_recipients:
            self.stdout.write(f"no manager with an e-mail address: {line}")
        if outcome.not_due and not (outcome.sent or outcome.would_send):
            self.stdout.write("not the first working day of the month: nothing to send")
