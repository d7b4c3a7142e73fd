"""Security promises: passwords, session expiry, CSP, redirects and uploads.

The login lockout (5 failures → 429 with a Chinese message) is covered in test_platform.py.
"""

import datetime
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.password_validation import (
    password_validators_help_texts,
    validate_password,
)
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dealerplan.core.uploads import SpreadsheetFileField
from dealerplan.customers.models import ImportJob
from tests.calendar.factories_calendar import NotificationFactory
from tests.deals.factories_deals import make_deal
from tests.factories import CustomerFactory

PASSWORD = "test-password-123"
TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "dealerplan" / "templates"
STATIC_JS = Path(__file__).resolve().parents[2] / "src" / "dealerplan" / "static" / "dealerplan"
TIMED_OUT = "会话已超时，请重新登录"
EVIL = ["https://evil.example.com/", "//evil.example.com/", "https:/\\evil.example.com"]


def password_errors(password, user=None) -> list[ValidationError]:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        return exc.error_list
    return []


# -- passwords --------------------------------------------------------------------------------


@pytest.mark.django_db
class TestPasswordRules:
    def test_short_password_is_refused_below_ten_characters(self, personas):
        errors = password_errors("Qx7-kp2#z", personas.consultant)
        assert [e.code for e in errors] == ["password_too_short"]
        assert errors[0].messages == ["密码太短：至少需要 10 个字符。"]

    def test_common_password_is_refused_in_chinese(self):
        errors = password_errors("password123")
        assert [e.code for e in errors] == ["password_too_common"]
        assert "这个密码太常见了" in errors[0].messages[0]

    def test_all_digit_password_is_refused_in_chinese(self):
        errors = password_errors("8302948172635")
        assert "password_entirely_numeric" in [e.code for e in errors]
        assert any("密码只包含数字" in e.messages[0] for e in errors)

    def test_password_like_the_username_is_refused(self, personas):
        user = personas.consultant
        user.username = "zhangwei88"
        errors = password_errors("zhangwei88!", user)
        assert "password_too_similar" in [e.code for e in errors]

    def test_a_long_uncommon_password_passes(self, personas):
        assert password_errors("车行-销售计划-2026!", personas.consultant) == []

    def test_help_text_states_the_minimum_in_chinese(self):
        assert "密码至少需要 10 个字符。" in password_validators_help_texts()


# -- idle and absolute session expiry ---------------------------------------------------------


def sign_in(client):
    response = client.post(reverse("login"), {"username": "consultant", "password": PASSWORD})
    assert response.status_code == 302
    return client


def is_signed_in(client) -> bool:
    response = client.get(reverse("calendar:notifications"))
    return response.status_code == 200


@pytest.mark.django_db
class TestSessionExpiry:
    START = datetime.datetime(2026, 11, 16, 9, 0, tzinfo=datetime.UTC)

    def test_the_login_clock_starts_even_before_the_first_request_of_a_process(self):
        # The receiver lives beside the middleware, which Django loads on the first request;
        # the app connects it at start-up, so a sign-in before any request is timed too.
        check = (
            "from django.contrib.auth.signals import user_logged_in; "
            "print(any(key[0] == 'dealerplan_session_login_time' for key, *_ in "
            "user_logged_in.receivers))"
        )
        result = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
            [sys.executable, "-m", "dealerplan", "shell", "--no-imports", "-c", check],
            capture_output=True,
            text=True,
            env={**os.environ, "DEBUG": "true"},
            timeout=120,
            check=False,
        )
        assert result.stdout.strip() == "True", result.stderr

    def test_idle_for_more_than_thirty_minutes_signs_out_with_a_message(self, client, personas):
        with time_machine.travel(self.START, tick=False) as clock:
            sign_in(client)
            clock.shift(datetime.timedelta(minutes=29))
            assert is_signed_in(client)
            clock.shift(datetime.timedelta(minutes=31))
            response = client.get(reverse("calendar:notifications"))
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("login") + "?next=")
            page = client.get(response["Location"])
            assert TIMED_OUT in page.text
            assert not page.wsgi_request.user.is_authenticated
            # Signed out for good: the old session does not come back.
            assert not is_signed_in(client)

    def test_activity_keeps_the_session_alive_until_the_absolute_limit(self, client, personas):
        with time_machine.travel(self.START, tick=False) as clock:
            sign_in(client)
            for _ in range(35):  # 11 h 40 min of work, a request every 20 minutes
                clock.shift(datetime.timedelta(minutes=20))
                assert is_signed_in(client)
            clock.shift(datetime.timedelta(minutes=21))  # 12 h 1 min after signing in
            response = client.get(reverse("calendar:notifications"))
            assert response.status_code == 302
            assert TIMED_OUT in client.get(response["Location"]).text

    def test_an_expired_session_on_the_api_answers_401_not_a_login_page(self, client, personas):
        with time_machine.travel(self.START, tick=False) as clock:
            sign_in(client)
            clock.shift(datetime.timedelta(minutes=31))
            response = client.get("/api/v1/customers/")
            assert response.status_code == 401
            assert response.json()["detail"] == TIMED_OUT
            assert client.get("/api/v1/customers/").status_code in (401, 403)

    def test_timeouts_follow_the_settings(self, client, personas, settings):
        settings.SESSION_IDLE_TIMEOUT_MINUTES = 5
        with time_machine.travel(self.START, tick=False) as clock:
            sign_in(client)
            clock.shift(datetime.timedelta(minutes=4))
            assert is_signed_in(client)
            clock.shift(datetime.timedelta(minutes=6))
            assert not is_signed_in(client)

    def test_signing_in_again_restarts_the_absolute_clock(self, client, personas):
        with time_machine.travel(self.START, tick=False) as clock:
            sign_in(client)
            clock.shift(datetime.timedelta(hours=11, minutes=50))
            client.logout()
            sign_in(client)
            clock.shift(datetime.timedelta(minutes=20))
            assert is_signed_in(client)

    def test_htmx_request_reloads_the_whole_page_at_the_login(self, client, personas):
        with time_machine.travel(self.START, tick=False) as clock:
            sign_in(client)
            clock.shift(datetime.timedelta(hours=1))
            response = client.get(reverse("calendar:notifications"), HTTP_HX_REQUEST="true")
        assert response.status_code == 204
        assert response["HX-Redirect"].startswith(reverse("login"))

    def test_production_settings_read_the_timeouts_from_the_environment(self):
        values = production_settings(SESSION_IDLE_TIMEOUT_MINUTES="15", SESSION_MAX_AGE_HOURS="8")
        assert values["SESSION_IDLE_TIMEOUT_MINUTES"] == 15
        assert values["SESSION_MAX_AGE_HOURS"] == 8
        assert values["SESSION_COOKIE_AGE"] == 8 * 3600


# -- production settings and Content-Security-Policy ------------------------------------------


def production_settings(**env) -> dict:
    """Security settings as a DEBUG=false process sees them."""
    names = [
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_SSL_REDIRECT",
        "SESSION_IDLE_TIMEOUT_MINUTES",
        "SESSION_MAX_AGE_HOURS",
        "SESSION_COOKIE_AGE",
        "MAX_UPLOAD_MB",
        "MIDDLEWARE",
    ]
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        f"print(json.dumps({{n: getattr(s, n) for n in {names!r}}}))"
    )
    full_env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    full_env.update(
        DEBUG="false",
        SECRET_KEY="a-very-long-random-production-secret-key-0123456789-abcdefghijklmnop",
        ALLOWED_HOSTS="crm.example.com",
        DJANGO_SETTINGS_MODULE="dealerplan.settings",
        **env,
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter, fixed code
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_cookies_are_secure_and_hsts_is_on():
    values = production_settings()
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert "csp.middleware.CSPMiddleware" in values["MIDDLEWARE"]
    assert "dealerplan.core.session.SessionTimeoutMiddleware" in values["MIDDLEWARE"]
    assert values["MAX_UPLOAD_MB"] == 20


def csp_directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in header.split(";") if part.strip())
    }


@pytest.mark.django_db
class TestContentSecurityPolicy:
    def test_pages_carry_a_strict_policy_with_debug_off(self, client, settings):
        settings.DEBUG = False
        directives = csp_directives(client.get(reverse("login")))
        assert directives["default-src"] == ["'self'"]
        assert "'unsafe-inline'" not in directives["script-src"]
        assert "'unsafe-eval'" not in directives["script-src"]
        assert directives["object-src"] == ["'none'"]
        assert directives["frame-ancestors"] == ["'none'"]
        assert directives["base-uri"] == ["'self'"]
        assert directives["form-action"] == ["'self'"]

    def test_the_nonce_in_the_page_is_the_one_in_the_header(self, login, personas, settings):
        settings.DEBUG = False
        response = login(personas.consultant).get(reverse("traffic:kpis"))
        nonce = re.search(r'<script nonce="([^"]+)">', response.text).group(1)
        directives = csp_directives(response)
        assert f"'nonce-{nonce}'" in directives["script-src"]
        assert f"'nonce-{nonce}'" in directives["style-src-elem"]
        assert f'"inlineStyleNonce": "{nonce}"' in response.text  # htmx's indicator styles

    def test_each_response_gets_a_fresh_nonce(self, login, personas):
        client = login(personas.consultant)
        first = csp_directives(client.get(reverse("traffic:kpis")))["script-src"]
        second = csp_directives(client.get(reverse("traffic:kpis")))["script-src"]
        assert first != second

    def test_templates_have_no_inline_handlers_and_inline_blocks_carry_the_nonce(self):
        problems = []
        for path in TEMPLATES.rglob("*.html"):
            if "emails" in path.parts:  # mail clients, not browsers under our policy
                continue
            text = path.read_text(encoding="utf-8")
            name = path.relative_to(TEMPLATES)
            for match in re.finditer(r"<(script|style)\b([^>]*)>", text):
                tag, attrs = match.groups()
                if tag == "script" and ("src=" in attrs or "application/json" in attrs):
                    continue
                if "nonce=" not in attrs:
                    problems.append(f"{name}: <{tag}> without nonce")
            problems += [
                f"{name}: inline handler {m.group(0)}" for m in re.finditer(r"\son[a-z]+\s*=", text)
            ]
            if "javascript:" in text:
                problems.append(f"{name}: javascript: URL")
        assert problems == []

    def test_our_scripts_do_not_need_eval(self):
        for path in STATIC_JS.glob("*.js"):
            text = path.read_text(encoding="utf-8")
            assert "eval(" not in text and "new Function" not in text, path.name


# -- no open redirects ------------------------------------------------------------------------


@pytest.mark.django_db
class TestNoOpenRedirects:
    @pytest.mark.parametrize("target", EVIL)
    def test_login_ignores_a_foreign_next(self, client, personas, target):
        response = client.post(
            reverse("login"), {"username": "consultant", "password": PASSWORD, "next": target}
        )
        assert response.status_code == 302
        assert response["Location"] == reverse("home")

    def test_login_follows_a_local_next(self, client, personas):
        response = client.post(
            reverse("login"), {"username": "consultant", "password": PASSWORD, "next": "/deals/"}
        )
        assert response["Location"] == "/deals/"

    @pytest.mark.parametrize("target", EVIL)
    def test_language_switch_ignores_a_foreign_next(self, client, target):
        response = client.post(reverse("set_language"), {"language": "en", "next": target})
        assert "evil" not in response.get("Location", "")

    @pytest.mark.parametrize("target", EVIL)
    def test_logout_ignores_a_foreign_next(self, login, personas, target):
        response = login(personas.consultant).post(reverse("logout"), {"next": target})
        assert "evil" not in response.get("Location", "")

    @pytest.mark.parametrize("target", EVIL)
    def test_activity_form_ignores_a_foreign_next(self, login, personas, target):
        customer = CustomerFactory(owner=personas.consultant, store=personas.store)
        response = login(personas.consultant).get(
            reverse("activities:log_activity", args=[customer.pk]), {"next": target}
        )
        assert response.context["next"] == customer.get_absolute_url()

    @pytest.mark.parametrize("target", EVIL)
    def test_deal_move_ignores_a_foreign_next(self, login, personas, target):
        deal = make_deal(personas.consultant)
        response = login(personas.consultant).post(
            reverse("deals:move", args=[deal.pk]), {"stage": deal.stage_id, "next": target}
        )
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("deals:board"))

    @pytest.mark.parametrize("target", EVIL)
    def test_notification_link_ignores_a_foreign_next(self, login, personas, target):
        note = NotificationFactory(user=personas.consultant)
        response = login(personas.consultant).post(
            reverse("calendar:notification_read", args=[note.pk]), {"next": target}
        )
        assert response["Location"] == reverse("calendar:notifications")


# -- uploads ----------------------------------------------------------------------------------


class TestSpreadsheetUploads:
    def clean(self, name, size):
        field = SpreadsheetFileField()
        return field.clean(SimpleUploadedFile(name, b"x" * size))

    def test_too_big_file_is_refused_in_chinese(self, settings):
        settings.MAX_UPLOAD_MB = 1
        with pytest.raises(ValidationError) as caught:
            self.clean("客户.csv", 1024 * 1024 + 1)
        assert caught.value.messages == ["文件超过 1 MB，请拆分成较小的文件。"]

    def test_file_at_the_limit_is_accepted(self, settings):
        settings.MAX_UPLOAD_MB = 1
        assert self.clean("库存.xlsx", 1024 * 1024).name == "库存.xlsx"

    @pytest.mark.parametrize("name", ["客户.pdf", "客户.exe", "客户.xlsx.html", "客户"])
    def test_other_types_are_refused_in_chinese(self, name):
        with pytest.raises(ValidationError) as caught:
            self.clean(name, 10)
        assert "只能导入 Excel 工作簿（.xlsx）或 CSV 文件（.csv）" in caught.value.messages[0]

    def test_old_excel_gets_the_save_as_hint(self):
        with pytest.raises(ValidationError) as caught:
            self.clean("客户.xls", 10)
        assert "旧版 Excel" in caught.value.messages[0]

    def test_file_input_offers_only_spreadsheets(self):
        assert 'accept=".xlsx,.csv"' in str(SpreadsheetFileField().widget.render("f", None))

    @pytest.mark.django_db
    def test_customer_import_uses_the_configured_limit(self, login, personas, settings):
        settings.MAX_UPLOAD_MB = 1
        content = ("姓名,手机\n" + "张三,13900000000\n" * 70000).encode()
        assert len(content) > 1024 * 1024
        response = login(personas.consultant).post(
            reverse("customers:import_upload"),
            {"file": SimpleUploadedFile("客户.csv", content, content_type="text/csv")},
        )
        assert response.status_code == 200
        assert "文件超过 1 MB" in response.text
        assert not ImportJob.objects.exists()
