"""The printable lead and owner cards (三表两卡), as a page and as a Word file."""

import io

import pytest
from django.urls import reverse
from docx import Document

from tests.factories import ActivityFactory, CustomerFactory, SalesOrderFactory, VehicleFactory


def card_url(customer, **params):
    url = reverse("customers:customer_card", args=[customer.pk])
    return url + ("?format=docx" if params.get("docx") else "")


@pytest.mark.django_db
class TestCards:
    def test_lead_card_page_shows_fields_and_the_follow_up_record(self, login, personas):
        customer = CustomerFactory(owner=personas.consultant, name="张三", intention_level="A")
        ActivityFactory(customer=customer, notes="介绍置换补贴政策", next_step="周六试驾")
        page = login(personas.consultant).get(card_url(customer)).text
        assert "意向客户管理卡" in page and "张三" in page
        assert "介绍置换补贴政策" in page and "周六试驾" in page

    def test_owner_card_lists_the_purchase(self, login, personas):
        customer = CustomerFactory(owner=personas.consultant, intention_level="D")
        vehicle = VehicleFactory(store=personas.store)
        SalesOrderFactory(customer=customer, vehicle=vehicle, number="SO-OWN-1")
        page = login(personas.consultant).get(card_url(customer)).text
        assert "保有客户管理卡" in page and vehicle.vin in page and "SO-OWN-1" in page

    def test_level_c_has_no_lead_card_yet(self, login, personas):
        customer = CustomerFactory(owner=personas.consultant, intention_level="C")
        page = login(personas.consultant).get(card_url(customer)).text
        assert "B 级或以上" in page

    def test_word_download_has_the_same_content(self, login, personas):
        customer = CustomerFactory(owner=personas.consultant, name="李四", intention_level="B")
        ActivityFactory(customer=customer, notes="客户关心贷款方案")
        response = login(personas.consultant).get(card_url(customer, docx=True))
        assert response.status_code == 200
        assert "wordprocessingml" in response["Content-Type"]
        assert "filename*=UTF-8''" in response["Content-Disposition"]
        document = Document(io.BytesIO(response.content))
        text = "\n".join(p.text for p in document.paragraphs) + "\n".join(
            cell.text for table in document.tables for row in table.rows for cell in row.cells
        )
        assert "李四" in text and "客户关心贷款方案" in text

    @pytest.mark.parametrize("docx", [False, True])
    def test_colleagues_and_other_stores_cards_are_404(self, login, personas, docx):
        client = login(personas.consultant)
        for owner in (personas.colleague, personas.other_consultant):
            customer = CustomerFactory(owner=owner)
            assert client.get(card_url(customer, docx=docx)).status_code == 404

    def test_card_hides_a_colleagues_activity_from_a_consultant(self, login, personas):
        customer = CustomerFactory(owner=personas.consultant)
        ActivityFactory(customer=customer, owner=personas.colleague, notes="同事代接电话")
        page = login(personas.consultant).get(card_url(customer)).text
        assert "同事代接电话" not in page
        assert "同事代接电话" in login(personas.sales_manager).get(card_url(customer)).text
