"""The sales manager edits the store's follow-up rules; the engine uses them at once."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from dealerplan.activities import services
from dealerplan.activities.models import ActivityQuota, FollowUpPolicy
from dealerplan.customers.models import TierPolicy
from tests.factories import CustomerFactory, StageFactory

SH = ZoneInfo("Asia/Shanghai")
URL = "/settings/rules/"


def rules_data(**overrides):
    data = {
        "policy-h_days": "1",
        "policy-a_days": "5",
        "policy-b_days": "10",
        "policy-c_days": "20",
        "policy-o_days": "7",
        "policy-vip_visit_days": "30",
        "policy-tier1_visit_days": "60",
        "policy-tier2_visit_days": "",
        "tiers-vip_min_amount": "800000",
        "tiers-tier1_min_amount": "300000",
        "tiers-tier2_min_amount": "100000",
        "tiers-lookback_days": "365",
    }
    for role in ("consultant", "showroom_manager", "sales_manager"):
        data[f"quota-{role}-calls_per_day"] = "40" if role == "consultant" else "10"
        data[f"quota-{role}-visits_per_week"] = "25" if role == "consultant" else "5"
    data.update(overrides)
    return data


@pytest.mark.django_db
class TestRulesPage:
    def test_manager_saves_rules_and_logging_follows_them(self, login, personas):
        stage = StageFactory(pipeline__store=personas.store, name="投标")
        client = login(personas.sales_manager)
        assert client.get(URL).status_code == 200
        assert not FollowUpPolicy.objects.exists()  # opening the page writes nothing
        response = client.post(URL, rules_data(**{f"stage-{stage.pk}-follow_up_days": "14"}))
        assert response.status_code == 302
        assert FollowUpPolicy.objects.get(store=personas.store).a_days == 5
        assert (
            ActivityQuota.objects.get(store=personas.store, role="consultant").calls_per_day == 40
        )
        assert TierPolicy.objects.get(store=personas.store).vip_min_amount == 800000
        stage.refresh_from_db()
        assert stage.follow_up_days == 14
        customer = CustomerFactory(owner=personas.consultant, intention_level="A")
        with time_machine.travel(datetime.datetime(2026, 11, 16, 9, 0, tzinfo=SH), tick=False):
            services.log_activity(user=personas.consultant, customer=customer, kind="call")
        customer.refresh_from_db()
        assert customer.next_follow_up_at.date() == datetime.date(2026, 11, 21)

    def test_thresholds_out_of_order_save_nothing(self, login, personas):
        response = login(personas.sales_manager).post(
            URL, rules_data(**{"tiers-tier1_min_amount": "900000"})
        )
        assert response.status_code == 200 and "从 VIP" in response.text
        assert not FollowUpPolicy.objects.exists() and not TierPolicy.objects.exists()

    def test_negative_interval_is_refused(self, login, personas):
        response = login(personas.sales_manager).post(URL, rules_data(**{"policy-h_days": "-2"}))
        assert response.status_code == 200
        assert not FollowUpPolicy.objects.exists()

    @pytest.mark.parametrize("persona", ["consultant", "finance", "showroom_manager"])
    def test_others_cannot_edit_rules(self, login, personas, persona):
        client = login(getattr(personas, persona))
        assert client.get(URL).status_code == 403
        assert client.post(URL, rules_data()).status_code == 403
        assert not FollowUpPolicy.objects.exists()

    def test_each_manager_edits_only_their_store(self, login, personas):
        login(personas.other_manager).post(URL, rules_data())
        assert FollowUpPolicy.objects.get().store == personas.other_store

    def test_anonymous_goes_to_login(self, client):
        assert reverse("login") in client.get(URL)["Location"]
