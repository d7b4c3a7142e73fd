"""Rolling-origin backtest of the weekly demand forecast on the database's order history."""

import datetime
import time
from collections import defaultdict

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dealerplan.catalog.models import Trim
from dealerplan.inventory import forecast as fc
from dealerplan.inventory.reorder import order_histories
from dealerplan.org.models import Store

LABELS = {
    "chosen": "chosen (ETS / recent mean)",
    fc.ETS: "AutoETS everywhere",
    fc.RECENT_MEAN: f"recent mean ({fc.RECENT_WEEKS} weeks)",
    fc.SEASONAL_NAIVE: f"seasonal naive ({fc.SEASON_WEEKS} weeks)",
    fc.NAIVE: "naive",
}


def series_histories(histories: dict) -> dict:
    """Trim × colour histories summed per car series."""
    series_of = dict(
        Trim.objects.filter(pk__in={trim for trim, _c in histories}).values_list("pk", "series_id")
    )
    summed: dict[int, list[float]] = defaultdict(list)
    for (trim, _colour), weekly in histories.items():
        total = summed[series_of[trim]]
        if not total:
            total.extend([0.0] * len(weekly))
        for i, value in enumerate(weekly):
            total[i] += value
    return dict(summed)


class Command(BaseCommand):
    help = (
        "Backtest the weekly demand forecast: from each origin in the last --weeks weeks, "
        "forecast --horizon weeks and print the mean MASE of the chosen model beside seasonal "
        "naive and naive, for car series and for trim × colour."
    )

    def add_arguments(self, parser):
        parser.add_argument("--store", help="store code; all active stores when left out")
        parser.add_argument("--weeks", type=int, default=26, help="weeks of origins (26)")
        parser.add_argument("--horizon", type=int, default=4, help="weeks ahead (4)")
        parser.add_argument("--today", help="history up to the week before this date")

    def handle(self, *args, store=None, weeks=26, horizon=4, today=None, **options):
        weeks, horizon = int(weeks), int(horizon)
        if weeks < 1 or horizon < 1 or horizon > weeks:
            raise CommandError("--weeks and --horizon must be positive, horizon ≤ weeks.")
        try:
            today = datetime.date.fromisoformat(today) if today else timezone.localdate()
        except ValueError:
            raise CommandError(f"--today expects YYYY-MM-DD, got {today!r}") from None
        stores = Store.objects.filter(is_active=True)
        if store:
            stores = stores.filter(code=store)
        if not stores.exists():
            raise CommandError("No active store to backtest.")
        for s in stores:
            self.backtest_store(s, today, weeks, horizon)

    def backtest_store(self, store, today, weeks, horizon):
        histories = order_histories(store, today)
        if not histories:
            self.stdout.write(f"{store.code}: no order history.")
            return
        length = len(next(iter(histories.values())))
        self.stdout.write(
            f"{store.code}: {length} weeks of orders to {fc.week_start(today)} (excluded), "
            f"origins in the last {weeks} weeks, horizon {horizon} weeks; MASE (n forecasts)"
        )
        levels = {
            f"series ({len(series_histories(histories))})": series_histories(histories),
            f"trim × colour ({len(histories)})": histories,
        }
        results, seconds = {}, {}
        for level, level_histories in levels.items():
            started = time.perf_counter()
            results[level] = {
                score.method: score
                for score in fc.rolling_origin_backtest(
                    level_histories.values(), fc.BACKTEST_METHODS, weeks=weeks, horizon=horizon
                )
            }
            seconds[level] = time.perf_counter() - started
        width = max(len(label) for label in LABELS.values())
        header = f"  {'method':<{width}}" + "".join(f"  {level:>22}" for level in levels)
        self.stdout.write(header)
        for method, label in LABELS.items():
            cells = []
            for level in levels:
                score = results[level][method]
                cells.append(
                    f"{score.mase:>12.3f} ({score.scored:>6})"
                    if score.mase is not None
                    else f"{'n/a':>12} ({score.scored:>6})"
                )
            self.stdout.write(f"  {label:<{width}}" + "".join(f"  {c:>22}" for c in cells))
        self.stdout.write(
            "  seasonal naive is n/a where the history before the origin is under a year; "
            "series with no movement before the origin are not scored."
        )
        self.stdout.write(
            "  time: " + ", ".join(f"{level} {secs:.1f} s" for level, secs in seconds.items())
        )
