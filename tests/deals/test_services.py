import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from dealerplan.deals import services
from dealerplan.deals.models import Deal, Pipeline, Stage, StageChange
from dealerplan.planning.models import Plan, PlanLine
from tests.deals.factories_deals import default_stages, make_deal
from tests.factories import CustomerFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.django_db
class TestDefaultPipelines:
    def test_creates_retail_and_fleet_pipelines_with_paced_stages(self, personas):
        services.ensure_default_pipelines(personas.store)
        fleet = Pipeline.objects.get(store=personas.store, kind="fleet")
        stages = list(fleet.stages.order_by("position"))
        assert [s.name for s in stages] == [
            "前期设计", "投标", "深化设计", "签约", "备货执行", "验收", "回款", "未中标",
        ]  # fmt: skip
        assert stages[0].follow_up_days == 7
        assert {s.follow_up_days for s in stages[1:6]} == {14}
        assert stages[6].is_won and stages[7].is_lost
        retail = Pipeline.objects.get(store=personas.store, kind="retail", is_default=True)
        assert list(retail.stages.values_list("name", flat=True)) == [
            "意向", "试驾", "报价", "订单", "战败",
        ]  # fmt: skip

    def test_running_twice_changes_nothing(self, personas):
        services.ensure_default_pipelines(personas.store)
        Stage.objects.filter(name="投标").update(probability=40)  # a store's own setting
        services.ensure_default_pipelines(personas.store)
        assert Pipeline.objects.filter(store=personas.store).count() == 2
        assert Stage.objects.filter(pipeline__store=personas.store).count() == 13
        assert Stage.objects.get(name="投标").probability == 40


@pytest.mark.django_db
class TestMoveDeal:
    def test_move_records_history_and_sets_follow_up_from_stage_interval(self, personas):
        deal = make_deal(personas.consultant, "前期设计")
        bid = default_stages(personas.store)["投标"]
        # 23:30 Shanghai on 1 March = 15:30 UTC: the local day counts, not the UTC one.
        with time_machine.travel(
            datetime.datetime(2027, 3, 1, 23, 30, tzinfo=SHANGHAI), tick=False
        ):
            services.move_deal(personas.consultant, deal, bid)
        deal.refresh_from_db()
        assert deal.stage == bid and deal.status == "open"
        assert deal.next_follow_up_at == datetime.datetime(2027, 3, 15, 10, 0, tzinfo=SHANGHAI)
        change = StageChange.objects.get(deal=deal)
        assert change.from_stage.name == "前期设计"
        assert change.to_stage == bid
        assert change.changed_by == personas.consultant

    def test_won_and_lost_stages_close_the_deal_without_follow_up(self, personas):
        stages = default_stages(personas.store)
        won = make_deal(
            personas.consultant,
            "验收",
            next_follow_up_at=datetime.datetime(2027, 1, 1, tzinfo=SHANGHAI),
        )
        lost = make_deal(personas.consultant, "投标")
        services.move_deal(personas.consultant, won, stages["回款"])
        services.move_deal(personas.consultant, lost, stages["未中标"])
        won.refresh_from_db()
        lost.refresh_from_db()
        assert (won.status, won.next_follow_up_at) == ("won", None)
        assert (lost.status, lost.next_follow_up_at) == ("lost", None)

    def test_reopening_a_lost_deal_makes_it_open_again(self, personas):
        deal = make_deal(personas.consultant, "战败", status="lost")
        services.move_deal(personas.consultant, deal, default_stages(personas.store)["报价"])
        deal.refresh_from_db()
        assert deal.status == "open"
        assert deal.next_follow_up_at is not None

    def test_stage_of_another_pipeline_is_refused_and_nothing_is_written(self, personas):
        deal = make_deal(personas.consultant, "意向")
        with pytest.raises(ValidationError):
            services.move_deal(personas.consultant, deal, default_stages(personas.store)["投标"])
        deal.refresh_from_db()
        assert deal.stage.name == "意向"
        assert not StageChange.objects.exists()

    @pytest.mark.parametrize("mover", ["colleague", "other_manager", "finance"])
    def test_users_out_of_scope_or_role_cannot_move(self, personas, mover):
        deal = make_deal(personas.consultant, "意向")
        with pytest.raises(PermissionDenied):
            services.move_deal(
                getattr(personas, mover), deal, default_stages(personas.store)["试驾"]
            )
        assert not StageChange.objects.exists()
        assert Deal.objects.get(pk=deal.pk).stage.name == "意向"

    def test_manager_may_move_a_consultants_deal(self, personas):
        deal = make_deal(personas.consultant, "意向")
        services.move_deal(personas.sales_manager, deal, default_stages(personas.store)["试驾"])
        assert StageChange.objects.get().changed_by == personas.sales_manager


@pytest.mark.django_db
class TestSaveDeal:
    def new_deal(self, personas, customer, stage_name="意向"):
        stage = default_stages(personas.store)[stage_name]
        return Deal(customer=customer, pipeline=stage.pipeline, stage=stage, title="新商机")

    def test_new_deal_is_the_consultants_with_its_first_stage_in_history(self, personas):
        customer = CustomerFactory(owner=personas.consultant)
        with time_machine.travel(datetime.datetime(2027, 3, 1, 9, 0, tzinfo=SHANGHAI), tick=False):
            deal = services.save_deal(personas.consultant, self.new_deal(personas, customer))
        assert (deal.store, deal.owner) == (personas.store, personas.consultant)
        assert deal.next_follow_up_at == datetime.datetime(2027, 3, 8, 10, 0, tzinfo=SHANGHAI)
        change = StageChange.objects.get(deal=deal)
        assert change.from_stage is None and change.to_stage.name == "意向"

    def test_colleagues_customer_is_refused(self, personas):
        customer = CustomerFactory(owner=personas.colleague)
        with pytest.raises(ValidationError) as exc:
            services.save_deal(personas.consultant, self.new_deal(personas, customer))
        assert "customer" in exc.value.message_dict
        assert not Deal.objects.exists()

    def test_consultant_cannot_edit_a_colleagues_deal(self, personas):
        deal = make_deal(personas.colleague)
        deal.title = "改名"
        with pytest.raises(PermissionDenied):
            services.save_deal(personas.consultant, deal)
        assert Deal.objects.get(pk=deal.pk).title != "改名"


def month_plan(store, start, quota):
    plan = Plan.objects.create(
        store=store,
        period_type="month",
        period_start=start,
        period_end=start.replace(day=28),
        scope="store",
    )
    return PlanLine.objects.create(plan=plan, metric="revenue", quota=quota, goal=quota)


@pytest.mark.django_db
class TestForecast:
    TODAY = datetime.date(2027, 3, 10)

    def test_weighted_sum_is_exact_to_the_fen_and_rounded_once(self, personas):
        # 333.35 × 30% = 100.005 each: rounding per deal would give 200.02, the exact sum 200.01.
        for _n in range(2):
            make_deal(
                personas.consultant,
                "试驾",
                amount=Decimal("333.35"),
                expected_close_date=datetime.date(2027, 3, 20),
            )
        # 0.01 × 10% three times = 0.003 → 0.00; 1234567.89 × 50% = 617283.945 → 617283.95
        for _n in range(3):
            make_deal(
                personas.consultant,
                "意向",
                amount=Decimal("0.01"),
                expected_close_date=datetime.date(2027, 4, 1),
            )
        make_deal(
            personas.consultant,
            "报价",
            amount=Decimal("1234567.89"),
            expected_close_date=datetime.date(2027, 4, 30),
        )
        rows = services.forecast(personas.consultant, 3, today=self.TODAY)
        assert [r.month for r in rows] == [
            datetime.date(2027, 3, 1), datetime.date(2027, 4, 1), datetime.date(2027, 5, 1),
        ]  # fmt: skip
        assert rows[0].weighted == Decimal("200.01")
        assert rows[0].amount == Decimal("666.70")
        assert rows[1].weighted == Decimal("617283.95")
        assert rows[1].deal_count == 4
        assert rows[2].weighted == Decimal("0.00")

    def test_closed_overdue_and_other_scope_deals(self, personas):
        make_deal(
            personas.consultant,
            "订单",
            status="won",
            expected_close_date=datetime.date(2027, 3, 20),
        )
        make_deal(
            personas.consultant,
            "报价",
            amount=Decimal("1000"),
            expected_close_date=datetime.date(2027, 2, 1),
        )
        make_deal(
            personas.colleague,
            "报价",
            amount=Decimal("5000"),
            expected_close_date=datetime.date(2027, 3, 5),
        )
        mine = services.forecast(personas.consultant, 1, today=self.TODAY)[0]
        assert (mine.deal_count, mine.weighted) == (
            1,
            Decimal("500.00"),
        )  # overdue close counts now
        store = services.forecast(personas.sales_manager, 1, today=self.TODAY)[0]
        assert store.weighted == Decimal("3000.00")

    def test_target_comes_from_the_store_month_plan_revenue_line(self, personas):
        make_deal(
            personas.consultant,
            "报价",
            amount=Decimal("200000"),
            expected_close_date=datetime.date(2027, 3, 31),
        )
        month_plan(personas.store, datetime.date(2027, 3, 1), Decimal("400000.00"))
        month_plan(personas.other_store, datetime.date(2027, 3, 1), Decimal("999.00"))
        rows = services.forecast(personas.sales_manager, 2, today=self.TODAY)
        assert rows[0].target == Decimal("400000.00")
        assert rows[0].ratio == Decimal("0.2500")
        assert rows[0].gap == Decimal("300000.00")
        assert rows[1].target is None and rows[1].ratio is None


def test_next_key_date_is_the_nearest_future_one():
    deal = Deal(
        bid_date=datetime.date(2027, 3, 1),
        contract_date=datetime.date(2027, 3, 20),
        delivery_date=datetime.date(2027, 3, 12),
        acceptance_date=None,
    )
    assert services.next_key_date(deal, datetime.date(2027, 3, 10)) == (
        "delivery_date",
        datetime.date(2027, 3, 12),
    )
    assert services.next_key_date(deal, datetime.date(2027, 3, 21)) is None
