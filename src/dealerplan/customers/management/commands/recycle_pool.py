"""Return unattended and approved-lost leads to each store's public pool (公海).

    dealerplan recycle_pool                # every active store
    dealerplan recycle_pool --store bj-cy  # one store

Run it nightly from cron or the task scheduler; it is idempotent (a second run moves nothing).
"""

from django.core.management.base import BaseCommand, CommandError

from dealerplan.customers.pool import recycle_stale
from dealerplan.org.models import Store


class Command(BaseCommand):
    help = "Return leads without follow-up, and approved lost leads, to the public pool."

    def add_arguments(self, parser):
        parser.add_argument("--store", help="store code (default: every active store)")

    def handle(self, *args, **options):
        stores = Store.objects.filter(is_active=True)
        if options["store"]:
            stores = Store.objects.filter(code=options["store"])
            if not stores.exists():
                raise CommandError(f"No store with code {options['store']!r}.")
        total = 0
        for store in stores.order_by("code"):
            moved = recycle_stale(store)
            total += moved
            self.stdout.write(f"{store.code}: {moved} customer(s) returned to the pool")
        self.stdout.write(self.style.SUCCESS(f"{total} customer(s) returned in all"))
