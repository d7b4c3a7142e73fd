"""The report pages: scope, filters, a fixed number of queries, and each .xlsx reopened."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import gettext as _

from dealerplan.reports.services import report_titles
from tests.factories import UserFactory
from tests.reports.factories_reports import (
    OCTOBER,
    account,
    at,
    month_plan,
    sale,
    series,
    visit,
)

NOW = at(datetime.date(2026, 10, 12), 9)
MONTHLY = ("sales_plan", "visit_plan", "sales_stats", "visit_stats")
YEARLY = ("year_plan", "year_summary")
ALL = MONTHLY + YEARLY


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def url(name, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{reverse(f'reports:{name}')}?{query}"


def period(name) -> dict:
    return {"month": "2026-10"} if name in MONTHLY else {"year": 2026}


def add_seller(store, username, of_series, *, shared_with=None):
    """A consultant with a month plan, two sales (one shared), and visited accounts."""
    person = UserFactory(username=username, store=store)
    month_plan(
        store,
        OCTOBER,
        consultant=person,
        lines=[("units", 5, 6), ("revenue", "700000.00", "800000.00"), ("units", 3, 4, of_series)],
    )
    sale(
        person,
        datetime.date(2026, 10, 8),
        total="150000.00",
        gross_profit="5000.00",
        of_series=of_series,
    )
    sale(
        person,
        datetime.date(2026, 10, 9),
        total="100000.01",
        gross_profit="3000.03",
        of_series=of_series,
        co_consultant=shared_with,
        co_share=Decimal("0.30") if shared_with else Decimal("0"),
    )
    for tier in ("vip", "tier1", "tier2"):
        customer = account(person, tier)
        visit(customer, at(datetime.date(2026, 10, 9)))
    return person


@pytest.fixture
def store_data(personas):
    # Names that are no substring of one another, so "not in the page" means what it says.
    for person, (family, given) in (
        (personas.consultant, ("张", "三丰")),
        (personas.colleague, ("李", "四海")),
        (personas.other_consultant, ("赵", "六合")),
    ):
        person.last_name, person.first_name = family, given
        person.save(update_fields=["last_name", "first_name"])
    sagitar = series("速腾")
    month_plan(
        personas.store,
        OCTOBER,
        lines=[("units", 20, 24), ("revenue", "1400000.00", "1600000.00")],
    )
    add_seller(personas.store, "consultant", sagitar, shared_with=personas.colleague)
    add_seller(personas.store, "colleague", sagitar)
    add_seller(personas.other_store, "other_consultant", sagitar)
    return sagitar


def workbook(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))


@pytest.mark.django_db
class TestPages:
    def test_hub_lists_every_report_with_the_chosen_period(self, login, personas):
        page = login(personas.consultant).get(
            reverse("reports:hub"), {"month": "2026-10", "year": "2026"}
        )
        assert page.status_code == 200
        for name in MONTHLY:
            assert url(name, month="2026-10") in page.text
        for name in YEARLY:
            assert url(name, year=2026) in page.text
        for title in report_titles().values():
            assert title in page.text

    def test_sidebar_links_the_hub(self, login, personas):
        page = login(personas.consultant).get(reverse("reports:hub"))
        assert f'href="{reverse("reports:hub")}"' in page.text

    @pytest.mark.parametrize("name", ALL)
    def test_every_page_renders_for_manager_and_consultant(self, login, personas, store_data, name):
        for user in (personas.sales_manager, personas.consultant, personas.group_manager):
            page = login(user).get(reverse(f"reports:{name}"), period(name))
            assert page.status_code == 200, (name, user)
            assert "<tbody>" in page.text

    def test_anonymous_users_are_sent_to_log_in(self, client):
        response = client.get(reverse("reports:sales_stats"))
        assert response.status_code == 302 and reverse("login") in response["Location"]

    @pytest.mark.parametrize("name", ("sales_plan", "sales_stats", "visit_plan", "visit_stats"))
    def test_consultant_never_sees_colleagues_rows(self, login, personas, store_data, name):
        colleague = personas.colleague.display_name
        client = login(personas.consultant)
        page = client.get(reverse(f"reports:{name}"), period(name))
        assert personas.consultant.display_name in page.text
        assert colleague not in page.text
        # A consultant cannot widen the report by asking for a colleague.
        asked = client.get(
            reverse(f"reports:{name}"), {**period(name), "consultant": personas.colleague.pk}
        )
        assert colleague not in asked.text

    @pytest.mark.parametrize("name", ALL)
    def test_another_stores_data_never_appears(self, login, personas, store_data, name):
        page = login(personas.sales_manager).get(reverse(f"reports:{name}"), period(name))
        assert personas.other_store.name not in page.text
        assert personas.other_consultant.display_name not in page.text
        theirs = login(personas.other_manager).get(reverse(f"reports:{name}"), period(name))
        assert personas.consultant.display_name not in theirs.text
        assert personas.store.name not in theirs.text

    def test_manager_cannot_pick_another_stores_consultant(self, login, personas, store_data):
        page = login(personas.sales_manager).get(
            reverse("reports:sales_stats"),
            {"month": "2026-10", "consultant": personas.other_consultant.pk},
        )
        assert page.status_code == 200
        assert "is-invalid" in page.text
        assert personas.other_consultant.display_name not in page.text
        export = login(personas.sales_manager).get(
            reverse("reports:sales_stats"),
            {"month": "2026-10", "consultant": personas.other_consultant.pk, "export": "xlsx"},
        )
        assert export["Content-Type"].startswith("text/html")

    def test_manager_filters_one_consultant(self, login, personas, store_data):
        page = login(personas.sales_manager).get(
            reverse("reports:sales_stats"),
            {"month": "2026-10", "consultant": personas.colleague.pk},
        )
        body = page.text.split("<tbody>", 1)[1]
        assert personas.colleague.display_name in body
        assert personas.consultant.display_name not in body

    def test_a_bad_month_gets_a_clear_message(self, login, personas):
        page = login(personas.sales_manager).get(
            reverse("reports:sales_plan"), {"month": "2026-13"}
        )
        assert page.status_code == 200
        assert "invalid-feedback" in page.text and "<tbody>" not in page.text

    def test_group_manager_picks_a_store(self, login, personas, store_data):
        page = login(personas.group_manager).get(
            reverse("reports:sales_stats"), {"month": "2026-10", "store": personas.other_store.pk}
        )
        body = page.text.split("<tbody>", 1)[1]
        assert personas.other_consultant.display_name in body
        assert personas.consultant.display_name not in body


def count_queries(client, address) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(address)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("export", (False, True))
def test_query_count_does_not_grow_with_rows(
    login, personas, store_data, django_assert_num_queries, name, export
):
    client = login(personas.sales_manager)
    params = {**period(name), **({"export": "xlsx"} if export else {})}
    address = url(name, **params)
    few = count_queries(client, address)
    for number in range(6):
        add_seller(personas.store, f"extra{number}", store_data, shared_with=personas.consultant)
    with django_assert_num_queries(few):
        response = client.get(address)
    assert response.status_code == 200


@pytest.mark.django_db
class TestExcel:
    def test_sales_statistics_workbook(self, login, personas, store_data):
        response = login(personas.sales_manager).get(
            url("sales_stats", month="2026-10", export="xlsx")
        )
        assert "attachment" in response["Content-Disposition"]
        book = workbook(response)
        (sheet,) = book.worksheets
        title = sheet["A1"].value
        assert report_titles()["sales_stats"] in title
        assert personas.store.name in title and "2026-10" in title
        header = [cell.value for cell in sheet[3]]
        assert header[:3] == [_("Consultant"), _("Team"), _("Series")]
        assert _("%(metric)s quota completion") % {"metric": _("Revenue")} in header
        assert sheet.freeze_panes == "B4"
        last = sheet.max_row
        assert sheet.cell(last, 1).value == _("Total")
        assert sheet.cell(last, 1).font.bold
        column = {name: index + 1 for index, name in enumerate(header)}
        revenue = sheet.cell(last, column[_("%(metric)s actual") % {"metric": _("Revenue")}])
        # 150,000.00 + 100,000.01 for each of the two sellers, exact to the fen
        assert Decimal(str(revenue.value)) == Decimal("500000.02")
        assert revenue.number_format == "#,##0.00"
        rate = sheet.cell(last, column[_("%(metric)s quota completion") % {"metric": _("Units")}])
        assert rate.number_format == "0.0%"
        assert Decimal(str(rate.value)) == Decimal("0.4000")  # 4 of 10
        assert personas.other_consultant.display_name not in {
            sheet.cell(row, 1).value for row in range(4, last + 1)
        }

    def test_consultant_workbook_holds_only_their_rows(self, login, personas, store_data):
        book = workbook(
            login(personas.colleague).get(url("sales_plan", month="2026-10", export="xlsx"))
        )
        sheet = book.worksheets[0]
        names = {sheet.cell(row, 1).value for row in range(4, sheet.max_row)}
        assert names == {personas.colleague.display_name}
        assert sheet.cell(sheet.max_row, 1).value == _("Total")

    @pytest.mark.parametrize("name", ALL)
    def test_every_workbook_has_title_headers_totals_and_formats(
        self, login, personas, store_data, name
    ):
        book = workbook(login(personas.sales_manager).get(url(name, **period(name), export="xlsx")))
        assert book.worksheets
        for sheet in book.worksheets:
            assert report_titles()[name] in sheet["A1"].value
            assert sheet.freeze_panes == "B4"
            assert all(cell.value for cell in sheet[3])
            assert all(cell.font.bold for cell in sheet[3])
        first = book.worksheets[0]
        assert first.cell(first.max_row, 1).value == _("Total")
        formats = {
            cell.number_format
            for row in first.iter_rows(min_row=4)
            for cell in row
            if isinstance(cell.value, int | float)
        }
        expected = {
            "sales_plan": {"#,##0.00"},
            "sales_stats": {"#,##0.00", "0.0%"},
            "year_plan": {"#,##0.00", "#,##0"},
            "year_summary": {"#,##0.00", "0.0%"},
            "visit_plan": {"#,##0"},
            "visit_stats": {"#,##0", "0.0%"},
        }[name]
        assert expected <= formats

    def test_year_summary_workbook_totals_to_the_fen(self, login, personas, store_data):
        book = workbook(
            login(personas.sales_manager).get(url("year_summary", year=2026, export="xlsx"))
        )
        sheet = book.worksheets[0]
        header = [cell.value for cell in sheet[3]]
        assert header[0] == _("Month")
        assert [sheet.cell(row, 1).value for row in range(4, 16)] == [
            f"2026-{m:02d}" for m in range(1, 13)
        ]
        index = header.index(_("%(metric)s actual") % {"metric": _("Gross profit")}) + 1
        assert Decimal(str(sheet.cell(16, index).value)) == Decimal("16000.06")


@pytest.mark.django_db
def test_managers_get_team_and_consultant_filters_consultants_do_not(login, personas):
    manager = login(personas.sales_manager).get(url("sales_stats", month="2026-10")).text
    assert 'name="team"' in manager and 'name="consultant"' in manager
    assert 'name="store"' not in manager
    mine = login(personas.consultant).get(url("sales_stats", month="2026-10")).text
    assert 'name="team"' not in mine and 'name="consultant"' not in mine


@pytest.mark.django_db
def test_a_team_of_another_store_than_the_chosen_one_is_refused(login, personas):
    page = login(personas.group_manager).get(
        url(
            "sales_plan",
            month="2026-10",
            store=personas.other_store.pk,
            team=personas.consultant.team_id,
        )
    )
    assert "invalid-feedback" in page.text and "<tbody>" not in page.text


@pytest.mark.django_db
def test_the_sticky_column_styles_carry_the_pages_nonce(login, personas):
    page = login(personas.consultant).get(url("sales_plan", month="2026-10"))
    assert "<style>" not in page.text
    assert '<style nonce="' in page.text and "position: sticky" in page.text


@pytest.mark.django_db
@pytest.mark.parametrize("name", MONTHLY)
def test_group_wide_query_count_does_not_grow_with_rows(login, personas, store_data, name):
    client = login(personas.group_manager)
    address = url(name, month="2026-10")
    count_queries(client, address)  # the first request after logging in also cleans up
    few = count_queries(client, address)
    for number in range(4):
        add_seller(personas.other_store, f"far{number}", store_data)
    assert count_queries(client, address) == few


@pytest.mark.django_db
def test_group_visit_plan_page_counts_by_store_and_the_export_lists_accounts(
    login, personas, store_data
):
    client = login(personas.group_manager)
    page = client.get(url("visit_plan", month="2026-10"))
    assert _("By store") in page.text
    assert _("Choose a store to list each account to visit.") in page.text
    assert personas.store.name in page.text and personas.other_store.name in page.text
    tables = page.text.split("<tbody>", 1)[1]  # past the filters, which name everyone
    assert personas.consultant.display_name not in tables  # no account rows
    book = workbook(client.get(url("visit_plan", month="2026-10", export="xlsx")))
    accounts = book.worksheets[-1]
    consultants = {accounts.cell(row, 3).value for row in range(4, accounts.max_row + 1)}
    assert personas.consultant.display_name in consultants
    assert personas.other_consultant.display_name in consultants


@pytest.mark.django_db
def test_the_chosen_consultant_stays_selected_in_the_filter(login, personas, store_data):
    page = login(personas.sales_manager).get(
        url("sales_stats", month="2026-10", consultant=personas.colleague.pk)
    )
    assert f'<option value="{personas.colleague.pk}" selected>' in page.text
    assert page.text.count(" selected>") == 2  # the consultant, and "All teams"
