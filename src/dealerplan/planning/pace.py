"""Plan against actual: how far along a target is, where the month will end, and who sold what.

Pure arithmetic on ``Decimal`` (no database, no float). :func:`pace` compares a target with the
actual figure so far, given the working days of the period; :func:`contribution` splits one
sale between the consultants who share it so that the parts add up exactly.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from .breakdown import split

#: Money is shown to the fen.
MONEY = Decimal("0.01")
#: Units are whole when counted, but projections may be fractional: one decimal.
UNITS = Decimal("0.1")
#: Achievement and projected ratios (1.0250 = 102.5 %).
RATIO = Decimal("0.0001")
#: A share of a sale: money to the fen, units to a hundredth of a car.
SHARE = Decimal("0.01")

#: The status band: within 5 % either side of the expected-to-date figure is "on track".
#: Below 95 % of it is "behind", above 105 % "ahead". Equivalently: the projected month end
#: within 95 %–105 % of the target.
TOLERANCE = Decimal("0.05")

K = TypeVar("K", bound=Hashable)


class PaceStatus(models.TextChoices):
    AHEAD = "ahead", _("Ahead of plan")
    ON_TRACK = "on_track", _("On track")
    BEHIND = "behind", _("Behind plan")


def _decimal(name: str, value) -> Decimal:
    if isinstance(value, float):
        raise TypeError(f"{name} must be a Decimal, not a float")
    return Decimal(value)


def _q(value: Decimal, quantum: Decimal) -> Decimal:
    return value.quantize(quantum, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Pace:
    """Where a target stands after ``workdays_elapsed`` of ``workdays_total`` working days."""

    target: Decimal
    actual: Decimal
    workdays_total: int
    workdays_elapsed: int
    #: actual ÷ target (to 4 places), None when the target is 0.
    achievement: Decimal | None
    #: target × elapsed ÷ total: where a steady pace would be by now.
    expected: Decimal
    #: actual − expected: positive ahead, negative behind.
    ahead_by: Decimal
    #: actual × total ÷ elapsed: the month end at the pace so far (actual when nothing elapsed).
    projected: Decimal
    #: projected ÷ target, None when the target is 0.
    projected_ratio: Decimal | None
    #: What each remaining working day must bring to reach the target (0 when reached), None
    #: when no working day remains.
    needed_per_day: Decimal | None
    status: str

    @property
    def status_label(self) -> str:
        return PaceStatus(self.status).label

    @property
    def behind_by(self) -> Decimal:
        """The shortfall against expected-to-date as a positive amount (0 when not behind)."""
        return -self.ahead_by if self.ahead_by < 0 else Decimal(0)


def pace(
    target: Decimal,
    actual: Decimal,
    *,
    workdays_total: int,
    workdays_elapsed: int,
    quantum: Decimal = MONEY,
) -> Pace:
    """Plan-versus-actual figures for one target.

    ``quantum`` is :data:`MONEY` (0.01, the default) for revenue and gross profit, :data:`UNITS`
    (0.1) for units. Amounts are rounded half up to it, ratios to 4 places; the status is judged
    on the unrounded figures with the :data:`TOLERANCE` band: ``behind`` when actual is below
    95 % of expected-to-date, ``ahead`` above 105 %, else ``on_track``. With nothing expected yet
    (no working day elapsed, or a target of 0) any positive actual is ahead.
    """
    target = _decimal("target", target)
    actual = _decimal("actual", actual)
    if target < 0:
        raise ValueError("the target must not be negative")
    if workdays_total <= 0:
        raise ValueError("the period must have at least one working day")
    if not 0 <= workdays_elapsed <= workdays_total:
        raise ValueError("elapsed working days must be between 0 and the total")

    expected = target * workdays_elapsed / workdays_total
    if workdays_elapsed in (0, workdays_total):
        projected = actual
    else:
        projected = actual * workdays_total / workdays_elapsed

    if actual < expected * (1 - TOLERANCE):
        status = PaceStatus.BEHIND
    elif actual > expected * (1 + TOLERANCE):
        status = PaceStatus.AHEAD
    else:
        status = PaceStatus.ON_TRACK

    remaining_days = workdays_total - workdays_elapsed
    needed_per_day = None
    if remaining_days:
        needed_per_day = _q(max(target - actual, Decimal(0)) / remaining_days, quantum)

    return Pace(
        target=target,
        actual=actual,
        workdays_total=workdays_total,
        workdays_elapsed=workdays_elapsed,
        achievement=_q(actual / target, RATIO) if target else None,
        expected=_q(expected, quantum),
        ahead_by=_q(actual - expected, quantum),
        projected=_q(projected, quantum),
        projected_ratio=_q(projected / target, RATIO) if target else None,
        needed_per_day=needed_per_day,
        status=status.value,
    )


def contribution(
    total: Decimal, shares: Mapping[K, Decimal], *, quantum: Decimal = SHARE
) -> dict[K, Decimal]:
    """Split one sale's ``total`` (units or money) between the consultants who share it.

    ``shares`` maps each consultant (any key) to a fraction, e.g. ``{a: Decimal("0.7"),
    b: Decimal("0.3")}``; the fractions must be non-negative and add up to exactly 1. Each part
    is a multiple of ``quantum`` (0.01: money to the fen, units to a hundredth of a car) and the
    parts add up exactly to ``total``: each is rounded down, and the hundredths left over go to
    the largest remainders, the earlier key on a tie. A negative total (a loss-making sale's
    gross profit) is split the same way with the sign kept.
    """
    if not shares:
        raise ValueError("a sale needs at least one consultant's share")
    total = _decimal("total", total)
    fractions = {key: _decimal("share", value) for key, value in shares.items()}
    if any(value < 0 for value in fractions.values()):
        raise ValueError("shares must not be negative")
    if sum(fractions.values()) != 1:
        raise ValueError("shares must add up to 1")
    parts = split(abs(total), list(fractions.values()), quantum)
    if total < 0:
        parts = [-part if part else part for part in parts]
    return dict(zip(fractions, parts, strict=True))


__all__ = [
    "MONEY",
    "RATIO",
    "SHARE",
    "TOLERANCE",
    "UNITS",
    "Pace",
    "PaceStatus",
    "contribution",
    "pace",
]
