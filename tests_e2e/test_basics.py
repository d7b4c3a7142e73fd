"""Signing in, the consultant's day, and the language switch."""

import re

from playwright.sync_api import expect


def test_a_consultant_signs_in_and_lands_on_my_day(page, shot):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    shot("login-page")

    page.locator("input[name=username]").fill("consultant01")
    page.locator("input[name=password]").fill("wrong-password")
    page.locator("form:has(input[name=password]) button[type=submit]").click()
    expect(page.locator(".alert-danger")).to_be_visible()
    shot("wrong-password")

    page.locator("input[name=password]").fill("demo12345")
    page.locator("form:has(input[name=password]) button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/my-day/$"))
    expect(page.locator("html")).to_have_attribute("lang", re.compile(r"^zh"))
    shot("signed-in")


def test_my_day_shows_the_quota_cards_and_the_due_follow_ups(page, login, shot):
    login("consultant01")
    page.goto("/my-day/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("我的一天")
    due = page.locator("li.due-item")
    expect(due.first).to_be_visible()
    shot("my-day")

    # Consultants use it on their phones: the same page at 390 px, no sideways scrolling.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/my-day/")
    expect(due.first).to_be_visible()
    shot("my-day-phone")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"My Day is {overflow}px wider than a 390px phone"


def test_switching_to_english_and_back(page, login, shot):
    login("consultant01")
    page.goto("/customers/")
    expect(page.locator("h1")).to_contain_text("客户")
    shot("chinese")

    page.locator("button.app-user-toggle").click()  # the language sits in the user menu
    english = page.locator(".app-user-menu button[name=language][value=en]")
    expect(english).to_be_visible()
    shot("user-menu")
    english.click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/customers/"))
    expect(page.locator("h1")).to_contain_text(re.compile("customers", re.I))
    shot("english")

    page.goto("/my-day/")  # the choice sticks across pages
    expect(page.locator("h1")).to_contain_text("My Day")
    shot("english-my-day")

    page.locator("button.app-user-toggle").click()
    page.locator(".app-user-menu button[name=language][value=zh-hans]").click()
    expect(page.locator("html")).to_have_attribute("lang", re.compile(r"^zh"))
    expect(page.locator("h1")).to_contain_text("我的一天")
    shot("back-to-chinese")
