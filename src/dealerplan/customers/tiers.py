"""Account tiers from the last 12 months of purchases: pure arithmetic, no database."""

from dataclasses import dataclass
from decimal import Decimal

from .choices import AccountTier


@dataclass(frozen=True)
class Thresholds:
    vip: Decimal = Decimal("1000000.00")
    tier1: Decimal = Decimal("300000.00")
    tier2: Decimal = Decimal("100000.00")


def tier_for(amount: Decimal | None, thresholds: Thresholds) -> str:
    """The highest tier whose threshold the amount reaches; 'other' below them all."""
    amount = amount or Decimal("0")
    if amount >= thresholds.vip:
        return AccountTier.VIP
    if amount >= thresholds.tier1:
        return AccountTier.TIER1
    if amount >= thresholds.tier2:
        return AccountTier.TIER2
    return AccountTier.OTHER
