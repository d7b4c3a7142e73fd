"""Prepare this week's factory order draft for each store (cron: every Monday morning)."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from dealerplan.inventory.reorder import prepare_factory_order
from dealerplan.org.models import Store


class Command(BaseCommand):
    help = (
        "Create or refresh this week's factory order draft for each active store from the "
        "forecast and the stock (idempotent; submitted orders are left alone)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--store", help="store code; all active stores when left out")
        parser.add_argument("--today", help="pretend today is this date, YYYY-MM-DD")

    def handle(self, *args, store=None, today=None, **options):
        stores = Store.objects.filter(is_active=True)
        if store:
            stores = stores.filter(code=store)
            if not stores.exists():
                raise CommandError(f"No active store with code {store!r}.")
        if isinstance(today, str):
            try:
                today = datetime.date.fromisoformat(today)
            except ValueError:
                raise CommandError(f"--today expects YYYY-MM-DD, got {today!r}") from None
        for s in stores:
            order = prepare_factory_order(s, today)
            lines = list(order.lines.all())
            cars = sum(line.ordered_qty for line in lines)
            self.stdout.write(
                f"{s.code}: week of {order.week_start} {order.status}, "
                f"{len(lines)} lines, {cars} cars"
            )
