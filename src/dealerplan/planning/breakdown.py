"""Splitting a number into parts that add up exactly: largest-remainder rounding.

Units are split in whole units and money to the fen. Each part is first rounded down to the
quantum; the quanta left over go to the parts with the largest remainders (the earlier part on
a tie), so the parts always sum to the total. Exact arithmetic with fractions: no float.
"""

import datetime
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

UNIT = Decimal("1")
FEN = Decimal("0.01")

#: Default monthly shares (percent) of a Chinese passenger-car year when a store has no
#: history: a strong January before Spring Festival, a weak February, a quiet summer and a
#: rising autumn to the December year-end push. Sums to 100.
DEFAULT_SEASONALITY = (
    Decimal("9.0"),
    Decimal("6.0"),
    Decimal("8.0"),
    Decimal("7.5"),
    Decimal("7.8"),
    Decimal("8.3"),
    Decimal("7.2"),
    Decimal("7.6"),
    Decimal("8.6"),
    Decimal("8.4"),
    Decimal("9.4"),
    Decimal("12.2"),
)


def split(total: Decimal, weights: Sequence, quantum: Decimal = UNIT) -> list[Decimal]:
    """Parts of ``total`` in proportion to ``weights``, each a multiple of ``quantum``.

    All-zero weights split equally. ``total`` must be a non-negative multiple of ``quantum``.
    """
    if not weights:
        raise ValueError("split needs at least one weight")
    total = Decimal(total)
    steps = Fraction(total) / Fraction(quantum)
    if steps.denominator != 1 or steps < 0:
        raise ValueError(f"{total} is not a non-negative multiple of {quantum}")
    shares = [Fraction(Decimal(str(w))) for w in weights]
    if any(share < 0 for share in shares):
        raise ValueError("weights must not be negative")
    weight_sum = sum(shares)
    if weight_sum == 0:
        shares, weight_sum = [Fraction(1)] * len(shares), Fraction(len(shares))
    exact = [steps * share / weight_sum for share in shares]
    floors = [int(value) for value in exact]
    leftover = int(steps) - sum(floors)
    by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in by_remainder[:leftover]:
        floors[i] += 1
    return [quantum * n for n in floors]


def split_target(
    quota: Decimal, goal: Decimal, weights: Sequence, quantum: Decimal = UNIT
) -> list[tuple[Decimal, Decimal]]:
    """Split a quota and its goal together so every part keeps goal >= quota.

    The quota and the stretch (goal - quota) are split separately, then added back.
    """
    if goal < quota:
        raise ValueError("the goal must not be below the quota")
    quotas = split(quota, weights, quantum)
    stretches = split(goal - quota, weights, quantum)
    return [(q, q + s) for q, s in zip(quotas, stretches, strict=True)]


def months_of(year: int) -> list[datetime.date]:
    return [datetime.date(year, month, 1) for month in range(1, 13)]
