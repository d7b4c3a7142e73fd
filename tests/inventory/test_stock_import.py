"""Stock list import: upload → columns → check (preview) → import, all or nothing.

Every fixture file is generated here with openpyxl or as CSV text; nothing binary is committed.
"""

import datetime
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from dealerplan.core.importing import FORMULA
from dealerplan.customers.models import ImportJob
from dealerplan.inventory import importing
from dealerplan.inventory.models import Vehicle
from tests.factories import (
    BrandFactory,
    ColorFactory,
    SeriesFactory,
    TrimFactory,
    VehicleFactory,
    vin_for,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)
TODAY = NOW.date()
HEADER = ["车架号", "车型", "外观颜色", "状态", "入库日期", "采购价", "库位", "备注"]
VIN_A, VIN_B, VIN_C = vin_for(700001), vin_for(700002), vin_for(700003)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def catalogue(db):
    trim = TrimFactory(series=SeriesFactory(name="速腾"), name="200TSI 舒适型")
    white = ColorFactory(name="极地白", code="0Q")
    black = ColorFactory(name="星空黑")
    return trim, white, black


def xlsx_bytes(rows) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows, encoding="utf-8") -> bytes:
    text = "\r\n".join(",".join(str(v) for v in row) for row in rows) + "\r\n"
    return text.encode(encoding)


def upload(client, content: bytes, name="库存表.xlsx"):
    return client.post(
        reverse("inventory:import_upload"), {"file": SimpleUploadedFile(name, content)}
    )


def latest_job() -> ImportJob:
    return ImportJob.stock_jobs.order_by("-pk").first()


def check(client, job, **overrides):
    data = {f"col_{i}": job.mapping.get(str(i), "") for i in range(len(job.headers))}
    data.update(overrides)
    return client.post(reverse("inventory:import_mapping", args=[job.pk]), data)


def confirm(client, job):
    return client.post(reverse("inventory:import_confirm", args=[job.pk]))


def upload_and_check(client, rows, name="库存表.xlsx", content=None) -> ImportJob:
    response = upload(client, content if content is not None else xlsx_bytes(rows), name)
    assert response.status_code == 302, response.context["form"].errors
    job = latest_job()
    assert check(client, job).status_code == 302
    job.refresh_from_db()
    return job


def preview_lines(client, job) -> list[str]:
    response = client.get(reverse("inventory:import_job", args=[job.pk]))
    assert response.status_code == 200
    return response.context.get("issue_lines", [])


def good_row(vin, **overrides):
    row = {
        "vin": vin,
        "trim": "速腾 200TSI 舒适型",
        "color": "极地白",
        "status": "在库",
        "date": "2026/11/1",
        "cost": 118000,
        "location": "A-01",
        "notes": "",
    }
    row.update(overrides)
    return list(row.values())


# -- the happy path ---------------------------------------------------------------------------


@pytest.mark.django_db
class TestImportFlow:
    def test_manager_imports_a_stock_list_after_checking_the_preview(
        self, login, personas, catalogue
    ):
        trim, white, black = catalogue
        client = login(personas.sales_manager)
        rows = [
            HEADER,
            good_row(" " + VIN_A.lower() + " ", date=datetime.date(2026, 10, 1), notes="展车"),
            good_row(VIN_B, color="星空黑", status="在途", date="", cost="12.5万", location=""),
        ]
        job = upload_and_check(client, rows)
        assert job.kind == ImportJob.Kind.STOCK
        assert job.mapping == {
            "0": "vin",
            "1": "trim",
            "2": "color",
            "3": "status",
            "4": "arrival_date",
            "5": "cost",
            "6": "location",
            "7": "notes",
        }
        assert job.status == ImportJob.Status.PREVIEWED
        assert not Vehicle.objects.exists(), "nothing is written before the user confirms"
        page = client.get(job.get_absolute_url()).text
        assert VIN_A in page and "125,000.00" in page

        response = confirm(client, job)
        assert response["Location"] == job.get_absolute_url()
        job.refresh_from_db()
        assert job.status == ImportJob.Status.DONE
        assert (job.created_count, job.merged_count, job.skipped_count) == (2, 0, 0)
        a = Vehicle.objects.get(vin=VIN_A)
        assert (a.store, a.trim, a.color, a.status) == (personas.store, trim, white, "in_stock")
        assert a.arrival_date == datetime.date(2026, 10, 1) and a.cost == Decimal("118000.00")
        assert (a.location, a.notes) == ("A-01", "展车")
        b = Vehicle.objects.get(vin=VIN_B)
        assert (b.color, b.status, b.arrival_date, b.cost) == (
            black,
            "in_transit",
            None,
            Decimal("125000.00"),
        )
        history = a.history.get()
        assert history.history_user == personas.sales_manager
        assert history.history_change_reason == "import"
        assert not job.file, "the upload is deleted once its rows are in the database"

    def test_gbk_csv_from_excel_is_read(self, login, personas, catalogue):
        client = login(personas.showroom_manager)
        content = csv_bytes([HEADER, good_row(VIN_A)], encoding="gbk")
        job = upload_and_check(client, None, name="库存.csv", content=content)
        assert job.encoding == "gb18030"
        assert job.report["issue_count"] == 0
        confirm(client, job)
        assert Vehicle.objects.get().trim == catalogue[0]

    def test_downloaded_template_checks_clean(self, login, personas, catalogue):
        client = login(personas.sales_manager)
        response = client.get(reverse("inventory:import_template"))
        assert response.status_code == 200
        sheet = load_workbook(io.BytesIO(response.content)).active
        assert [c.value for c in sheet[1]][:3] == ["车架号", "车型", "颜色"]
        job = upload_and_check(client, None, content=response.content)
        assert job.report["issue_count"] == 0 and job.report["new_rows"] == 1

    def test_trim_with_model_year_and_colour_by_paint_code(self, login, personas, catalogue):
        trim, white, _black = catalogue
        client = login(personas.sales_manager)
        row = good_row(VIN_A, trim="2026款速腾200TSI舒适型", color="0q")
        job = upload_and_check(client, [HEADER, row])
        assert job.report["issue_count"] == 0
        confirm(client, job)
        vehicle = Vehicle.objects.get()
        assert (vehicle.trim, vehicle.color) == (trim, white)


# -- errors: every bad cell, nothing written --------------------------------------------------


@pytest.mark.django_db
class TestErrors:
    def test_every_bad_row_is_reported_with_row_and_column_in_chinese(
        self, login, personas, catalogue
    ):
        bad_check_digit = VIN_A[:8] + ("1" if VIN_A[8] != "1" else "2") + VIN_A[9:]
        VehicleFactory(store=personas.other_store, vin=VIN_C)
        rows = [
            HEADER,
            good_row(bad_check_digit),  # row 2
            good_row(VIN_A, trim="不存在的车型"),  # row 3
            good_row(VIN_B, color="火星红"),  # row 4
            good_row(VIN_B, date="下周二"),  # row 5: bad date and repeated VIN
            good_row(vin_for(700005), cost=-1),  # row 6
            good_row(VIN_C),  # row 7: another store's VIN
            good_row(vin_for(700006), status="已售"),  # row 8
            good_row(vin_for(700007), date="2026-12-01"),  # row 9: in stock from the future
            good_row(vin_for(700008), cost=""),  # row 10: a new car needs its cost
        ]
        client = login(personas.sales_manager)
        job = upload_and_check(client, rows)
        lines = preview_lines(client, job)
        text = "\n".join(lines)
        assert job.report["error_rows"] == 9
        assert "第 2 行 车架号（A列）：车架号（VIN）校验位（第 9 位）不匹配" in text
        assert any(
            line.startswith("第 3 行 车型（B列）：") and "不存在的车型" in line for line in lines
        )
        assert any(
            line.startswith("第 4 行 外观颜色（C列）：") and "火星红" in line for line in lines
        )
        assert "第 5 行 入库日期（E列）：请输入日期" in text
        assert any(line.startswith("第 5 行 车架号（A列）：") and "4" in line for line in lines)
        assert "第 6 行 采购价（F列）：" in text and "大于或等于" in text
        assert any(line.startswith("第 7 行 车架号（A列）：") and VIN_C in line for line in lines)
        assert any(line.startswith("第 8 行 状态（D列）：") for line in lines)
        assert any(line.startswith("第 9 行 入库日期（E列）：") for line in lines)
        assert any(line.startswith("第 10 行 采购价（F列）：") for line in lines)
        codes = {(i["row"], i["code"]) for i in job.report["issues"]}
        assert {
            (2, "vin_check_digit"),
            (3, "trim_unknown"),
            (4, "color_unknown"),
            (5, "date"),
            (5, "vin_repeated"),
            (6, "min_value"),
            (7, "vin_other_store"),
            (8, "status_by_order"),
            (9, "arrival_future"),
            (10, "cost_required"),
        } <= codes

        confirm(client, job)
        job.refresh_from_db()
        assert job.status == ImportJob.Status.PREVIEWED
        assert list(Vehicle.objects.values_list("vin", flat=True)) == [VIN_C]

    def test_messages_are_english_for_an_english_reader(self, login, personas, catalogue):
        from django.utils import translation

        client = login(personas.sales_manager)
        job = upload_and_check(client, [HEADER, good_row(VIN_A, color="火星红")])
        with translation.override("en"):
            line = importing.describe(job.report["issues"][0], job.headers)
        assert (
            line == "Row 2 外观颜色 (column C): No colour “火星红” for 一汽-大众 in the catalogue."
        )

    def test_colour_of_another_brand_is_unknown_for_this_trim(self, login, personas, catalogue):
        ColorFactory(brand=BrandFactory(name="上汽大众"), name="琉璃蓝")
        client = login(personas.sales_manager)
        job = upload_and_check(client, [HEADER, good_row(VIN_A, color="琉璃蓝")])
        assert [i["code"] for i in job.report["issues"]] == ["color_unknown"]

    def test_file_without_a_colour_column_cannot_be_checked(self, login, personas, catalogue):
        client = login(personas.sales_manager)
        response = upload(client, xlsx_bytes([HEADER[:2], good_row(VIN_A)[:2]]))
        job = latest_job()
        page = client.get(response["Location"])
        assert "颜色" in " ".join(page.context["missing_required"])
        response = check(client, job)
        assert response.status_code == 200
        assert "请选择“颜色”对应的列。" in response.text

    def test_a_failure_while_writing_leaves_nothing_behind(
        self, login, personas, catalogue, monkeypatch
    ):
        existing = VehicleFactory(store=personas.store, vin=VIN_B, location="OLD")
        client = login(personas.sales_manager)
        job = upload_and_check(client, [HEADER, good_row(VIN_A), good_row(VIN_B, location="N")])
        job.duplicate_action = ImportJob.DuplicateAction.MERGE
        job.save()

        def broken(*args, **kwargs):
            raise IntegrityError("disk full")

        monkeypatch.setattr(importing, "bulk_update_with_history", broken)
        confirm(client, job)
        job.refresh_from_db()
        assert job.status == ImportJob.Status.FAILED
        assert not Vehicle.objects.filter(vin=VIN_A).exists(), "the new car is rolled back"
        existing.refresh_from_db()
        assert existing.location == "OLD"
        assert not Vehicle.history.filter(vin=VIN_A).exists()

    def test_vin_registered_after_the_check_fails_the_import(self, login, personas, catalogue):
        client = login(personas.sales_manager)
        job = upload_and_check(client, [HEADER, good_row(VIN_A), good_row(VIN_B)])
        VehicleFactory(store=personas.store, vin=VIN_B)
        confirm(client, job)
        job.refresh_from_db()
        assert job.status == ImportJob.Status.FAILED
        assert [i["code"] for i in job.error_summary["issues"]] == ["vin_taken_since"]
        assert not Vehicle.objects.filter(vin=VIN_A).exists()
        page = client.get(job.get_absolute_url()).text
        assert "第 3 行 车架号（A列）" in page


# -- VINs already in stock: update or skip ----------------------------------------------------


@pytest.mark.django_db
class TestExistingVins:
    def test_rows_for_cars_in_stock_are_skipped_by_default(self, login, personas, catalogue):
        car = VehicleFactory(store=personas.store, vin=VIN_A, location="OLD", cost=Decimal("1.00"))
        client = login(personas.sales_manager)
        job = upload_and_check(client, [HEADER, good_row(VIN_A, location="NEW"), good_row(VIN_B)])
        assert importing.planned_counts(job) == {"created": 1, "updated": 0, "skipped": 1}
        confirm(client, job)
        job.refresh_from_db()
        assert (job.created_count, job.merged_count, job.skipped_count) == (1, 0, 1)
        car.refresh_from_db()
        assert car.location == "OLD"

    def test_update_changes_only_the_filled_cells_and_is_audited(self, login, personas, catalogue):
        trim, white, _black = catalogue
        car = VehicleFactory(
            store=personas.store,
            vin=VIN_A,
            trim=trim,
            color=white,
            status="ordered",
            arrival_date=None,
            cost=Decimal("100000.00"),
            notes="keep",
        )
        client = login(personas.sales_manager)
        job = upload_and_check(
            client, [HEADER, good_row(VIN_A, cost="", notes="", location="B-02")]
        )
        response = client.post(
            reverse("inventory:import_decide", args=[job.pk]), {"action": "merge", "row": "2"}
        )
        assert response.status_code == 302
        confirm(client, job)
        job.refresh_from_db()
        assert (job.created_count, job.merged_count) == (0, 1)
        car.refresh_from_db()
        assert (car.status, car.arrival_date, car.location) == (
            "in_stock",
            datetime.date(2026, 11, 1),
            "B-02",
        )
        assert car.cost == Decimal("100000.00") and car.notes == "keep"
        latest = car.history.first()
        assert latest.history_change_reason == "import"
        assert latest.history_user == personas.sales_manager

    def test_car_held_by_an_order_can_only_be_skipped(self, login, personas, catalogue):
        VehicleFactory(store=personas.store, vin=VIN_A, status="reserved", location="OLD")
        client = login(personas.sales_manager)
        job = upload_and_check(client, [HEADER, good_row(VIN_A, location="NEW")])
        (duplicate,) = job.report["duplicates"]
        assert duplicate["locked"] == "held_by_order"
        response = client.post(
            reverse("inventory:import_decide", args=[job.pk]),
            {"action": "merge", "row": "2"},
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 400
        client.post(reverse("inventory:import_decide", args=[job.pk]), {"action": "merge"})
        confirm(client, job)
        job.refresh_from_db()
        assert (job.merged_count, job.skipped_count) == (0, 1)
        assert Vehicle.objects.get(vin=VIN_A).location == "OLD"

    def test_htmx_decision_returns_the_new_counts(self, login, personas, catalogue):
        VehicleFactory(store=personas.store, vin=VIN_A)
        client = login(personas.sales_manager)
        job = upload_and_check(client, [HEADER, good_row(VIN_A)])
        response = client.post(
            reverse("inventory:import_decide", args=[job.pk]),
            {"action": "merge", "row": "2"},
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 200
        assert response.context["counts"] == {"created": 0, "updated": 1, "skipped": 0}


# -- who may import, and where the cars land -------------------------------------------------


@pytest.mark.django_db
class TestScope:
    @pytest.mark.parametrize("persona", ["consultant", "finance"])
    def test_only_stock_editors_may_import(self, login, personas, persona):
        client = login(getattr(personas, persona))
        assert client.get(reverse("inventory:import_upload")).status_code == 403
        response = upload(client, xlsx_bytes([HEADER, good_row(VIN_A)]))
        assert response.status_code == 403
        assert not ImportJob.all_kinds.exists()

    def test_vehicles_land_in_the_importers_store(self, login, personas, catalogue):
        client = login(personas.other_manager)
        job = upload_and_check(client, [HEADER, good_row(VIN_A)])
        confirm(client, job)
        assert Vehicle.objects.get().store == personas.other_store

    def test_another_users_job_is_404(self, login, personas, catalogue):
        job = upload_and_check(login(personas.sales_manager), [HEADER, good_row(VIN_A)])
        for user in (personas.other_manager, personas.general_manager):
            client = login(user)
            assert client.get(job.get_absolute_url()).status_code == 404
            assert confirm(client, job).status_code == 404
        assert not Vehicle.objects.exists()

    def test_user_without_a_store_is_told_so(self, login, personas, catalogue):
        response = upload(login(personas.group_manager), xlsx_bytes([HEADER, good_row(VIN_A)]))
        assert response.status_code == 200
        assert "门店" in " ".join(response.context["form"].errors["file"])

    def test_stock_jobs_stay_out_of_the_customer_import(self, login, personas, catalogue):
        client = login(personas.sales_manager)
        job = upload_and_check(client, [HEADER, good_row(VIN_A)])
        assert job.get_absolute_url().startswith("/inventory/")
        assert client.get(reverse("customers:import_job", args=[job.pk])).status_code == 404
        page = client.get(reverse("customers:import_upload"))
        assert job not in list(page.context["recent_jobs"])
        assert not ImportJob.objects.filter(pk=job.pk).exists()


# -- the parser never raises on whatever a cell holds -----------------------------------------

CELL_VALUES = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.sampled_from(["", " ", "#REF!", "万", "-0", "1e999", "2026/13/45", "在库", "已售", "0q"]),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.times(),
    st.just(FORMULA),
)


@pytest.mark.django_db
def test_row_cleaner_never_raises_on_random_cells(catalogue):
    mapping = {str(i): name for i, name in enumerate(importing.CLEAN_ORDER)}
    cleaner = importing.StockRowCleaner(mapping=mapping, today=TODAY)
    known = set(importing.ISSUE_MESSAGES_STOCK)

    @settings(max_examples=400, deadline=None)
    @given(st.lists(CELL_VALUES, min_size=0, max_size=len(mapping) + 2))
    def clean_any_row(values):
        data, problems = cleaner.clean(7, tuple(values))
        assert isinstance(data, dict)
        for problem in problems:
            assert problem["row"] == 7
            assert problem["code"] in known, problem
            assert importing.describe(problem, list(importing.CLEAN_ORDER))
        if not problems and "vin" in mapping.values() and len(values) > 2:
            assert {"vin", "trim_id", "color_id"} <= data.keys()

    clean_any_row()
