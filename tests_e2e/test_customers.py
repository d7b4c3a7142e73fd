"""Customer work: a call from My Day, a walk-in that opens a lead card, the Excel export."""

import re

from openpyxl import load_workbook
from playwright.sync_api import expect

NEW_PHONE = "13900001234"  # not in the demo data


def test_a_consultant_logs_a_call_from_my_day(page, login, shot, server):
    login("consultant01")
    page.goto("/my-day/")
    row = page.locator("li.due-item").first
    expect(row).to_be_visible()
    name = row.locator("a.fw-semibold").inner_text()
    calls_card = page.locator("#quota-cards .fs-4").first
    calls_before = int(calls_card.inner_text().split("/")[0])
    shot("my-day")

    row.locator("button[hx-get*='kind=call']").click()
    form = row.locator("form")
    expect(form.locator("select[name=outcome]")).to_be_visible()
    expect(form.locator("select[name=kind]")).to_have_value("call")
    form.locator("select[name=outcome]").select_option("appointment")
    form.locator("textarea[name=notes]").fill("约好周六上午来店试驾 ID.4")
    form.locator("input[name=next_step]").fill("周五电话确认到店时间")
    shot("call-form")

    form.locator("button[type=submit]").click()
    done = page.locator("li.due-item.list-group-item-success")
    expect(done).to_contain_text(name)
    expect(calls_card).to_have_text(re.compile(rf"^{calls_before + 1}\s*/"))
    shot("call-logged")

    done.locator("a", has_text=name).click()
    expect(page.locator("h1")).to_contain_text(name)
    expect(page.locator(".timeline")).to_contain_text("约好周六上午来店试驾 ID.4")
    shot("customer-timeline")


def test_a_walk_in_is_registered_and_its_lead_card_opens(page, login, shot, server):
    login("showroom_manager")
    page.goto("/traffic/add/")
    form = page.locator("#traffic-form")
    expect(form.locator("input[name=kind][value=walk_in]")).to_be_checked()
    series = form.locator("select[name=series]")
    series.select_option(series.locator("option", has_text="ID.4").get_attribute("value"))
    form.locator("label[for=id_test_drive]").click()
    form.locator("input[name=visitor_name]").fill("测试客户")
    form.locator("input[name=visitor_phone]").fill(NEW_PHONE)
    form.locator("select[name=consultant]").select_option(index=1)
    form.locator("label[for=id_open_card]").click()
    form.locator("textarea[name=notes]").fill("看 ID.4，关心续航和充电桩")
    shot("walk-in-form")

    form.locator(".form-actions button[type=submit]:not([name])").click()
    expect(page).to_have_url(re.compile(r"/traffic/$"))
    expect(page.locator("#messages .alert")).to_contain_text("测试客户")
    shot("walk-in-saved")

    page.goto(f"/customers/?q={NEW_PHONE}")
    result = page.locator("table tbody tr")
    expect(result).to_have_count(1)
    result.get_by_role("link", name="测试客户").click()
    expect(page.locator("h1")).to_contain_text("测试客户")
    shot("customer")

    page.locator("a[href$='/card/']").click()
    expect(page).to_have_url(re.compile(r"/customers/\d+/card/$"))
    card = page.locator("article.print-card")
    expect(card).to_contain_text("测试客户")
    expect(card).to_contain_text(NEW_PHONE)
    expect(page.locator(".alert-warning")).to_have_count(0)  # opened: level B
    shot("lead-card")
    assert server.query(
        "select intention_level from customers_customer where phone = ?", (NEW_PHONE,)
    ) == [("B",)]


def test_the_customer_list_exports_to_excel(page, login, shot, tmp_path):
    login("sales_manager")  # managers export; consultants are refused
    page.goto("/customers/")
    rows = page.locator("table tbody tr")
    expect(rows.first).to_be_visible()
    total = int(page.locator("h1 .page-count").inner_text())
    shot("customer-list")

    with page.expect_download() as info:
        page.locator("a[href*='export=xlsx']").first.click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    target = tmp_path / download.suggested_filename
    download.save_as(target)

    sheet = load_workbook(target, read_only=True).active
    data = list(sheet.iter_rows(values_only=True))
    assert len(data) == total + 1  # the header and every customer the list shows
    first_name = rows.first.locator("td").first.inner_text().strip()
    assert first_name in {row[0] for row in data[1:]}
    shot("after-export")
