"""Domain rules for deals: default pipelines, moving between stages, saving, the forecast.

Views, commands and the API call these plain functions; none of them sees a request.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections, transaction
from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.utils import bulk_create_with_history

from dealerplan.activities.choices import ActivityKind
from dealerplan.activities.followup import DUE_TIME, SHANGHAI
from dealerplan.activities.models import Activity
from dealerplan.activities.services import log_activity
from dealerplan.core.choices import Role
from dealerplan.customers.models import Customer
from dealerplan.customers.services import can_edit_customers

from .choices import DealStatus, PipelineKind
from .models import Deal, Pipeline, Stage, StageChange

FEN = Decimal("0.01")

EDIT_ROLES = frozenset(
    {
        Role.CONSULTANT,
        Role.SHOWROOM_MANAGER,
        Role.SALES_MANAGER,
        Role.GENERAL_MANAGER,
        Role.GROUP_MANAGER,
        Role.ADMIN,
    }
)


@dataclass(frozen=True)
class StageDefault:
    name: str
    probability: int
    follow_up_days: int | None
    is_won: bool = False
    is_lost: bool = False


#: The two pipelines every store starts with: (name, kind, is_default, stages in order).
DEFAULT_PIPELINES = (
    (
        "零售",
        PipelineKind.RETAIL,
        True,
        (
            StageDefault("意向", 10, 7),
            StageDefault("试驾", 30, 5),
            StageDefault("报价", 50, 3),
            StageDefault("订单", 90, None, is_won=True),
            StageDefault("战败", 0, None, is_lost=True),
        ),
    ),
    (
        "大客户/招投标",
        PipelineKind.FLEET,
        False,
        (
            # Weekly contact while the project is being designed, fortnightly after.
            StageDefault("前期设计", 10, 7),
            StageDefault("投标", 30, 14),
            StageDefault("深化设计", 50, 14),
            StageDefault("签约", 70, 14),
            StageDefault("备货执行", 85, 14),
            StageDefault("验收", 95, 14),
            StageDefault("回款", 100, None, is_won=True),
            StageDefault("未中标", 0, None, is_lost=True),
        ),
    ),
)


def can_edit_deals(user) -> bool:
    return user.is_authenticated and (user.is_superuser or user.role in EDIT_ROLES)


@transaction.atomic
def ensure_default_pipelines(store) -> list[Pipeline]:
    """Create the store's retail and fleet pipelines and their stages; idempotent.

    Existing pipelines and stages (matched by name) are left as the store configured them; only
    missing ones are added.
    """
    pipelines = []
    for name, kind, is_default, stages in DEFAULT_PIPELINES:
        pipeline, _created = Pipeline.objects.get_or_create(
            store=store, name=name, defaults={"kind": kind, "is_default": is_default}
        )
        existing = set(pipeline.stages.values_list("name", flat=True))
        bulk_create_with_history(
            [
                Stage(
                    pipeline=pipeline,
                    name=spec.name,
                    position=position,
                    probability=spec.probability,
                    follow_up_days=spec.follow_up_days,
                    is_won=spec.is_won,
                    is_lost=spec.is_lost,
                )
                for position, spec in enumerate(stages)
                if spec.name not in existing
            ],
            Stage,
        )
        pipelines.append(pipeline)
    return pipelines


def status_for(stage: Stage) -> str:
    if stage.is_won:
        return DealStatus.WON
    if stage.is_lost:
        return DealStatus.LOST
    return DealStatus.OPEN


def follow_up_for(stage: Stage, *, now: datetime.datetime | None = None):
    """10:00 Shanghai time ``follow_up_days`` after today; None for closed or unpaced stages."""
    if stage.is_won or stage.is_lost or not stage.follow_up_days:
        return None
    local_day = timezone.localtime(now or timezone.now(), SHANGHAI).date()
    day = local_day + datetime.timedelta(days=stage.follow_up_days)
    return datetime.datetime.combine(day, DUE_TIME, tzinfo=SHANGHAI)


def _apply_stage(deal: Deal, stage: Stage, *, user, now) -> StageChange:
    change = StageChange.objects.create(
        deal=deal,
        from_stage_id=deal.stage_id if deal.pk else None,
        to_stage=stage,
        changed_at=now,
        changed_by=user,
    )
    deal.stage = stage
    deal.status = status_for(stage)
    deal.next_follow_up_at = follow_up_for(stage, now=now)
    return change


def log_stage_move(user, deal: Deal, from_stage: Stage, to_stage: Stage, *, now) -> Activity | None:
    """Put a stage move on the customer's timeline ("阶段：试驾 → 报价") as a note.

    The customer's next follow-up becomes the new stage's, so the move never brings it
    earlier than the stage's pace; a date already set between now and then is kept, and a
    closed or unpaced stage leaves it alone. No note when the user may not work on the
    customer (say the card has been handed to a colleague): the move itself still counts.
    """
    if not can_edit_customers(user):
        return None
    customer = Customer.objects.visible_to(user).filter(pk=deal.customer_id).first()
    if customer is None:
        return None
    due = follow_up_for(to_stage, now=now)
    current = customer.next_follow_up_at
    if due is not None and current is not None and now < current < due:
        due = None
    summary = gettext("Stage: %(from)s → %(to)s") % {"from": from_stage.name, "to": to_stage.name}
    return log_activity(
        user=user,
        customer=customer,
        kind=ActivityKind.NOTE,
        notes=summary,
        done_at=now,
        next_follow_up_at=due,
    )


@transaction.atomic
def move_deal(user, deal: Deal, stage: Stage) -> Deal:
    """Move a deal the user may see to another stage of its pipeline, keeping the history.

    Status follows the stage (won, lost, else open) and the next follow-up is set from the
    stage's interval; a closed deal has none. The move is noted on the customer's timeline
    (:func:`log_stage_move`). Moving to the current stage changes nothing.
    """
    if not can_edit_deals(user):
        raise PermissionDenied
    locked = Deal.objects.visible_to(user).select_for_update().filter(pk=deal.pk).first()
    if locked is None:
        raise PermissionDenied
    if stage.pipeline_id != locked.pipeline_id:
        raise ValidationError(
            _("That stage belongs to another pipeline."), code="stage_not_in_pipeline"
        )
    if stage.pk == locked.stage_id:
        return locked
    now = timezone.now()
    from_stage = locked.stage
    _apply_stage(locked, stage, user=user, now=now)
    locked.save(update_fields=["stage", "status", "next_follow_up_at", "updated_at"])
    log_stage_move(user, locked, from_stage, stage, now=now)
    deal.stage, deal.status = locked.stage, locked.status
    deal.next_follow_up_at = locked.next_follow_up_at
    return locked


@transaction.atomic
def save_deal(user, deal: Deal) -> Deal:
    """Create or update a deal on behalf of ``user``.

    The store comes from the user (or the pipeline, for group-wide users); a consultant's deal
    is theirs. The customer must be one the user may see, the stage must be of the deal's
    pipeline; a new deal or a changed stage is recorded in the stage history, and a changed
    stage on the customer's timeline too.
    """
    if not can_edit_deals(user):
        raise PermissionDenied
    previous = None
    if deal.pk is not None:
        previous = Deal.objects.visible_to(user).filter(pk=deal.pk).first()
        if previous is None:
            raise PermissionDenied
    if (user.role == Role.CONSULTANT and not user.sees_all_stores) or deal.owner_id is None:
        deal.owner = user
    if (
        deal.pipeline_id is None
        or not Pipeline.objects.visible_to(user).filter(pk=deal.pipeline_id).exists()
    ):
        raise ValidationError({"pipeline": _("Choose one of your store's pipelines.")})
    if deal.store_id is None:
        deal.store_id = user.store_id or deal.pipeline.store_id
    if deal.pipeline.store_id != deal.store_id:
        raise ValidationError({"pipeline": _("Choose one of your store's pipelines.")})
    if (
        not Customer.objects.visible_to(user)
        .filter(pk=deal.customer_id, store_id=deal.store_id)
        .exists()
    ):
        raise ValidationError({"customer": _("Choose one of your own customers.")})
    if deal.stage_id is None or deal.stage.pipeline_id != deal.pipeline_id:
        raise ValidationError({"stage": _("That stage belongs to another pipeline.")})
    stage_changed = previous is None or previous.stage_id != deal.stage_id
    deal.status = status_for(deal.stage)
    now = timezone.now()
    if stage_changed:
        follow_up = deal.next_follow_up_at
        if previous is not None and follow_up == previous.next_follow_up_at:
            follow_up = None  # not touched in the form: the new stage sets the pace
        deal.next_follow_up_at = follow_up or follow_up_for(deal.stage, now=now)
    if deal.status != DealStatus.OPEN:
        deal.next_follow_up_at = None
    deal.save()
    if stage_changed:
        StageChange.objects.create(
            deal=deal,
            from_stage_id=previous.stage_id if previous else None,
            to_stage=deal.stage,
            changed_at=now,
            changed_by=user,
        )
        if previous is not None:
            log_stage_move(user, deal, previous.stage, deal.stage, now=now)
    if not Deal.objects.visible_to(user).filter(pk=deal.pk).exists():
        raise PermissionDenied
    return deal


# -- board -----------------------------------------------------------------------------------

CLOSED_STATUSES = (DealStatus.WON, DealStatus.LOST)
#: Closed deals stay on the board this long after their last change.
BOARD_CLOSED_DAYS = 30
#: Most urgent first: next follow-up, then the bigger deal.
BOARD_ORDER = ("next_follow_up_at", "-amount", "pk")


@dataclass(frozen=True)
class BoardColumn:
    stage: Stage
    deals: list[Deal]  # the first cards in BOARD_ORDER
    count: int  # all the stage's deals on the board
    amount: Decimal

    @property
    def more(self) -> int:
        return max(self.count - len(self.deals), 0)  # never negative, even if a deal just moved


def board_deals(user, pipeline: Pipeline, *, owner_id: int | None = None):
    """The pipeline's deals the user may see, of one consultant if ``owner_id`` is given."""
    deals = Deal.objects.visible_to(user).filter(pipeline=pipeline, is_archived=False)
    if owner_id is not None:
        deals = deals.filter(owner_id=owner_id)
    return deals


def board_columns(
    deals, stages: list[Stage], *, per_column: int, now: datetime.datetime | None = None
) -> list[BoardColumn]:
    """Each stage's count and amount of the deals on the board, and its first ``per_column`` cards.

    A deal is on the board while open and for BOARD_CLOSED_DAYS after it was closed. The two
    kinds are read apart, each from its partial index (``deal_board_idx``, ``deal_closed_idx``),
    instead of every deal of the pipeline: counts and sums in one GROUP BY per kind, cards per
    stage and kind with a LIMIT, in board order straight from the index. Where the database
    allows LIMIT inside UNION ALL (PostgreSQL) the card parts are one query, else one each;
    either way the number of queries depends on the stages only, never on the deals.
    """
    since = (now or timezone.now()) - datetime.timedelta(days=BOARD_CLOSED_DAYS)
    open_deals = deals.exclude(status__in=CLOSED_STATUSES)
    closed_deals = deals.filter(status__in=CLOSED_STATUSES, updated_at__gte=since)
    count: dict[int, int] = defaultdict(int)
    amount: dict[int, Decimal] = defaultdict(Decimal)
    totals = [
        part.order_by().values_list("stage_id").annotate(Count("pk"), Sum("amount"))
        for part in (open_deals, closed_deals)
    ]
    for stage_id, n, total in totals[0].union(totals[1], all=True):
        count[stage_id] += n
        amount[stage_id] += total.quantize(FEN)  # exact on PostgreSQL; SQLite sums floats
    parts = []
    for stage in stages:
        for part in (open_deals, closed_deals):
            parts.append(
                part.filter(stage=stage)
                .order_by(*BOARD_ORDER)
                .values_list("pk", flat=True)[:per_column]
            )
    if not parts:
        ids = []
    elif connections[deals.db].features.supports_slicing_ordering_in_compound:
        ids = list(parts[0].union(*parts[1:], all=True))
    else:
        ids = [pk for part in parts for pk in part]
    cards: dict[int, list[Deal]] = defaultdict(list)
    for deal in deals.filter(pk__in=ids).select_related("customer", "owner").order_by(*BOARD_ORDER):
        if len(cards[deal.stage_id]) < per_column:
            cards[deal.stage_id].append(deal)
    return [
        BoardColumn(
            stage=stage,
            deals=cards[stage.pk],
            count=count[stage.pk],
            amount=amount[stage.pk],
        )
        for stage in stages
    ]


# -- project tracking ------------------------------------------------------------------------


def fleet_projects(deals):
    """The fleet / tender deals among ``deals`` (项目跟踪表).

    Filtered by the ids of the fleet pipelines rather than a join on their kind, so PostgreSQL
    reads just the store's fleet deals from ``deal_open_store_idx`` (store, pipeline) instead of
    every open deal of the store. One small query for the ids.
    """
    fleet = list(
        Pipeline.objects.filter(kind=PipelineKind.FLEET).order_by().values_list("pk", flat=True)
    )
    return deals.filter(pipeline_id__in=fleet)


# -- key dates -------------------------------------------------------------------------------

KEY_DATE_FIELDS = ("bid_date", "contract_date", "delivery_date", "acceptance_date")


def next_key_date(deal: Deal, today: datetime.date) -> tuple[str, datetime.date] | None:
    """The nearest key date (bid, contract, delivery, acceptance) from today on, with its field."""
    upcoming = [
        (value, name)
        for name in KEY_DATE_FIELDS
        if (value := getattr(deal, name)) is not None and value >= today
    ]
    if not upcoming:
        return None
    value, name = min(upcoming)
    return name, value


# -- stage history ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StageSpell:
    change: StageChange
    ended_at: datetime.datetime | None
    duration: datetime.timedelta

    @property
    def days(self) -> Decimal:
        return (Decimal(self.duration.total_seconds()) / Decimal(86400)).quantize(Decimal("0.1"))


def stage_history(deal: Deal, *, now: datetime.datetime | None = None) -> list[StageSpell]:
    """Each stage the deal went through and how long it stayed (cycle time); the last one runs
    until now unless the deal is closed."""
    now = now or timezone.now()
    changes = list(
        deal.stage_changes.select_related("from_stage", "to_stage", "changed_by").order_by(
            "changed_at", "pk"
        )
    )
    spells = []
    for index, change in enumerate(changes):
        ended = changes[index + 1].changed_at if index + 1 < len(changes) else None
        end = ended or (change.changed_at if deal.status != DealStatus.OPEN else now)
        spells.append(StageSpell(change, ended, max(end - change.changed_at, datetime.timedelta())))
    return spells


# -- forecast --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ForecastMonth:
    month: datetime.date
    deal_count: int
    amount: Decimal
    weighted: Decimal
    target: Decimal | None

    @property
    def ratio(self) -> Decimal | None:
        if not self.target:
            return None
        return (self.weighted / self.target).quantize(Decimal("0.0001"), ROUND_HALF_UP)

    @property
    def gap(self) -> Decimal | None:
        return None if self.target is None else self.target - self.weighted


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def add_months(day: datetime.date, count: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + count
    return datetime.date(index // 12, index % 12 + 1, 1)


def revenue_targets(user, months: list[datetime.date]) -> dict[datetime.date, Decimal]:
    """Revenue quota of the store month plans the user's deals count towards, by month."""
    from dealerplan.planning.choices import Metric, PeriodType, PlanScope
    from dealerplan.planning.models import PlanLine

    lines = PlanLine.objects.filter(
        metric=Metric.REVENUE,
        series__isnull=True,
        plan__period_type=PeriodType.MONTH,
        plan__scope=PlanScope.STORE,
        plan__period_start__in=months,
        plan__is_archived=False,
    )
    if not user.sees_all_stores:
        lines = lines.filter(plan__store_id=user.store_id)
    targets: dict[datetime.date, Decimal] = {}
    for start, quota in lines.values_list("plan__period_start", "quota"):
        targets[start] = targets.get(start, Decimal("0")) + quota
    return targets


def forecast(
    user, months: int = 3, *, today: datetime.date | None = None, deals=None
) -> list[ForecastMonth]:
    """Σ amount × stage probability of the open deals the user sees, by expected close month.

    ``months`` months from the current one; deals expected earlier (overdue closes) count in
    the current month. The database sums the amounts per close month and stage probability;
    the weighting is exact in Decimal and rounded to the fen once per month (half up), so the
    total is not the sum of rounded parts. Two queries whatever the deal count.
    """
    today = today or timezone.localdate()
    first = month_start(today)
    month_list = [add_months(first, n) for n in range(months)]
    end = add_months(first, months)
    qs = deals if deals is not None else Deal.objects.visible_to(user)
    rows = (
        qs.filter(
            status=DealStatus.OPEN,
            is_archived=False,
            expected_close_date__isnull=False,
            expected_close_date__lt=end,
        )
        .annotate(month=TruncMonth("expected_close_date"))
        .order_by()
        .values_list("month", "stage__probability")
        .annotate(count=Count("pk"), amount=Sum("amount"))
    )
    counts: dict[datetime.date, int] = defaultdict(int)
    amounts: dict[datetime.date, Decimal] = defaultdict(Decimal)
    weighted: dict[datetime.date, Decimal] = defaultdict(Decimal)
    for close_month, probability, count, amount in rows:
        month = max(close_month, first)
        amount = amount.quantize(FEN)  # exact on PostgreSQL; SQLite sums in floating point
        counts[month] += count
        amounts[month] += amount
        weighted[month] += amount * probability
    targets = revenue_targets(user, month_list)
    return [
        ForecastMonth(
            month=month,
            deal_count=counts[month],
            amount=amounts[month].quantize(FEN),
            weighted=(weighted[month] / 100).quantize(FEN, ROUND_HALF_UP),
            target=targets.get(month),
        )
        for month in month_list
    ]
