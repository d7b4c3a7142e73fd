"""The shared import machinery (``core.importing``) that the customer and the stock import use.

The app tests (``tests/customers/test_import.py``, ``tests/inventory/test_stock_import.py``)
cover the pages and each import's rules; these cover what both rely on, and that the fast paths
(the lazily read string table, COPY on PostgreSQL) give exactly what the plain ones give.
"""

import datetime
import hashlib
import io
import json
import random
import zipfile
from zoneinfo import ZoneInfo

import pytest
import time_machine
import xlsxwriter
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import connection, transaction
from openpyxl import Workbook
from openpyxl.cell.text import Text
from openpyxl.reader.strings import read_string_table
from openpyxl.xml.functions import fromstring

from dealerplan.core import importing as core_importing
from dealerplan.customers import importing
from dealerplan.customers.models import Customer, ImportJob, LevelChange
from dealerplan.inventory import importing as stock_importing
from dealerplan.inventory.models import Vehicle
from tests.factories import (
    ColorFactory,
    CustomerFactory,
    SeriesFactory,
    TrimFactory,
    UserFactory,
    vin_for,
)

NOW = datetime.datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="COPY is the PostgreSQL write path"
)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def xlsxwriter_bytes(rows, rich_cell=None) -> bytes:
    """A workbook as Excel writes it: a shared-string table (openpyxl writes inline strings)."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet()
    bold = workbook.add_format({"bold": True})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    if rich_cell:
        sheet.write_rich_string(*rich_cell[:2], "对 ", bold, "SUV", " 感兴趣")
    workbook.close()
    return buffer.getvalue()


# -- reading workbooks --------------------------------------------------------------------------


def test_shared_strings_are_the_text_openpyxl_reads():
    rows = [
        ["姓名", "备注"],
        ["曾小贤", "  两边有空格  "],
        ["x005F_x0041_", ""],
        ["张三", "A&B <c>"],
    ]
    content = xlsxwriter_bytes(rows, rich_cell=(4, 1))
    archive = zipfile.ZipFile(io.BytesIO(content))
    expected = read_string_table(archive.open("xl/sharedStrings.xml"))
    strings = core_importing.SharedStrings(lambda: archive.open("xl/sharedStrings.xml"))
    assert strings[1] == expected[1]
    assert list(strings) == expected
    assert "对 SUV 感兴趣" in expected


@pytest.mark.parametrize(
    "xml",
    [
        "<si><t>plain</t></si>",
        "<si><t/></si>",
        '<si><t xml:space="preserve"> a </t></si>',
        "<si><r><t>曾</t></r><r><rPr><b/></rPr><t>小贤</t></r></si>",
        '<si><r><t>曾小贤</t></r><rPh sb="0" eb="1"><t>zeng</t></rPh><phoneticPr fontId="1"/></si>',
        "<si><t>x005F_x0041_</t></si>",
    ],
)
def test_a_shared_string_reads_as_openpyxl_text_content(xml):
    namespace = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    node = fromstring(xml.replace("<si>", f"<si {namespace}>", 1))
    expected = Text.from_tree(node).content.replace("x005F_", "")
    assert core_importing.shared_string_text(node) == expected


def test_upload_check_reads_only_the_start_of_the_string_table(monkeypatch):
    rows = [["姓名", "手机"]] + [[f"客户{i}", f"1390000{i:04d}"] for i in range(3000)]
    content = xlsxwriter_bytes(rows)
    read = []
    original = core_importing.shared_string_text

    def counting(node):
        read.append(1)
        return original(node)

    monkeypatch.setattr(core_importing, "shared_string_text", counting)
    inspection = core_importing.inspect_file(
        io.BytesIO(content),
        "a.xlsx",
        len(content),
        recognise=importing.recognise_header,
        suggest=lambda headers: importing.suggest_mapping(headers, allow_owner=False),
    )
    assert inspection.headers == ["姓名", "手机"] and inspection.estimated_rows == 3000
    assert inspection.sample_rows[0] == ["客户0", "13900000000"]
    assert len(read) < 50, "the upload check needs the headers and three rows, not 6,000 strings"


def test_a_wrong_dimension_in_the_sheet_does_not_hide_rows():
    workbook = Workbook()
    for row in [["姓名", "手机"]] + [[f"客户{i}", f"1390000{i:04d}"] for i in range(20)]:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    patched = io.BytesIO()
    with zipfile.ZipFile(patched, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert b'<dimension ref="A1:B21"/>' in data
                data = data.replace(b'<dimension ref="A1:B21"/>', b'<dimension ref="A1:A2"/>')
            target.writestr(item, data)
    sheet, _encoding = core_importing.open_sheet(patched, "xlsx")
    try:
        rows = list(sheet.rows)
    finally:
        sheet.close()
    assert len(rows) == 21 and rows[-1][1] == ("客户19", "13900000019")


# -- cleaning cells ---------------------------------------------------------------------------


class CountingCleaner(core_importing.RowCleaner):
    required = ("level",)
    constant_fields = frozenset({"level"})

    def __init__(self):
        super().__init__([(0, "level"), (1, "note")])
        self.calls = []

    def clean_value(self, name, value, data):
        self.calls.append((name, value))
        if name == "level" and value not in ("A", "B"):
            raise ValidationError("", code="choice", params={"value": value, "choices": "A, B"})
        return {name: value}


def test_a_value_repeated_down_a_column_is_cleaned_once_and_reported_on_every_row():
    cleaner = CountingCleaner()
    results = [cleaner.clean(row, values) for row, values in [(2, ("Z", "x")), (3, ("Z", "y"))]]
    assert [problems for _data, problems in results] == [
        [{"row": 2, "col": 0, "code": "choice", "params": {"value": "Z", "choices": "A, B"}}],
        [{"row": 3, "col": 0, "code": "choice", "params": {"value": "Z", "choices": "A, B"}}],
    ]
    cleaner.clean(4, ("A", "z"))
    cleaner.clean(5, ("A", "z"))
    assert cleaner.calls.count(("level", "Z")) == 1 and cleaner.calls.count(("level", "A")) == 1
    assert cleaner.calls.count(("note", "z")) == 2, "only the constant fields are cached"
    assert cleaner.clean(6, ("", "=")) == (
        {"note": "="},
        [core_importing.issue("required", row=6, col=0)],
    )


# -- the same rows, merges and errors as before (and on both write paths) ----------------------

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉梅丹萍鹏飞宇浩然子涵欣怡"
TRIMS = [("速腾", "200TSI 舒适型"), ("迈腾", "330TSI 豪华型"), ("探岳", "330TSI 四驱智享版")]
HEADERS = [
    "客户姓名",
    "手机号",
    "微信号",
    "性别",
    "意向级别",
    "客户等级",
    "来源渠道",
    "意向车型",
    "预算",
    "区域",
    "地址",
    "下次跟进时间",
    "备注",
    "客户类型",
    "负责人",
]


def phone_for(index: int) -> str:
    return f"139{index:08d}"


def generated_rows(count: int, owners: list[str]) -> list[list]:
    rng = random.Random(7)
    start = datetime.datetime(2026, 12, 1, 9, 0)
    rows = [HEADERS]
    for index in range(count):
        series, trim = rng.choice(TRIMS)
        rows.append(
            [
                rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice([1, 2]))),
                phone_for(index - 1 if index and index % 50 == 0 else index),  # a few repeats
                f"wx_{index}" if rng.random() < 0.6 else None,
                rng.choice(["男", "女", None]),
                rng.choice(["H", "A", "B", "C", "O", "D", None]),
                rng.choice(["VIP", "一级", "二级", "其它", None]),
                rng.choice(["来店", "来电", "网络", "转介绍", "活动/车展", "其他"]),
                f"{series} {trim}" if rng.random() < 0.8 else None,
                rng.randrange(80, 400) * 1000 if rng.random() < 0.7 else "18.5万",
                rng.choice(["朝阳区", "海淀区", "东城区"]),
                f"北京市某某路 {rng.randrange(1, 300)} 号",
                start + datetime.timedelta(hours=rng.randrange(0, 24 * 60)),
                "对 SUV 感兴趣" if rng.random() < 0.3 else None,
                "单位" if rng.random() < 0.05 else "个人",
                rng.choice([*owners, None]),
            ]
        )
    return rows


def xlsx_file(rows, name="客户.xlsx") -> File:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return File(buffer, name=name)


def natural(model, exclude=()) -> list[str]:
    """Every row of ``model`` as JSON, ids replaced by what they name, sorted."""
    names = {
        "store_id": lambda pk, _row: _lookup("org.Store", pk, "code"),
        "owner_id": lambda pk, _row: _lookup("org.User", pk, "username"),
        "history_user_id": lambda pk, _row: _lookup("org.User", pk, "username"),
        "changed_by_id": lambda pk, _row: _lookup("org.User", pk, "username"),
        "intended_trim_id": lambda pk, _row: _lookup("catalog.Trim", pk, "name"),
        "trim_id": lambda pk, _row: _lookup("catalog.Trim", pk, "name"),
        "color_id": lambda pk, _row: _lookup("catalog.Color", pk, "name"),
        "customer_id": lambda pk, _row: _lookup("customers.Customer", pk, "phone"),
    }
    fields = [f.attname for f in model._meta.concrete_fields if f.attname not in exclude]
    rows = []
    for values in model._default_manager.values_list(*fields):
        row = dict(zip(fields, values, strict=True))
        for key, name in names.items():
            if key in row:
                row[key] = name(row[key], row)
        rows.append(json.dumps(row, default=str, ensure_ascii=False, sort_keys=True))
    return sorted(rows)


def _lookup(label, pk, attribute):
    from django.apps import apps

    if pk is None:
        return None
    return apps.get_model(label)._default_manager.values_list(attribute, flat=True).get(pk=pk)


def customer_rows() -> dict[str, list[str]]:
    return {
        "customers": natural(Customer, exclude=("id",)),
        "history": natural(Customer.history.model, exclude=("id", "history_id")),
        "levels": natural(LevelChange, exclude=("id",)),
    }


def comparable_report(job) -> dict:
    report = {k: v for k, v in job.report.items() if k not in ("checked_at", "created_ids")}
    report["duplicates"] = [
        {k: v for k, v in d.items() if k != "customer_id"} for d in report["duplicates"]
    ]
    return report


def digest(value) -> str:
    text = json.dumps(value, default=str, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@pytest.fixture
def generated_import(personas):
    """A manager's 400-row file: owners, trims, repeated phones, phones already in the store
    (the consultant's and a colleague's cards), merged; then a consultant's file with errors."""

    def run():
        for series, trim in TRIMS:
            TrimFactory(series=SeriesFactory(name=series), name=trim)
        UserFactory(username="wang_a", last_name="王", first_name="伟", store=personas.store)
        for user, first_name in ((personas.consultant, "一"), (personas.colleague, "二")):
            user.first_name = first_name  # the factory numbers names in creation order
            user.save(update_fields=["first_name"])
        for index in range(0, 400, 37):
            CustomerFactory(
                owner=personas.consultant if index % 2 else personas.colleague,
                name=f"老客户{index}",
                phone=phone_for(index),
                intention_level="C",
                district="西城区",
            )
        owners = [personas.consultant.username, personas.colleague.get_full_name(), "王伟"]
        job = importing.start_import(
            user=personas.sales_manager, uploaded=xlsx_file(generated_rows(400, owners))
        )
        job = importing.check_import(job)
        assert job.report["issue_count"] == 0, job.report["issues"][:3]
        importing.set_duplicate_action(job, ImportJob.DuplicateAction.MERGE)
        importing.set_duplicate_action(job, ImportJob.DuplicateAction.SKIP, row=39)
        assert importing.confirm_import(job)
        job = importing.run_import(job)
        bad = importing.check_import(
            importing.start_import(
                user=personas.consultant,
                uploaded=xlsx_file(
                    [
                        ["姓名", "手机", "性别", "预算", "下次跟进", "客户等级", "意向车型"],
                        [
                            "甲",
                            "13800000001",
                            "男",
                            "18万",
                            "2026-12-01",
                            "VIP",
                            "速腾 200TSI 舒适型",
                        ],
                        ["乙", "12", "未知", "-5", "明天", "金牌", "途观"],
                        ["", "13800000003", "", "", "", "", ""],
                    ]
                ),
            )
        )
        return job, bad

    return run


@pytest.mark.django_db
def test_a_generated_file_imports_the_same_rows_merges_and_errors_as_before(generated_import):
    with time_machine.travel(NOW, tick=False):
        job, bad = generated_import()
    assert job.status == ImportJob.Status.DONE, job.error_summary
    assert (job.created_count, job.merged_count, job.skipped_count) == (382, 17, 1)
    assert bad.status == ImportJob.Status.PREVIEWED
    assert [(i["row"], i["col"], i["code"]) for i in bad.report["issues"]] == [
        (3, 1, "phone_invalid"),
        (3, 2, "choice"),
        (3, 3, "min_value"),
        (3, 4, "date"),
        (3, 5, "choice"),
        (3, 6, "trim_unknown"),
        (4, 0, "required"),
    ]
    rows = customer_rows()
    assert [len(rows["customers"]), len(rows["history"]), len(rows["levels"])] == [393, 403, 391]
    # Recorded with the implementation before core.importing (commit 2b6e6da): every field of
    # every card, history row and level change, and the check's report. A deliberate change to
    # what an import writes changes these; anything else must not.
    assert digest(rows) == "71922df6a20bcfb9"
    assert digest([comparable_report(job), comparable_report(bad)]) == "5ac0d8c7ae4b7ac7"


@on_postgresql
@pytest.mark.django_db
def test_copy_writes_what_bulk_create_writes(generated_import, monkeypatch):
    """The same import written by COPY and by the ORM: the same rows, to the last field."""
    written = []
    for uses_copy in (True, False):
        monkeypatch.setattr(core_importing, "_uses_copy", lambda value=uses_copy: value)
        with time_machine.travel(NOW, tick=False), transaction.atomic():
            job, _bad = generated_import()
            assert job.status == ImportJob.Status.DONE, job.error_summary
            written.append((customer_rows(), comparable_report(job)))
            transaction.set_rollback(True)
    assert written[0] == written[1]
    assert len(written[0][0]["customers"]) == 393


@on_postgresql
@pytest.mark.django_db
def test_copy_writes_vehicles_as_bulk_create_does(personas, monkeypatch):
    trim = TrimFactory(series=SeriesFactory(name="速腾"), name="200TSI 舒适型")
    ColorFactory(name="极地白", code="0Q")
    rows = [["车架号", "车型", "颜色", "状态", "到店日期", "成本", "库位", "备注"]] + [
        [vin_for(800000 + i), f"速腾 {trim.name}", "0q", "在途", "2026/11/1", "12.5万", "", "展车"]
        for i in range(30)
    ]
    written = []
    for uses_copy in (True, False):
        monkeypatch.setattr(core_importing, "_uses_copy", lambda value=uses_copy: value)
        with time_machine.travel(NOW, tick=False), transaction.atomic():
            job = stock_importing.check_import(
                stock_importing.start_import(user=personas.sales_manager, uploaded=xlsx_file(rows))
            )
            assert stock_importing.confirm_import(job)
            job = stock_importing.run_import(job)
            assert job.status == ImportJob.Status.DONE and job.created_count == 30
            written.append(
                (
                    natural(Vehicle, exclude=("id",)),
                    natural(Vehicle.history.model, exclude=("id", "history_id")),
                )
            )
            transaction.set_rollback(True)
    assert written[0] == written[1]
    assert '"cost": "125000.00"' in written[0][0][0]


@pytest.mark.django_db
def test_a_phone_saved_by_someone_else_while_writing_fails_the_whole_import(personas, monkeypatch):
    rows = [["姓名", "手机"]] + [[f"客户{i}", phone_for(i)] for i in range(10)]
    job = importing.check_import(
        importing.start_import(user=personas.consultant, uploaded=xlsx_file(rows))
    )
    assert job.report["new_rows"] == 10
    # Saved after the import looked the phones up again, before it wrote (the lookup is
    # bypassed: the database's unique constraint is what stops it).
    CustomerFactory(owner=personas.colleague, phone=phone_for(7))
    monkeypatch.setattr(importing, "existing_customers", lambda *args: {})
    assert importing.confirm_import(job)
    job = importing.run_import(job)
    assert job.status == ImportJob.Status.FAILED
    assert [i["code"] for i in job.error_summary["issues"]] == ["phone_taken_meanwhile"]
    assert Customer.objects.count() == 1 and Customer.history.count() == 1
    assert not LevelChange.objects.exists()
