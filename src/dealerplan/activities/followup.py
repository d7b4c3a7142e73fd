"""When is a customer due again? Pure date arithmetic, no database.

The interval comes from the intention level (H 2 days, A 7, B 14, C 30, O 7 by default) and,
for account tiers with a visit rhythm (VIP monthly, tier 1 every two months), from the tier;
the nearer of the two wins. Follow-ups fall due at 10:00 local time, since calls are made in
the morning.
"""

import datetime
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
DUE_TIME = datetime.time(10, 0)

DEFAULT_LEVEL_DAYS = {"H": 2, "A": 7, "B": 14, "C": 30, "O": 7}
DEFAULT_TIER_DAYS: dict[str, int | None] = {"vip": 30, "tier1": 60, "tier2": None}


@dataclass(frozen=True)
class Rhythm:
    level_days: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_LEVEL_DAYS))
    tier_days: dict[str, int | None] = field(default_factory=lambda: dict(DEFAULT_TIER_DAYS))

    def interval(self, level: str, tier: str) -> int | None:
        """Days until the next contact, or None when nothing is due (lost, or owner on demand)."""
        candidates = [
            days
            for days in (self.level_days.get(level), self.tier_days.get(tier))
            if days is not None and days > 0
        ]
        return min(candidates) if candidates else None


def next_follow_up(
    *, level: str, tier: str, contacted_at: datetime.datetime, rhythm: Rhythm | None = None
) -> datetime.datetime | None:
    """The moment the customer is due again after a contact at ``contacted_at`` (aware)."""
    days = (rhythm or Rhythm()).interval(level, tier)
    if days is None:
        return None
    local_day = contacted_at.astimezone(SHANGHAI).date() + datetime.timedelta(days=days)
    return datetime.datetime.combine(local_day, DUE_TIME, tzinfo=SHANGHAI)
