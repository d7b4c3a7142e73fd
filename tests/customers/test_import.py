"""Customer import: upload → columns → check (preview) → import, all or nothing.

Every fixture file is generated here with openpyxl or as CSV text; nothing binary is committed.
"""

import datetime
import io
import os
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from dealerplan.core import importing as core_importing
from dealerplan.customers import importing
from dealerplan.customers.models import Customer, ImportJob, LevelChange
from tests.factories import CustomerFactory, SeriesFactory, TrimFactory, UserFactory

HEADER = ["客户姓名", "手机号", "意向级别", "来源渠道", "下次跟进时间", "备注"]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


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


def upload(client, content: bytes, name="客户名单.xlsx"):
    return client.post(
        reverse("customers:import_upload"), {"file": SimpleUploadedFile(name, content)}
    )


def latest_job() -> ImportJob:
    return ImportJob.objects.order_by("-pk").first()


def check(client, job, **overrides):
    """Submit the column step with the suggested mapping (plus overrides: col_N=field)."""
    data = {f"col_{i}": job.mapping.get(str(i), "") for i in range(len(job.headers))}
    data.update(overrides)
    return client.post(reverse("customers:import_mapping", args=[job.pk]), data)


def confirm(client, job):
    return client.post(reverse("customers:import_confirm", args=[job.pk]))


def upload_and_check(client, rows, name="客户名单.xlsx", content=None):
    response = upload(client, content if content is not None else xlsx_bytes(rows), name)
    assert response.status_code == 302, response.context["form"].errors
    job = latest_job()
    response = check(client, job)
    assert response.status_code == 302
    job.refresh_from_db()
    return job


def preview_text(client, job) -> str:
    response = client.get(reverse("customers:import_job", args=[job.pk]))
    assert response.status_code == 200
    return response.text


# -- the happy path ---------------------------------------------------------------------------


@pytest.mark.django_db
class TestImportFlow:
    def test_consultant_imports_a_workbook_after_checking_the_preview(self, login, personas):
        client = login(personas.consultant)
        follow_up = datetime.datetime(2026, 12, 3, 14, 30)
        rows = [
            HEADER,
            ["张三", "138 1234 8000", "H", "来店", follow_up, "想要白色"],
            ["李四", 13900001111, "a", "转介绍", "2026/12/5", ""],
        ]
        job = upload_and_check(client, rows)
        assert job.status == ImportJob.Status.PREVIEWED
        assert not Customer.objects.exists(), "nothing is written before the user confirms"

        page = preview_text(client, job)
        assert "张三" in page and "13812348000" in page
        assert "导入 2 位新客户" in page

        response = confirm(client, job)
        assert response["Location"] == job.get_absolute_url()
        job.refresh_from_db()
        assert job.status == ImportJob.Status.DONE
        assert (job.created_count, job.merged_count, job.skipped_count) == (2, 0, 0)
        zhang = Customer.objects.get(phone="13812348000")
        assert zhang.owner == personas.consultant and zhang.store == personas.store
        assert zhang.intention_level == "H" and zhang.source == "walk_in"
        assert timezone.localtime(zhang.next_follow_up_at).replace(tzinfo=None) == follow_up
        assert "zs" in zhang.search_text.split(), "bulk_create must still fill the pinyin keys"
        li = Customer.objects.get(phone="13900001111")
        assert li.intention_level == "A" and li.source == "referral"
        assert timezone.localtime(li.next_follow_up_at).time() == datetime.time(9, 0)
        assert LevelChange.objects.filter(customer=zhang, from_level="", to_level="H").exists()
        assert zhang.history.get().history_user == personas.consultant
        # The upload is gone once its rows are in the database; the summary links the cards.
        assert not job.file
        summary = client.get(job.get_absolute_url()).text
        assert zhang.get_absolute_url() in summary and "2 位客户" in summary

    def test_csv_in_each_encoding_excel_writes_is_read(self, login, personas):
        client = login(personas.consultant)
        rows = [["姓名", "手机", "区域"], ["曾小贤", "13900002222", "海淀区"]]
        for index, encoding in enumerate(["utf-8", "utf-8-sig", "gb18030", "gbk"]):
            phone = f"1390000222{index}"
            rows[1][1] = phone
            job = upload_and_check(client, rows, f"导出{index}.csv", csv_bytes(rows, encoding))
            assert job.report["issue_count"] == 0, encoding
            confirm(client, job)
            customer = Customer.objects.get(phone=phone)
            assert (customer.name, customer.district) == ("曾小贤", "海淀区"), encoding

    def test_semicolon_and_tab_separated_text_is_read(self, login, personas):
        client = login(personas.consultant)
        content = "姓名\t手机\n王五\t13900003333\n".encode("utf-16")
        job = upload_and_check(client, None, "export.csv", content)
        assert job.report["valid_rows"] == 1
        confirm(client, job)
        assert Customer.objects.get().name == "王五"

    def test_english_headers_are_recognised(self, login, personas):
        client = login(personas.consultant)
        rows = [
            ["Name", "Mobile", "Level", "Source", "Budget"],
            ["Li Lei", "13900004444", "B", "Referral", "18万"],
        ]
        job = upload_and_check(client, rows)
        assert set(job.mapping.values()) == {"name", "phone", "intention_level", "source", "budget"}
        confirm(client, job)
        customer = Customer.objects.get()
        assert customer.budget == Decimal("180000.00") and customer.source == "referral"

    def test_user_can_change_the_suggested_mapping_and_ignore_columns(self, login, personas):
        client = login(personas.consultant)
        rows = [["联系人", "号码", "备注"], ["赵六", "13900005555", "不要导入"]]
        upload(client, xlsx_bytes(rows))
        job = latest_job()
        assert job.mapping == {"2": "notes"}
        response = check(client, job, col_0="name", col_1="phone", col_2="")
        assert response.status_code == 302
        job.refresh_from_db()
        confirm(client, job)
        customer = Customer.objects.get()
        assert (customer.name, customer.phone, customer.notes) == ("赵六", "13900005555", "")

    def test_header_row_below_a_title_row_keeps_excel_row_numbers(self, login, personas):
        client = login(personas.consultant)
        rows = [["2026年12月客户名单"], [], ["姓名", "手机号"], ["孙七", "123"]]
        job = upload_and_check(client, rows)
        assert job.header_row == 3
        assert "第 4 行 手机号（B列）" in preview_text(client, job)

    def test_template_download_has_chinese_headers_and_imports_its_example(self, login, personas):
        TrimFactory(series=SeriesFactory(name="迈腾"), name="330TSI 豪华型")
        client = login(personas.consultant)
        response = client.get(reverse("customers:import_template"))
        assert response["Content-Type"] == importing.XLSX_CONTENT_TYPE
        sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
        header = [cell.value for cell in sheet[1]]
        assert header[:3] == ["客户姓名", "手机号", "微信号"]
        assert sheet.max_row == 2, "one example row"
        job = upload_and_check(client, None, "template.xlsx", response.content)
        assert job.report["issue_count"] == 0, job.report["issues"]
        confirm(client, job)
        example = Customer.objects.get()
        assert example.name == "张三" and str(example.intended_trim) == "迈腾 330TSI 豪华型"

    def test_customer_list_offers_the_import_button_to_editors_only(self, login, personas):
        url = reverse("customers:customer_list")
        assert reverse("customers:import_upload") in login(personas.consultant).get(url).text
        assert reverse("customers:import_upload") not in login(personas.finance).get(url).text
        response = login(personas.finance).get(reverse("customers:import_upload"))
        assert response.status_code == 403


# -- clear reports, nothing written -----------------------------------------------------------


@pytest.mark.django_db
class TestBadInput:
    def test_bad_phone_names_sheet_row_column_and_letter(self, login, personas):
        client = login(personas.consultant)
        rows = [["姓名", "电话"], ["张三", "13900006666"], ["李四", "1234567"]]
        job = upload_and_check(client, rows)
        page = preview_text(client, job)
        assert "第 3 行 电话（B列）：请输入有效的手机号" in page
        assert job.report["error_rows"] == 1
        confirm(client, job)
        job.refresh_from_db()
        assert job.status == ImportJob.Status.PREVIEWED
        assert not Customer.objects.exists()

    def test_errors_are_in_english_after_switching_language(self, login, personas):
        client = login(personas.consultant)
        client.post(reverse("set_language"), {"language": "en", "next": "/"})
        rows = [["Name", "Phone", "Next follow-up"], ["Li", "12", "next week"]]
        job = upload_and_check(client, rows)
        page = preview_text(client, job)
        assert "Row 2 Phone (column B): Enter a valid mobile" in page
        assert "Row 2 Next follow-up (column C): Enter a date such as 2026-05-01" in page
        assert "手机" not in page.split("<main", 1)[1]

    def test_bad_date_budget_and_choices_are_each_reported(self, login, personas):
        client = login(personas.consultant)
        rows = [
            ["姓名", "手机", "下次跟进", "预算", "性别", "意向级别", "客户等级", "客户类型"],
            ["张三", "13900007777", "2026-13-45", "-5", "未知", "Z", "金牌", "家庭"],
        ]
        job = upload_and_check(client, rows)
        page = preview_text(client, job)
        assert "第 2 行 下次跟进（C列）：请输入日期" in page
        assert "第 2 行 预算（D列）：" in page and "大于或等于" in page
        for letter in "EFGH":
            assert f"（{letter}列）：未知的值" in page
        assert job.report["issue_count"] == 6
        assert not Customer.objects.exists()

    def test_missing_name_is_reported_per_row(self, login, personas):
        client = login(personas.consultant)
        job = upload_and_check(client, [["姓名", "手机"], ["", "13900008888"]])
        assert "第 2 行 姓名（A列）：此列不能为空" in preview_text(client, job)

    def test_wrong_header_row_asks_for_the_columns_and_imports_nothing(self, login, personas):
        client = login(personas.consultant)
        rows = [["张三", "13900009999"], ["李四", "13900009998"]]
        response = upload(client, xlsx_bytes(rows))
        job = latest_job()
        page = client.get(response["Location"]).text
        assert "没有识别出以下列" in page and "姓名" in page
        response = check(client, job)
        assert response.status_code == 200
        assert "请选择“姓名”对应的列" in response.text
        assert "请选择“电话”对应的列" in response.text
        job.refresh_from_db()
        assert job.status == ImportJob.Status.UPLOADED
        assert not Customer.objects.exists()

    def test_field_chosen_for_two_columns_is_refused(self, login, personas):
        client = login(personas.consultant)
        upload(client, xlsx_bytes([["姓名", "手机", "电话"], ["张三", "13900001212", "x"]]))
        response = check(client, latest_job(), col_2="phone")
        assert response.status_code == 200 and "选择了多列" in response.text

    def test_duplicate_rows_in_the_file_are_listed_and_skipped_by_default(self, login, personas):
        client = login(personas.consultant)
        rows = [
            ["姓名", "手机", "微信"],
            ["张三", "13900001313", ""],
            ["张三丰", "139 0000 1313", "zsf"],
        ]
        job = upload_and_check(client, rows)
        page = preview_text(client, job)
        assert "本文件第 2 行" in page
        assert not Customer.objects.exists()
        confirm(client, job)
        job.refresh_from_db()
        assert (job.created_count, job.skipped_count) == (1, 1)
        assert Customer.objects.get().name == "张三"

    def test_duplicate_rows_in_the_file_can_be_merged(self, login, personas):
        client = login(personas.consultant)
        rows = [
            ["姓名", "手机", "微信"],
            ["张三", "13900001414", ""],
            ["张三", "13900001414", "zs_wx"],
        ]
        job = upload_and_check(client, rows)
        client.post(reverse("customers:import_decide", args=[job.pk]), {"action": "merge"})
        confirm(client, job)
        job.refresh_from_db()
        assert (job.created_count, job.merged_count) == (1, 1)
        assert Customer.objects.get().wechat == "zs_wx"

    @pytest.mark.parametrize("name", ["empty.csv", "empty.xlsx"])
    def test_empty_file_is_refused_and_nothing_is_stored(self, login, personas, media_root, name):
        client = login(personas.consultant)
        response = upload(client, b"", name)
        assert response.status_code == 200
        assert "文件是空的" in response.text
        assert not ImportJob.objects.exists()

    def test_workbook_without_rows_and_with_header_only(self, login, personas):
        client = login(personas.consultant)
        assert "文件是空的" in upload(client, xlsx_bytes([])).text
        response = upload(client, xlsx_bytes([["姓名", "手机"]]))
        assert "没有数据行" in response.text
        assert not ImportJob.objects.exists()

    def test_random_bytes_named_xlsx_is_not_a_workbook(self, login, personas, media_root):
        client = login(personas.consultant)
        response = upload(client, os.urandom(10 * 1024 * 1024), "客户.xlsx")
        assert response.status_code == 200
        assert "不是有效的 Excel 工作簿" in response.text
        assert not ImportJob.objects.exists()
        assert not (media_root / "imports").exists() or not any((media_root / "imports").iterdir())

    def test_zip_that_is_not_a_workbook_is_refused(self, login, personas):
        import zipfile

        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("hello.txt", "hi")
        response = upload(login(personas.consultant), buffer.getvalue(), "a.xlsx")
        assert "不是有效的 Excel 工作簿" in response.text

    @pytest.mark.parametrize(
        ("name", "message"),
        [("客户.txt", "只能导入 Excel"), ("客户.xls", "旧版 Excel"), ("客户", "只能导入 Excel")],
    )
    def test_other_file_types_are_refused(self, login, personas, name, message):
        response = upload(login(personas.consultant), b"abc", name)
        assert message in response.text
        assert not ImportJob.objects.exists()

    def test_file_over_the_size_limit_is_refused(self, login, personas, monkeypatch):
        monkeypatch.setattr(core_importing, "MAX_UPLOAD_BYTES", 1024)
        content = csv_bytes([["姓名", "手机"]] + [["张三", "13900000000"]] * 100)
        response = upload(login(personas.consultant), content, "big.csv")
        assert "文件超过" in response.text
        assert not ImportJob.objects.exists()

    def test_undecodable_csv_is_refused(self, login, personas):
        response = upload(login(personas.consultant), b"\x81\x20\xff", "a.csv")
        assert "无法识别文件的文字编码" in response.text

    def test_formulas_without_values_are_errors_and_nothing_is_written(self, login, personas):
        client = login(personas.consultant)
        rows = [
            ["姓名", "手机", "备注"],
            ["张三", "13900001515", "=A2&B2"],
            ['=CONCAT("李","四")', "13900001516", ""],
        ]
        job = upload_and_check(client, rows)
        page = preview_text(client, job)
        assert "第 3 行 姓名（A列）：此单元格是公式" in page
        assert "第 2 行 备注（C列）：此单元格是公式" in page
        confirm(client, job)
        assert not Customer.objects.exists()

    def test_formula_in_an_ignored_column_does_not_matter(self, login, personas):
        client = login(personas.consultant)
        rows = [["姓名", "手机", "合计"], ["张三", "13900001616", "=1+1"]]
        job = upload_and_check(client, rows)
        assert job.report["issue_count"] == 0
        confirm(client, job)
        assert Customer.objects.count() == 1


# -- duplicates against the store, owners, trims --------------------------------------------


@pytest.mark.django_db
class TestDuplicatesAndOwners:
    def test_own_customer_is_merged_filling_and_updating_fields(self, login, personas):
        existing = CustomerFactory(
            owner=personas.consultant,
            name="张三",
            phone="13900001717",
            intention_level="C",
            district="朝阳区",
        )
        client = login(personas.consultant)
        rows = [
            ["姓名", "手机", "微信", "意向级别", "区域"],
            ["张三", "13900001717", "zs_wx", "A", ""],
        ]
        job = upload_and_check(client, rows)
        page = preview_text(client, job)
        assert existing.get_absolute_url() in page
        response = client.post(
            reverse("customers:import_decide", args=[job.pk]),
            {"action": "merge", "row": "2"},
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 200 and 'id="import-counts"' in response.text
        confirm(client, job)
        job.refresh_from_db()
        assert (job.created_count, job.merged_count) == (0, 1)
        existing.refresh_from_db()
        assert (existing.wechat, existing.intention_level) == ("zs_wx", "A")
        assert existing.district == "朝阳区", "an empty cell never blanks a field"
        assert LevelChange.objects.filter(customer=existing, from_level="C", to_level="A").exists()
        assert existing.history.first().history_change_reason == "import"

    def test_colleagues_customer_can_only_be_skipped_and_is_not_revealed(self, login, personas):
        theirs = CustomerFactory(owner=personas.colleague, name="秘密客户", phone="13900001818")
        client = login(personas.consultant)
        job = upload_and_check(client, [["姓名", "手机"], ["张三", "13900001818"]])
        page = preview_text(client, job)
        assert "本店其他顾问的客户" in page
        assert "秘密客户" not in page and personas.colleague.get_full_name() not in page
        assert theirs.get_absolute_url() not in page
        response = client.post(
            reverse("customers:import_decide", args=[job.pk]), {"action": "merge", "row": "2"}
        )
        assert response.status_code == 302
        client.post(reverse("customers:import_decide", args=[job.pk]), {"action": "merge"})
        confirm(client, job)
        job.refresh_from_db()
        assert (job.created_count, job.merged_count, job.skipped_count) == (0, 0, 1)
        theirs.refresh_from_db()
        assert theirs.name == "秘密客户" and theirs.owner == personas.colleague

    def test_manager_may_merge_any_customer_of_the_store(self, login, personas):
        CustomerFactory(owner=personas.colleague, name="王五", phone="13900001919")
        client = login(personas.sales_manager)
        rows = [["姓名", "手机", "备注"], ["王五", "13900001919", "新备注"]]
        job = upload_and_check(client, rows)
        client.post(reverse("customers:import_decide", args=[job.pk]), {"action": "merge"})
        confirm(client, job)
        customer = Customer.objects.get(phone="13900001919")
        assert customer.notes == "新备注" and customer.owner == personas.colleague

    def test_same_phone_in_another_store_is_not_a_duplicate(self, login, personas):
        CustomerFactory(owner=personas.other_consultant, phone="13900002020")
        client = login(personas.consultant)
        job = upload_and_check(client, [["姓名", "手机"], ["张三", "13900002020"]])
        assert job.report["duplicates"] == []
        confirm(client, job)
        assert Customer.objects.filter(store=personas.store).count() == 1

    def test_manager_assigns_owner_by_user_name_or_full_name(self, login, personas):
        client = login(personas.sales_manager)
        colleague = personas.colleague
        rows = [
            ["姓名", "手机", "销售顾问"],
            ["甲", "13900002121", colleague.username],
            ["乙", "13900002122", colleague.get_full_name()],
            ["丙", "13900002123", personas.other_consultant.username],
            ["丁", "13900002124", ""],
        ]
        job = upload_and_check(client, rows)
        page = preview_text(client, job)
        assert "第 4 行 销售顾问（C列）：本店没有用户名或姓名为" in page
        assert job.report["issue_count"] == 1
        rows.pop(3)
        job = upload_and_check(client, rows)
        confirm(client, job)
        owners = dict(Customer.objects.values_list("name", "owner"))
        assert owners == {"甲": colleague.pk, "乙": colleague.pk, "丁": None}

    def test_ambiguous_full_name_asks_for_the_user_name(self, login, personas):
        UserFactory(username="wang_a", last_name="王", first_name="伟", store=personas.store)
        UserFactory(username="wang_b", last_name="王", first_name="伟", store=personas.store)
        client = login(personas.sales_manager)
        job = upload_and_check(client, [["姓名", "手机", "负责人"], ["甲", "13900002222", "王伟"]])
        assert "有多位顾问叫" in preview_text(client, job)

    def test_consultants_import_is_always_theirs(self, login, personas):
        client = login(personas.consultant)
        rows = [["姓名", "手机", "负责人"], ["甲", "13900002323", personas.colleague.username]]
        upload(client, xlsx_bytes(rows))
        job = latest_job()
        assert "owner" not in job.mapping.values()
        response = check(client, job, col_2="owner")  # a crafted post is ignored too
        assert response.status_code == 200
        job = upload_and_check(client, rows)
        confirm(client, job)
        assert Customer.objects.get().owner == personas.consultant

    def test_intended_trim_by_name_or_series_and_name(self, login, personas):
        sagitar = SeriesFactory(name="速腾")
        magotan = SeriesFactory(name="迈腾")
        TrimFactory(series=sagitar, name="200TSI 舒适型")
        TrimFactory(series=sagitar, name="300TSI 旗舰型")
        TrimFactory(series=magotan, name="300TSI 旗舰型")
        client = login(personas.consultant)
        rows = [
            ["姓名", "手机", "意向车型"],
            ["甲", "13900002424", "200TSI 舒适型"],
            ["乙", "13900002425", "迈腾 300TSI 旗舰型"],
            ["丙", "13900002426", "300TSI 旗舰型"],
            ["丁", "13900002427", "途观"],
        ]
        job = upload_and_check(client, rows)
        page = preview_text(client, job)
        assert "第 4 行 意向车型（C列）：“300TSI 旗舰型”对应多个车型" in page
        assert "第 5 行 意向车型（C列）：车型库中没有在售车型“途观”" in page
        rows = rows[:3]
        job = upload_and_check(client, rows)
        confirm(client, job)
        trims = dict(Customer.objects.values_list("name", "intended_trim__series__name"))
        assert trims == {"甲": "速腾", "乙": "迈腾"}


# -- all or nothing at confirm time -----------------------------------------------------------


@pytest.mark.django_db
class TestAllOrNothing:
    def test_phone_taken_after_the_preview_fails_the_whole_import(self, login, personas):
        client = login(personas.consultant)
        rows = [["姓名", "手机"], ["张三", "13900002525"], ["李四", "13900002526"]]
        job = upload_and_check(client, rows)
        CustomerFactory(owner=personas.colleague, phone="13900002526")
        confirm(client, job)
        job.refresh_from_db()
        assert job.status == ImportJob.Status.FAILED
        assert Customer.objects.count() == 1
        page = client.get(job.get_absolute_url()).text
        assert "没有导入任何数据" in page
        assert "第 3 行：手机号 13900002526 在检查之后已被本店使用" in page

    def test_failure_while_writing_rolls_everything_back(self, login, personas, monkeypatch):
        client = login(personas.consultant)
        rows = [["姓名", "手机"], ["张三", "13900002727"], ["李四", "13900002728"]]
        job = upload_and_check(client, rows)

        def explode(*args, **kwargs):
            raise IntegrityError("UNIQUE constraint failed: customer phone")

        monkeypatch.setattr(LevelChange.objects, "bulk_create", explode)
        confirm(client, job)
        job.refresh_from_db()
        assert job.status == ImportJob.Status.FAILED
        assert not Customer.objects.exists()
        assert not Customer.history.exists()
        assert "没有导入任何数据" in client.get(job.get_absolute_url()).text

    def test_failed_job_can_be_checked_again_and_imported(self, login, personas):
        client = login(personas.consultant)
        job = upload_and_check(client, [["姓名", "手机"], ["张三", "13900002929"]])
        taken = CustomerFactory(owner=personas.consultant, phone="13900002929")
        confirm(client, job)
        job.refresh_from_db()
        assert job.status == ImportJob.Status.FAILED
        check(client, job)
        job.refresh_from_db()
        assert job.report["duplicates"][0]["customer_id"] == taken.pk
        confirm(client, job)
        job.refresh_from_db()
        assert job.status == ImportJob.Status.DONE and job.skipped_count == 1

    def test_import_writes_the_checked_rows_without_reading_the_file_again(
        self, login, personas, monkeypatch
    ):
        client = login(personas.consultant)
        job = upload_and_check(client, [["姓名", "手机"], ["张三", "13900003232"]])

        def must_not_read(*args, **kwargs):
            raise AssertionError("the workbook was read again")

        monkeypatch.setattr(importing, "analyse", must_not_read)
        confirm(client, job)
        job.refresh_from_db()
        assert job.status == ImportJob.Status.DONE
        assert Customer.objects.get().phone == "13900003232"

    def test_import_reads_the_file_again_when_the_saved_check_is_gone(self, login, personas):
        client = login(personas.consultant)
        job = upload_and_check(client, [["姓名", "手机"], ["张三", "13900003333"]])
        core_importing.delete_checked_rows(job)
        confirm(client, job)
        job.refresh_from_db()
        assert job.status == ImportJob.Status.DONE and Customer.objects.count() == 1

    def test_trim_taken_off_sale_after_the_check_fails_the_import(self, login, personas):
        trim = TrimFactory(series=SeriesFactory(name="速腾"), name="200TSI 舒适型")
        client = login(personas.consultant)
        rows = [["姓名", "手机", "意向车型"], ["张三", "13900003434", "速腾 200TSI 舒适型"]]
        job = upload_and_check(client, rows)
        trim.is_active = False
        trim.save()
        confirm(client, job)
        job.refresh_from_db()
        assert job.status == ImportJob.Status.FAILED and not Customer.objects.exists()
        page = client.get(job.get_absolute_url()).text
        assert "第 2 行 意向车型（C列）：车型库中没有在售车型“速腾 200TSI 舒适型”" in page

    def test_second_confirm_does_not_import_twice(self, login, personas):
        client = login(personas.consultant)
        job = upload_and_check(client, [["姓名", "手机"], ["张三", "13900003030"]])
        confirm(client, job)
        confirm(client, job)
        assert Customer.objects.count() == 1


# -- big files: the task queue and the progress page ----------------------------------------


@pytest.mark.django_db
class TestBigFiles:
    def test_big_file_is_checked_and_imported_through_the_task_queue(
        self, login, personas, monkeypatch, django_capture_on_commit_callbacks
    ):
        from dealerplan.customers import tasks

        enqueued = []

        class Spy:
            def __init__(self, task):
                self.task = task

            def enqueue(self, *args):
                enqueued.append(self.task.name)
                return self.task.enqueue(*args)

        for name in ("check_import_task", "run_import_task"):
            monkeypatch.setattr(tasks, name, Spy(getattr(tasks, name)))
        monkeypatch.setattr(importing, "INLINE_ROW_LIMIT", 2)
        client = login(personas.consultant)
        rows = [["姓名", "手机"]] + [[f"客户{i}", f"1390000{i:04d}"] for i in range(30)]
        with django_capture_on_commit_callbacks(execute=True):
            job = upload_and_check(client, rows)
        assert enqueued == ["check_import_task"]
        job.refresh_from_db()
        assert job.status == ImportJob.Status.PREVIEWED and job.total_rows == 30
        with django_capture_on_commit_callbacks(execute=True):
            confirm(client, job)
        assert enqueued == ["check_import_task", "run_import_task"]
        job.refresh_from_db()
        assert job.status == ImportJob.Status.DONE and Customer.objects.count() == 30

    def test_progress_page_polls_until_done_then_sends_to_the_summary(self, login, personas):
        client = login(personas.consultant)
        job = ImportJob.objects.create(
            store=personas.store,
            user=personas.consultant,
            original_filename="big.xlsx",
            file_type="xlsx",
            status=ImportJob.Status.IMPORTING,
            total_rows=50000,
            processed_rows=12500,
        )
        page = client.get(job.get_absolute_url()).text
        assert 'hx-trigger="every 1s"' in page and "25%" in page
        progress_url = reverse("customers:import_progress", args=[job.pk])
        fragment = client.get(progress_url, HTTP_HX_REQUEST="true")
        assert "12500 / 50000" in fragment.text and "<html" not in fragment.text
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.DONE, created_count=5)
        done = client.get(progress_url, HTTP_HX_REQUEST="true")
        assert done["HX-Redirect"] == job.get_absolute_url()
        assert "5 位客户" in client.get(job.get_absolute_url()).text


# -- scope ----------------------------------------------------------------------------------


def job_urls(job) -> list[tuple[str, str]]:
    return [
        ("get", reverse("customers:import_job", args=[job.pk])),
        ("get", reverse("customers:import_mapping", args=[job.pk])),
        ("post", reverse("customers:import_mapping", args=[job.pk])),
        ("get", reverse("customers:import_progress", args=[job.pk])),
        ("post", reverse("customers:import_decide", args=[job.pk])),
        ("post", reverse("customers:import_confirm", args=[job.pk])),
    ]


@pytest.mark.django_db
class TestScope:
    @pytest.fixture
    def job(self, login, personas):
        client = login(personas.consultant)
        job = upload_and_check(client, [["姓名", "手机"], ["张三", "13900003131"]])
        client.logout()
        return job

    @pytest.mark.parametrize(
        "persona", ["colleague", "sales_manager", "other_manager", "other_consultant"]
    )
    def test_another_users_import_is_404_on_every_url(self, login, personas, job, persona):
        client = login(getattr(personas, persona))
        for method, url in job_urls(job):
            response = getattr(client, method)(url, {"action": "merge"} if method == "post" else {})
            assert response.status_code == 404, (persona, method, url)
        job.refresh_from_db()
        assert job.status == ImportJob.Status.PREVIEWED and not Customer.objects.exists()

    def test_anonymous_user_is_sent_to_login_everywhere(self, client, job):
        urls = [
            ("get", reverse("customers:import_upload")),
            ("post", reverse("customers:import_upload")),
            ("get", reverse("customers:import_template")),
            *job_urls(job),
        ]
        for method, url in urls:
            response = getattr(client, method)(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith(reverse("login")), url

    def test_another_users_import_is_absent_from_the_upload_page(self, login, personas, job):
        page = login(personas.colleague).get(reverse("customers:import_upload")).text
        assert job.original_filename not in page
        assert (
            job.original_filename
            in login(personas.consultant).get(reverse("customers:import_upload")).text
        )

    def test_scope_is_the_models_own(self, personas, job):
        assert ImportJob.objects.visible_to(personas.colleague).count() == 0
        assert ImportJob.objects.visible_to(personas.other_manager).count() == 0
        assert list(ImportJob.objects.visible_to(personas.consultant)) == [job]


@pytest.mark.django_db
def test_preview_query_count_does_not_grow_with_rows(login, personas):
    client = login(personas.consultant)

    def make_job(n):
        issues = [importing.issue("phone_invalid", row=i + 2, col=1) for i in range(n)]
        duplicates = [
            {
                "row": i + 2,
                "name": f"客户{i}",
                "phone": f"1390000{i:04d}",
                "kind": "store",
                "first_row": None,
                "customer_id": None,
                "customer_name": "",
                "visible": False,
            }
            for i in range(n)
        ]
        sample = [{"row": i + 2, "name": f"客户{i}", "phone": "13900000000"} for i in range(10)]
        return ImportJob.objects.create(
            store=personas.store,
            user=personas.consultant,
            original_filename="a.xlsx",
            file_type="xlsx",
            status=ImportJob.Status.PREVIEWED,
            headers=["姓名", "手机"],
            mapping={"0": "name", "1": "phone"},
            report={
                "data_rows": n,
                "valid_rows": n,
                "new_rows": 0,
                "error_rows": n,
                "issue_count": n,
                "issues": issues,
                "duplicates": duplicates,
                "sample": sample,
            },
        )

    def count(job) -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(job.get_absolute_url())
            assert response.status_code == 200
        return len(ctx.captured_queries)

    few, many = make_job(3), make_job(3000)
    assert count(few) == count(many)
    page = client.get(many.get_absolute_url()).text
    assert page.count("请输入有效的手机号") == 50, "errors are paginated"


# -- pure helpers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-05-01", datetime.datetime(2026, 5, 1, 9, 0)),
        ("2026/5/1 14:30", datetime.datetime(2026, 5, 1, 14, 30)),
        ("2026.05.01", datetime.datetime(2026, 5, 1, 9, 0)),
        ("2026年5月1日", datetime.datetime(2026, 5, 1, 9, 0)),
        ("2026年5月1日 8:05", datetime.datetime(2026, 5, 1, 8, 5)),
        ("20260501", datetime.datetime(2026, 5, 1, 9, 0)),
        (datetime.datetime(2026, 5, 1, 16, 0), datetime.datetime(2026, 5, 1, 16, 0)),
        (datetime.date(2026, 5, 1), datetime.datetime(2026, 5, 1, 9, 0)),
        (46143, datetime.datetime(2026, 5, 1, 9, 0)),  # an Excel serial number
    ],
)
def test_dates_in_common_formats(text, expected):
    parsed = core_importing.parse_datetime(text)
    assert timezone.localtime(parsed).replace(tzinfo=None) == expected


@pytest.mark.parametrize("text", ["2026-13-01", "明天", "", "1/2", True, datetime.time(9, 0)])
def test_bad_dates_are_refused(text):
    with pytest.raises((ValueError, TypeError)):
        core_importing.parse_datetime(text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("18万", "180000.00"),
        ("¥180,000", "180000.00"),
        (150000, "150000.00"),
        ("12.345", "12.35"),
        ("20.5万元", "205000.00"),
    ],
)
def test_budget_formats(value, expected):
    assert core_importing.parse_amount(value) == Decimal(expected)


def test_chinese_and_english_headers_map_to_fields():
    headers = [
        "客户名称",
        "联系电话",
        "微信号",
        "性别",
        "级别",
        "客户等级",
        "信息来源",
        "意向车型",
        "预算",
        "区县",
        "地址",
        "下次跟进时间",
        "备注",
        "客户类型",
        "销售顾问",
        "无关列",
    ]
    mapping = importing.suggest_mapping(headers, allow_owner=True)
    assert list(mapping.values()) == [
        "name",
        "phone",
        "wechat",
        "gender",
        "intention_level",
        "account_tier",
        "source",
        "intended_trim",
        "budget",
        "district",
        "address",
        "next_follow_up_at",
        "notes",
        "kind",
        "owner",
    ]
    assert "15" not in mapping
    assert "owner" not in importing.suggest_mapping(headers, allow_owner=False).values()
    english = ["Customer name", "Phone number", "WeChat", "Next follow-up", "Notes (optional)"]
    assert list(importing.suggest_mapping(english, allow_owner=False).values()) == [
        "name",
        "phone",
        "wechat",
        "next_follow_up_at",
        "notes",
    ]


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("source", "活动/车展", "event"),
        ("source", "车展", "event"),
        ("source", "电话/上门开发", "outbound"),
        ("source", "大客户/招投标", "fleet"),
        ("source", "来电", "phone_in"),
        ("source", "网络", "online"),
        ("source", "其他", "other"),
        ("source", "Walk-in", "walk_in"),
        ("gender", "女", "f"),
        ("gender", "Male", "m"),
        ("account_tier", "VIP", "vip"),
        ("account_tier", "一级", "tier1"),
        ("account_tier", "其它", "other"),
        ("intention_level", "h", "H"),
        ("intention_level", "O级", "O"),
        ("kind", "单位", "organization"),
        ("kind", "个人", "individual"),
    ],
)
def test_chinese_labels_map_to_choices(field, value, expected):
    cleaner = importing.RowCleaner.__new__(importing.RowCleaner)
    assert cleaner.clean_value(field, value) == {field: expected}


def test_scan_counts_rows_and_finds_formulas_across_chunk_boundaries():
    body = b"<row r='1'><c><v>1</v></c></row>" * 50000 + b"<c><f>A1</f></c>"
    assert core_importing.scan_sheet_xml(io.BytesIO(body)) == (50000, True)
    assert core_importing.scan_sheet_xml(io.BytesIO(b"<row><formula/></row>")) == (1, False)


@pytest.mark.django_db
class TestCommand:
    def test_command_checks_first_and_imports_with_commit(self, personas, tmp_path):
        from django.core.management import call_command

        path = tmp_path / "客户.xlsx"
        path.write_bytes(xlsx_bytes([["姓名", "号码"], ["张三", "13900003535"]]))
        out = io.StringIO()
        call_command(
            "import_customers", str(path), user="consultant", column=["B=phone"], stdout=out
        )
        assert "1 new" in out.getvalue() and not Customer.objects.exists()
        call_command(
            "import_customers",
            str(path),
            user="consultant",
            column=["B=phone"],
            commit=True,
            stdout=out,
        )
        customer = Customer.objects.get()
        assert customer.owner == personas.consultant and customer.phone == "13900003535"

    def test_command_lists_row_errors_and_imports_nothing(self, personas, tmp_path):
        from django.core.management import CommandError, call_command

        path = tmp_path / "客户.csv"
        path.write_bytes(csv_bytes([["姓名", "手机"], ["张三", "12"]], "gbk"))
        out = io.StringIO()
        with pytest.raises(CommandError):
            call_command("import_customers", str(path), user="consultant", commit=True, stdout=out)
        assert "第 2 行 手机（B列）" in out.getvalue()
        assert not Customer.objects.exists()
