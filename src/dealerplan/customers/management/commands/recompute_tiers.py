"""Recompute account tiers from the last 12 months of purchases (run nightly by cron)."""

from django.core.management.base import BaseCommand, CommandError

from dealerplan.customers.services import recompute_tiers
from dealerplan.org.models import Store


class Command(BaseCommand):
    help = "Recompute every customer's account tier from their purchases (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--store", help="store code; all active stores when left out")

    def handle(self, *args, **options):
        stores = Store.objects.filter(is_active=True)
        if options["store"]:
            stores = stores.filter(code=options["store"])
            if not stores.exists():
                raise CommandError(f"No active store with code {options['store']!r}.")
        for store in stores:
            changed = recompute_tiers(store)
            self.stdout.write(f"{store.code}: {changed} customers changed tier")
