"""The receivables and reconciliation workbooks follow the export policy like every list:
a role that may not export is refused, a long export needs approval, each one is logged and
the workbook names who exported it."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from dealerplan.core.choices import Role
from dealerplan.core.models import ExportLog, ExportPolicy, ExportRequest
from tests.factories import CustomerFactory, SalesOrderFactory, UserFactory

RECEIVABLES = reverse("orders:receivables")
RECONCILIATION = reverse("finance:reconciliation")


def book(response):
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


@pytest.fixture
def orders(personas):
    return [
        SalesOrderFactory(customer=CustomerFactory(owner=personas.consultant), status="confirmed")
        for _ in range(3)
    ]


@pytest.mark.parametrize(
    ("url", "list_name"),
    [(RECEIVABLES, "orders:receivables"), (RECONCILIATION, "finance:reconciliation")],
)
def test_finance_exports_are_logged_and_carry_who_exported_them(
    personas, login, orders, url, list_name
):
    response = login(personas.finance).get(url, {"export": "xlsx"})
    assert response.status_code == 200
    log = ExportLog.objects.get()
    assert log.user == personas.finance and log.list_name == list_name
    assert personas.finance.username in book(response).properties.creator


def test_the_receivables_log_counts_the_rows_exported(personas, login, orders):
    login(personas.finance).get(RECEIVABLES, {"export": "xlsx"})
    assert ExportLog.objects.get().row_count == 3


def test_a_role_the_policy_refuses_gets_no_receivables_workbook(personas, login, orders):
    marketing = UserFactory(username="marketing", store=personas.store, role=Role.MARKETING)
    response = login(marketing).get(RECEIVABLES, {"export": "xlsx"})
    assert response.status_code == 302
    assert not ExportLog.objects.exists()


def test_a_long_receivables_export_waits_for_a_managers_approval(personas, login, orders):
    ExportPolicy.objects.create(
        store=personas.store,
        role=Role.FINANCE,
        list_name="orders:receivables",
        allowed=True,
        max_rows_without_approval=2,
    )
    response = login(personas.finance).get(RECEIVABLES, {"export": "xlsx"})
    request = ExportRequest.objects.get()
    assert response.status_code == 302 and request.row_count == 3
    assert not ExportLog.objects.exists()
