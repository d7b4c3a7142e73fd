"""``manage.py send_reminders``: the morning follow-up e-mails and notifications.

Run it from cron every few minutes with ``--at 08:30``: before 08:30 (Asia/Shanghai) it does
nothing, afterwards it sends each recipient's reminder once for the day; later runs that day
send nothing new.
"""

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dealerplan.activities.calendar import send_reminders


def _parse_time(value: str) -> datetime.time:
    try:
        return datetime.time.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--at expects a time as HH:MM, got {value!r}") from None


class Command(BaseCommand):
    help = (
        "E-mail each active consultant today's follow-ups (overdue first, then due today, "
        "H > A > B > C) and planned activities, and each store manager the overdue summary per "
        "consultant; also create an in-app notification. Sends at most once per local day."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--at",
            default=None,
            help="Send only from this local time on, HH:MM (e.g. 08:30); earlier runs do nothing.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Show who would get what; send and record nothing.",
        )
        parser.add_argument(
            "--base-url",
            default=getattr(settings, "DEALERPLAN_BASE_URL", ""),
            help="Site address for links in the e-mails, e.g. https://crm.example.com "
            "(default: the DEALERPLAN_BASE_URL setting; without it the e-mails carry no links).",
        )

    def handle(self, *args, at=None, dry_run=False, base_url="", **options):
        if isinstance(at, str):
            at = _parse_time(at)
        now = timezone.now()
        local = timezone.localtime(now)
        if at is not None and local.time() < at:
            self.stdout.write(f"{local:%H:%M} is before {at:%H:%M}; nothing sent.")
            return
        run = send_reminders(now=now, dry_run=dry_run, base_url=base_url or "")
        prefix = "[dry run] " if dry_run else ""
        sections = [
            ("notified", run.notified),
            ("e-mailed", run.emailed),
            ("no e-mail address (notification only)", run.no_email),
            ("already sent today", run.already_sent),
            ("nothing due", run.nothing_due),
            ("failed", run.failed),
        ]
        self.stdout.write(f"{prefix}Reminders for {run.today:%Y-%m-%d}:")
        for label, names in sections:
            if names:
                self.stdout.write(
                    f"  {label}: {len(names)} ({', '.join(names[:20])}"
                    f"{', …' if len(names) > 20 else ''})"
                )
            else:
                self.stdout.write(f"  {label}: 0")
        if run.failed:
            raise CommandError(f"{len(run.failed)} reminder(s) could not be sent; see the log.")
