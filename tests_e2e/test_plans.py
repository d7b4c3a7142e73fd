"""Plans: a year broken down and locked; a monthly work plan approved and downloaded as Word."""

import io
import re

from docx import Document
from playwright.sync_api import expect

SECTION_TEXT = "每天电话不少于30个，每周拜访不少于20家；重点跟进 ID.4 试驾客户。"


def test_a_year_plan_is_broken_down_and_locked_with_its_months(page, login, shot, server):
    login("sales_manager")
    page.goto("/plans/new/")
    year = page.locator("input[name=year]").input_value()
    for name, value in {
        "units_quota": "600",
        "units_goal": "720",
        "revenue_quota": "110000000.00",
        "revenue_goal": "130000000.00",
        "calls_quota": "60000",
        "calls_goal": "66000",
    }.items():
        page.locator(f"input[name={name}]").fill(value)
    page.locator("button[name=action][value=preview]").click()
    save = page.locator("button[name=action][value=save]")
    expect(save).to_be_visible()
    shot("preview")

    save.click()
    expect(page).to_have_url(re.compile(r"/plans/\d+/$"))
    shot("year-plan-draft")

    page.locator("button[name=action][value=lock]").click()
    expect(page.locator("#messages .alert")).to_be_visible()
    expect(page.locator("button[name=action][value=lock]")).to_have_count(0)
    expect(page.locator("button[name=action][value=revise]")).to_be_visible()
    shot("year-plan-locked")

    page.locator(f"a[href='?month={year}-01']").click()
    expect(page.locator("main")).to_contain_text(f"{year}-01")
    shot("january")
    statuses = server.query(
        "select period_type, status, count(*) from planning_plan"
        " where strftime('%Y', period_start) = ? group by 1, 2",
        (year,),
    )
    assert {status for _, status, _ in statuses} == {"locked"}
    assert ("month", "locked") in {(kind, status) for kind, status, _ in statuses}


def test_a_monthly_work_plan_is_approved_and_downloads_as_word(page, login, shot):
    login("consultant01")
    page.goto("/plans/documents/")
    create = page.locator("form[action$='/documents/new/']")
    create.locator("select[name=template]").select_option("consultant")
    month = create.locator("select[name=month]").input_value()
    shot("document-list")
    create.locator("button").click()
    expect(page).to_have_url(re.compile(r"/plans/documents/\d+/$"))
    document_url = page.url

    first_section = page.locator("form textarea:not([name=comment])").first
    first_section.fill(SECTION_TEXT)
    shot("document-draft")
    page.locator("button[name=action][value=submit]").click()
    expect(page.locator("#messages .alert")).to_be_visible()
    expect(page.locator("button[name=action][value=submit]")).to_have_count(0)  # read-only now
    shot("document-submitted")

    # The sales manager approves it, in a browser of their own.
    page.context.clear_cookies()
    login("sales_manager")
    page.goto(document_url)
    page.locator("textarea[name=comment]").fill("同意，注意月底回款。")
    page.locator("button[name=action][value=approve]").click()
    expect(page.locator("#messages .alert")).to_be_visible()
    expect(page.locator("button[name=action][value=approve]")).to_have_count(0)
    shot("document-approved")

    with page.expect_download() as info:
        page.locator("a[href='?format=docx']").click()
    download = info.value
    assert download.suggested_filename == f"work-plan-{month}-consultant01.docx"
    with open(download.path(), "rb") as file:
        data = file.read()
    text = "\n".join(paragraph.text for paragraph in Document(io.BytesIO(data)).paragraphs)
    assert SECTION_TEXT in text
    shot("after-download")
