import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dealerplan.deals import views as deal_views
from dealerplan.deals.models import Deal, Pipeline, StageChange
from dealerplan.deals.services import ensure_default_pipelines
from tests.deals.factories_deals import default_stages, make_deal
from tests.factories import CustomerFactory
from tests.view_suite import ScopedViewSuite, export_rows


class TestDealViews(ScopedViewSuite):
    model = Deal
    list_url_name = "deals:deal_list"
    detail_url_name = "deals:deal_detail"
    add_url_name = "deals:deal_add"
    edit_url_name = "deals:deal_edit"
    admin_change_url_name = "admin:deals_deal_change"
    label_attr = "title"

    def make_record(self, owner):
        return make_deal(owner, "意向")

    def valid_form_data(self, personas):
        stages = default_stages(personas.store)
        customer = CustomerFactory(owner=personas.consultant)
        return {
            "title": "朝阳区政府 公务车 10 台",
            "customer": customer.pk,
            "pipeline": stages["前期设计"].pipeline_id,
            "stage": stages["前期设计"].pk,
            "amount": "1500000.00",
            "units": "10",
        }


@pytest.mark.django_db
class TestDealForm:
    def test_stage_of_another_pipeline_is_a_field_error(self, login, personas):
        stages = default_stages(personas.store)
        customer = CustomerFactory(owner=personas.consultant)
        response = login(personas.consultant).post(
            reverse("deals:deal_add"),
            {
                "title": "错配",
                "customer": customer.pk,
                "pipeline": stages["意向"].pipeline_id,
                "stage": stages["投标"].pk,
                "amount": "1",
                "units": "1",
            },
        )
        assert response.status_code == 200
        assert "另一" in str(response.context["form"].errors["stage"])
        assert not Deal.objects.exists()

    def test_colleagues_customer_is_not_offered(self, login, personas):
        theirs = CustomerFactory(owner=personas.colleague, name="别人的客户")
        response = login(personas.consultant).get(reverse("deals:deal_add"))
        assert theirs.name not in response.text

    def test_detail_shows_stage_history_with_time_in_stage(self, login, personas):
        stages = default_stages(personas.store)
        client = login(personas.consultant)
        start = timezone.now() - datetime.timedelta(days=5)  # the login session stays valid
        with time_machine.travel(start, tick=False):
            client.post(reverse("deals:deal_add"), TestDealViews().valid_form_data(personas))
        deal = Deal.objects.get()
        with time_machine.travel(start + datetime.timedelta(days=3, hours=12), tick=False):
            client.post(reverse("deals:move", args=[deal.pk]), {"stage": stages["投标"].pk})
        with time_machine.travel(start + datetime.timedelta(days=5), tick=False):
            page = client.get(deal.get_absolute_url()).text
        assert "前期设计 → 投标" in page
        assert "3.5 天" in page  # 前期设计 lasted 3.5 days
        assert "1.5 天" in page  # 投标 so far


@pytest.mark.django_db
class TestBoard:
    def test_cards_are_in_their_stage_columns(self, login, personas):
        deal = make_deal(personas.consultant, "投标", title="市公交招标")
        response = login(personas.consultant).get(
            reverse("deals:board") + f"?pipeline={deal.pipeline_id}"
        )
        columns = response.context["columns"]
        assert [c["stage"].name for c in columns][:2] == ["前期设计", "投标"]
        assert columns[1]["deals"] == [deal]
        assert "市公交招标" in response.text
        assert 'name="stage"' in response.text  # the no-JS select on each card

    def test_default_board_is_the_retail_pipeline_without_colleagues_cards(self, login, personas):
        mine = make_deal(personas.consultant, "意向", title="我的商机")
        make_deal(personas.colleague, "意向", title="同事商机")
        response = login(personas.consultant).get(reverse("deals:board"))
        assert response.context["pipeline"] == mine.pipeline
        assert "我的商机" in response.text and "同事商机" not in response.text

    def test_query_count_does_not_grow_with_deals(self, login, personas):
        client = login(personas.sales_manager)
        make_deal(personas.consultant, "意向")
        url = reverse("deals:board")
        client.get(url)  # warm caches (session, content types)
        with CaptureQueriesContext(connection) as few:
            assert client.get(url).status_code == 200
        for name in ("试驾", "报价", "订单", "战败", "意向"):
            for owner in (personas.consultant, personas.colleague):
                make_deal(owner, name)
        with CaptureQueriesContext(connection) as many:
            response = client.get(url)
        assert sum(len(c["deals"]) for c in response.context["columns"]) == 11
        assert len(many) == len(few)


@pytest.mark.django_db
class TestMoveView:
    def test_select_fallback_moves_and_redirects_back(self, login, personas):
        deal = make_deal(personas.consultant, "意向")
        stage = default_stages(personas.store)["报价"]
        back = reverse("deals:board") + f"?pipeline={deal.pipeline_id}"
        response = login(personas.consultant).post(
            reverse("deals:move", args=[deal.pk]), {"stage": stage.pk, "next": back}
        )
        assert response.status_code == 302 and response["Location"] == back
        deal.refresh_from_db()
        assert deal.stage == stage
        assert StageChange.objects.filter(deal=deal, to_stage=stage).exists()

    def test_drag_and_drop_gets_json(self, login, personas):
        deal = make_deal(personas.consultant, "意向")
        stage = default_stages(personas.store)["订单"]
        response = login(personas.consultant).post(
            reverse("deals:move", args=[deal.pk]),
            {"stage": stage.pk},
            headers={"Accept": "application/json"},
        )
        assert response.json()["ok"] is True
        assert response.json()["status"] == "won"
        assert Deal.objects.get(pk=deal.pk).status == "won"

    def test_consultant_cannot_move_a_colleagues_deal(self, login, personas):
        deal = make_deal(personas.colleague, "意向")
        stage = default_stages(personas.store)["报价"]
        response = login(personas.consultant).post(
            reverse("deals:move", args=[deal.pk]), {"stage": stage.pk}
        )
        assert response.status_code == 404
        assert Deal.objects.get(pk=deal.pk).stage.name == "意向"
        assert not StageChange.objects.exists()

    def test_stage_of_another_pipeline_is_refused_with_a_message(self, login, personas):
        deal = make_deal(personas.consultant, "意向")
        response = login(personas.consultant).post(
            reverse("deals:move", args=[deal.pk]),
            {"stage": default_stages(personas.store)["投标"].pk},
            headers={"Accept": "application/json"},
        )
        assert response.status_code == 400
        assert "另一" in response.json()["error"]
        assert Deal.objects.get(pk=deal.pk).stage.name == "意向"

    def test_finance_cannot_move(self, login, personas):
        deal = make_deal(personas.consultant, "意向")
        response = login(personas.finance).post(
            reverse("deals:move", args=[deal.pk]),
            {"stage": default_stages(personas.store)["试驾"].pk},
        )
        assert response.status_code == 403
        assert not StageChange.objects.exists()


@pytest.mark.django_db
class TestTracking:
    def test_export_lists_open_fleet_projects_with_key_dates(self, login, personas):
        today = timezone.localdate()
        make_deal(
            personas.consultant,
            "投标",
            title="市公交 30 台",
            amount=Decimal("4500000.00"),
            bid_date=today - datetime.timedelta(days=2),
            contract_date=today + datetime.timedelta(days=20),
            delivery_date=today + datetime.timedelta(days=9),
        )
        make_deal(personas.consultant, "意向", title="零售商机")
        make_deal(personas.consultant, "未中标", title="丢标项目", status="lost")
        make_deal(personas.colleague, "投标", title="同事项目")
        rows = export_rows(
            login(personas.consultant).get(reverse("deals:tracking") + "?export=xlsx")
        )
        header, body = rows[0], rows[1:]
        assert [r[0] for r in body] == ["市公交 30 台"]
        row = dict(zip(header, body[0], strict=True))
        assert row["阶段"] == "投标"
        assert row["下一关键日期"].date() == today + datetime.timedelta(days=9)
        assert row["关键日期"] == "交车日期"
        assert row["金额"] == 4500000
        assert row["赢单概率"] == 30

    def test_overdue_follow_up_is_red_and_forecast_is_shown(self, login, personas):
        make_deal(
            personas.consultant,
            "签约",
            title="逾期项目",
            next_follow_up_at=timezone.now() - datetime.timedelta(days=1),
            expected_close_date=timezone.localdate(),
            amount=Decimal("100000"),
        )
        response = login(personas.consultant).get(reverse("deals:tracking"))
        assert "text-danger" in response.text
        assert response.context["forecast"][0].weighted == Decimal("70000.00")
        assert "¥70,000.00" in response.text

    def test_query_count_does_not_grow_with_projects(self, login, personas):
        client = login(personas.sales_manager)
        make_deal(personas.consultant, "投标")
        url = reverse("deals:tracking")
        client.get(url)
        with CaptureQueriesContext(connection) as few:
            client.get(url)
        for _n in range(8):
            make_deal(personas.colleague, "签约", bid_date=timezone.localdate())
        with CaptureQueriesContext(connection) as many:
            response = client.get(url)
        assert response.context["result_count"] == 9
        assert len(many) == len(few)


@pytest.mark.django_db
class TestDealListFilters:
    def test_key_date_window_and_search(self, login, personas):
        today = timezone.localdate()
        soon = make_deal(personas.consultant, "投标", title="近期投标", bid_date=today)
        make_deal(
            personas.consultant,
            "投标",
            title="远期投标",
            bid_date=today + datetime.timedelta(days=60),
        )
        client = login(personas.consultant)
        response = client.get(reverse("deals:deal_list") + "?key_date=7")
        assert list(response.context["table"].data) == [soon]
        response = client.get(reverse("deals:deal_list") + "?q=远期")
        assert [d.title for d in response.context["table"].data] == ["远期投标"]

    def test_consultant_has_no_owner_filter_but_a_manager_does(self, login, personas):
        make_deal(personas.consultant)
        consultant_page = login(personas.consultant).get(reverse("deals:deal_list"))
        assert "owner" not in consultant_page.context["filter_form"].fields
        manager_page = login(personas.sales_manager).get(reverse("deals:deal_list"))
        assert "owner" in manager_page.context["filter_form"].fields

    def test_board_in_english_after_switching_language(self, login, personas):
        make_deal(personas.consultant)
        client = login(personas.consultant)
        client.post(reverse("set_language"), {"language": "en", "next": "/"})
        page = client.get(reverse("deals:board")).text
        assert "Deal board" in page and "Move" in page


@pytest.mark.django_db
def test_board_columns_show_the_most_urgent_cards_and_link_to_the_rest(login, personas):
    ensure_default_pipelines(personas.store)
    pipeline = Pipeline.objects.get(store=personas.store, is_default=True)
    stage = pipeline.stages.order_by("position").first()
    customer = CustomerFactory(owner=personas.consultant)
    for n in range(deal_views.CARDS_PER_COLUMN + 3):
        Deal.objects.create(
            store=personas.store,
            customer=customer,
            owner=personas.consultant,
            pipeline=pipeline,
            stage=stage,
            title=f"卡片{n}",
        )
    page = login(personas.consultant).get(reverse("deals:board")).text
    assert page.count('data-move-url="') == deal_views.CARDS_PER_COLUMN
    assert f"stage={stage.pk}" in page and "列表中还有 3 个" in page
