"""Browser tests: the real app on a free port, driven by the system Chromium through Playwright.

The demo data (``seed_demo --size tiny --seed 1``) is built once per run; every test gets its
own copy of that database and its own server, so tests can change data and run in any order.
Screenshots of every step go to var/e2e-screens/<test>/.
"""

import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
SCREENS = ROOT / "var" / "e2e-screens"
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PASSWORD = "demo12345"  # the demo data's documented password
STARTUP_SECONDS = 60

expect.set_options(timeout=10_000)


def _env(db_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    # DEBUG serves the static files from the source tree (no collectstatic) and shows a
    # traceback page on a server error, which the failing screenshot then captures.
    env.update(
        DEBUG="true",
        DATABASE_URL=f"sqlite:///{db_path}",
        TASKS_BACKEND="django_tasks.backends.immediate.ImmediateBackend",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def _manage(db_path: Path, *args: str, log: Path) -> None:
    with log.open("a") as out:
        subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
            [sys.executable, str(ROOT / "manage.py"), *args],
            cwd=ROOT,
            env=_env(db_path),
            stdout=out,
            stderr=subprocess.STDOUT,
            check=True,
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory) -> Path:
    """A migrated database with the tiny demo data, built once per run."""
    folder = tmp_path_factory.mktemp("e2e-db")
    db_path, log = folder / "seed.sqlite3", folder / "seed.log"
    try:
        _manage(db_path, "migrate", "--no-input", log=log)
        _manage(db_path, "seed_demo", "--size", "tiny", "--seed", "1", log=log)
    except subprocess.CalledProcessError:
        pytest.fail(f"Could not build the demo database:\n{log.read_text()[-4000:]}")
    with sqlite3.connect(db_path) as conn:  # fold the WAL in, so one file is the whole copy
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db_path


class Server:
    """One running app with its own database file."""

    def __init__(self, db_path: Path, log: Path):
        self.db_path, self.log = db_path, log
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._out = log.open("w")
        self.process = subprocess.Popen(  # noqa: S603 - our own manage.py with fixed arguments
            [
                sys.executable,
                str(ROOT / "manage.py"),
                "runserver",
                f"127.0.0.1:{self.port}",
                "--noreload",
                "--skip-checks",
            ],
            cwd=ROOT,
            env=_env(db_path),
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"The server stopped:\n{self.log.read_text()[-4000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"The server did not answer:\n{self.log.read_text()[-4000:]}")

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Read the server's database directly (read-only), to pick test data or check it."""
        with sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True) as conn:
            return conn.execute(sql, params).fetchall()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._out.close()


@pytest.fixture
def server(seeded_db, tmp_path) -> Server:
    db_path = tmp_path / "app.sqlite3"
    shutil.copyfile(seeded_db, db_path)
    running = Server(db_path, tmp_path / "server.log")
    yield running
    running.stop()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"No Chromium at {CHROMIUM} (apt-get install chromium, or set E2E_CHROMIUM).")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session", autouse=True)
def _clean_screens():
    shutil.rmtree(SCREENS, ignore_errors=True)
    SCREENS.mkdir(parents=True, exist_ok=True)


class Shots:
    """Numbered full-page screenshots of one test's steps."""

    def __init__(self, page: Page, folder: Path):
        self.page, self.folder, self.count = page, folder, 0

    def __call__(self, step: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{step}.png"
        self.page.screenshot(path=path, full_page=True)
        return path


@pytest.fixture
def page(browser, server, request) -> Page:
    """A fresh browser context at desktop size, Chinese first, with page errors recorded."""
    context = browser.new_context(
        base_url=server.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1280, "height": 900},
        accept_downloads=True,
    )
    context.set_default_timeout(15_000)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    tab.on(
        "console",
        lambda msg: (
            problems.append(f"console: {msg.text}")
            if msg.type == "error" and "Content Security Policy" in msg.text
            else None
        ),
    )
    tab.on(
        "response",
        lambda response: (
            problems.append(f"HTTP {response.status}: {response.url}")
            if response.status >= 500
            else None
        ),
    )
    tab.problems = problems
    yield tab
    if getattr(request.node, "rep_call_failed", False):
        tab.screenshot(path=_folder(request) / "99-failed.png", full_page=True)
    context.close()
    assert not problems, "The browser reported problems:\n" + "\n".join(problems)


def _folder(request) -> Path:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    folder = SCREENS / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def shot(page, request) -> Shots:
    return Shots(page, _folder(request))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call_failed = report.failed
    return report


@pytest.fixture
def login(page):
    """Sign in through the login form as a demo user."""

    def sign_in(username: str) -> Page:
        page.goto("/accounts/login/")
        page.locator("input[name=username]").fill(username)
        page.locator("input[name=password]").fill(PASSWORD)
        page.locator("form:has(input[name=password]) button[type=submit]").click()
        page.wait_for_load_state()
        expect(page.locator("input[name=password]")).to_have_count(0)
        return page

    return sign_in
