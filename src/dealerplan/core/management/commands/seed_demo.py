"""``manage.py seed_demo``: load the deterministic demo data set (demo logins included)."""

import time
import unicodedata
from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from dealerplan.core.demo.builder import (
    SIZES,
    DemoDataError,
    build_demo,
    database_has_data,
    default_today,
)


def _parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--today expects a date as YYYY-MM-DD, got {value!r}") from None


def _width(text: str) -> int:
    """Columns the text takes in a terminal (Chinese characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


class Command(BaseCommand):
    help = (
        "Create believable demo data: a dealership with consultants, customers, a year of "
        "activities, orders, stock and deals. Deterministic for a given --seed and --today."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--size", choices=list(SIZES), default="small", help="How much data (default: small)."
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=1,
            help="Random seed; the same seed and --today give the same data.",
        )
        parser.add_argument(
            "--today",
            default=None,
            help="Pretend today is this date, YYYY-MM-DD (default: today in Asia/Shanghai).",
        )
        parser.add_argument(
            "--password",
            default=None,
            help="Password of every demo login (default: DEALERPLAN_DEMO_PASSWORD).",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already has a store.",
        )

    def handle(self, *args, size, seed, today, password, if_empty, **options):
        if if_empty and database_has_data():
            self.stdout.write("The database already has data; demo data not loaded.")
            return
        if size not in SIZES:
            raise CommandError(f"Unknown --size {size!r}; choose from {', '.join(SIZES)}.")
        try:
            seed = int(seed)  # call_command() passes options through unconverted
        except (TypeError, ValueError):
            raise CommandError(f"--seed expects an integer, got {seed!r}") from None
        if isinstance(today, str):
            today = _parse_day(today)
        today = today or default_today()
        password = password or settings.DEALERPLAN_DEMO_PASSWORD
        started = time.monotonic()
        try:
            with transaction.atomic():
                result = build_demo(size=size, seed=seed, today=today, password=password)
        except DemoDataError as exc:
            raise CommandError(f"{exc}. Flush the database or use --if-empty.") from exc
        elapsed = time.monotonic() - started

        out = self.stdout
        out.write(
            self.style.SUCCESS(
                f"Demo data created (size {result.size}, seed {result.seed}, "
                f"today {result.today:%Y-%m-%d}, store {', '.join(result.store_codes)}) "
                f"in {elapsed:.1f} s:"
            )
        )
        width = max(len(label) for label in result.counts)
        for label, count in result.counts.items():
            out.write(f"  {label:<{width}}  {count:>7,}")
        out.write("")
        out.write("Demo logins:")
        multi_store = len(result.store_codes) > 1
        name_width = max(_width(login.username) for login in result.logins)
        role_width = max(_width(login.role_display) for login in result.logins)
        header = f"  {_pad('username', name_width)}  {_pad('role', role_width)}  password"
        out.write(header + ("  store" if multi_store else ""))
        for login in result.logins:
            line = (
                f"  {_pad(login.username, name_width)}  {_pad(login.role_display, role_width)}  "
                f"{login.password}"
            )
            out.write(line + (f"  {login.store_code}" if multi_store else ""))
        out.write(
            self.style.WARNING(
                "These passwords are for demo data only; never use them (or this data) "
                "in production."
            )
        )
