"""The project's promises about settings, health checks, the console command and login."""

import os
import re
import socket
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from dealerplan.config import cache_settings, env_bool, env_int, env_list, env_str


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("DP_TEST_VALUE",):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


class TestConfigHelpers:
    def test_bool_accepts_common_spellings(self, clean_env):
        clean_env.setenv("DP_TEST_VALUE", "Yes")
        assert env_bool("DP_TEST_VALUE") is True
        clean_env.setenv("DP_TEST_VALUE", "off")
        assert env_bool("DP_TEST_VALUE", default=True) is False

    def test_bool_rejects_nonsense_loudly(self, clean_env):
        clean_env.setenv("DP_TEST_VALUE", "maybe")
        with pytest.raises(ImproperlyConfigured, match="DP_TEST_VALUE"):
            env_bool("DP_TEST_VALUE")

    def test_int_rejects_non_numbers(self, clean_env):
        clean_env.setenv("DP_TEST_VALUE", "ten")
        with pytest.raises(ImproperlyConfigured):
            env_int("DP_TEST_VALUE", 1)

    def test_list_splits_and_trims(self, clean_env):
        clean_env.setenv("DP_TEST_VALUE", " a.example.com , b.example.com,")
        assert env_list("DP_TEST_VALUE") == ["a.example.com", "b.example.com"]

    def test_missing_required_string_fails(self, clean_env):
        with pytest.raises(ImproperlyConfigured, match="must be set"):
            env_str("DP_TEST_VALUE")


class TestCacheSettings:
    def test_no_cache_url_keeps_a_memory_cache_per_process(self):
        assert cache_settings("")["BACKEND"].endswith("LocMemCache")

    def test_a_redis_url_shares_one_cache(self):
        config = cache_settings(" redis://127.0.0.1:6379/1 ")
        assert config == {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/1",
        }

    def test_anything_else_is_refused_with_an_example(self):
        with pytest.raises(ImproperlyConfigured, match=re.escape("redis://127.0.0.1:6379/1")):
            cache_settings("memcached://127.0.0.1:11211")


def redis_answers() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not redis_answers(), reason="no Redis on 127.0.0.1:6379")
def test_two_processes_share_the_redis_cache():
    key = f"dealerplan-test-{os.getpid()}"
    url = "redis://127.0.0.1:6379/15"
    write = f"from django.core.cache import cache; cache.set('{key}', 'shared', 30)"
    read = f"from django.core.cache import cache; print(cache.get('{key}')); cache.delete('{key}')"
    shell = ("shell", "--no-imports", "-c")
    assert run_manage(*shell, write, DEBUG="true", CACHE_URL=url).returncode == 0
    result = run_manage(*shell, read, DEBUG="true", CACHE_URL=url)
    assert result.stdout.strip() == "shared", result.stderr


def run_manage(*args, **env):
    full_env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    full_env.update(env)
    return subprocess.run(  # noqa: S603 - fixed arguments, our own interpreter
        [sys.executable, "-m", "dealerplan", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
        check=False,
    )


class TestSettingsFromEnvironment:
    def test_production_settings_pass_check_deploy_without_warnings(self):
        result = run_manage(
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
            DEBUG="false",
            SECRET_KEY="a-very-long-random-production-secret-key-0123456789-abcdefghijklmnop",
            ALLOWED_HOSTS="crm.example.com",
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "no issues" in result.stdout

    def test_production_without_secret_key_refuses_to_start(self):
        result = run_manage("check", DEBUG="false", ALLOWED_HOSTS="crm.example.com")
        assert result.returncode != 0
        assert "SECRET_KEY must be set" in result.stderr

    def test_defaults_are_shanghai_time_and_chinese_first(self, settings):
        assert settings.TIME_ZONE == "Asia/Shanghai"
        assert settings.USE_TZ is True
        assert settings.LANGUAGE_CODE == "zh-hans"
        assert [code for code, _ in settings.LANGUAGES] == ["zh-hans", "en"]


@pytest.mark.django_db
class TestHealthz:
    def test_healthz_reports_database_ok(self, client):
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json()["status"] == "ok"
        assert response.json()["database"] == "ok"

    def test_healthz_reports_database_failure_as_503(self, client, monkeypatch):
        from django.db import connection

        def broken_cursor(*args, **kwargs):
            raise RuntimeError("database is down")

        monkeypatch.setattr(connection, "cursor", broken_cursor)
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.json()["database"] == "error"


@pytest.mark.django_db
class TestLogin:
    def test_login_page_is_served_in_chinese(self, client):
        response = client.get(reverse("login"))
        assert response.status_code == 200
        assert "登录" in response.text

    def test_consultant_logs_in_with_password_and_lands_home(self, client, personas):
        response = client.post(
            reverse("login"), {"username": "consultant", "password": "test-password-123"}
        )
        assert response.status_code == 302
        assert response["Location"] == reverse("home")
        home = client.get(reverse("home"))
        assert home.status_code == 302
        assert home["Location"] == reverse("activities:my_day")
        assert client.get(reverse("activities:my_day")).status_code == 200

    def test_wrong_password_shows_a_message(self, client, personas):
        response = client.post(reverse("login"), {"username": "consultant", "password": "nope"})
        assert response.status_code == 200
        assert "用户名" in response.text or "密码" in response.text

    def test_repeated_failures_lock_the_account_with_a_clear_message(self, client, personas):
        for _ in range(5):
            client.post(reverse("login"), {"username": "consultant", "password": "nope"})
        response = client.post(
            reverse("login"), {"username": "consultant", "password": "test-password-123"}
        )
        assert response.status_code == 429
        assert "登录失败次数过多" in response.text

    def test_navigation_depends_on_role(self, login, personas):
        consultant_page = login(personas.consultant).get(reverse("activities:my_day")).text
        assert reverse("customers:customer_list") in consultant_page
        assert reverse("admin:index") not in consultant_page
        manager_page = login(personas.general_manager).get(reverse("home")).text
        assert reverse("admin:index") in manager_page


@pytest.mark.django_db
class TestLanguage:
    def test_chinese_even_when_the_browser_asks_for_english(self, client):
        response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
        assert 'lang="zh-hans"' in response.text
        assert "登录" in response.text

    def test_switching_to_english_sticks(self, client):
        client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
        response = client.get(reverse("login"))
        assert 'lang="en"' in response.text
        assert "Sign in" in response.text


def test_dealerplan_console_command_is_installed():
    from importlib.metadata import entry_points

    (script,) = entry_points(group="console_scripts", name="dealerplan")
    assert script.value == "dealerplan.__main__:main"


@pytest.mark.django_db
def test_only_the_best_matching_sidebar_entry_is_active(personas):
    from dealerplan.core.navigation import nav_for

    items = nav_for(personas.sales_manager, "/plans/progress/")
    active = [item["url"] for item in items if item["active"]]
    assert active == ["/plans/progress/"]


@pytest.mark.django_db
def test_sidebar_is_grouped_in_sections_and_trimmed_by_role(personas):
    from dealerplan.core.navigation import nav_for

    manager = nav_for(personas.sales_manager, "/")
    headings = [item["section"] for item in manager if item["new_section"]]
    assert headings == ["我的工作", "客户管理", "销售管理", "计划与目标", "报表", "设置"]
    consultant = nav_for(personas.consultant, "/")
    assert "/settings/rules/" not in [item["url"] for item in consultant]
