"""Playwright driving Debian's Chromium against pytest-django's live_server.

Browser tests skip, saying why, when no Chromium is installed (CI installs it).
Screenshots go to artifacts/screenshots/ (git-ignored).
"""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("BLOCKDESK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"

# live_server runs the app in a thread beside the test; Playwright's sync API
# runs an event loop, which Django's async-safety check would otherwise refuse.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        pytest.skip(f"No Chromium at {CHROMIUM}: install Debian's 'chromium' package to run browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def login(live_server):
    """login(page, user) signs the user in through the real login form."""
    from tests.factories import PASSWORD

    def sign_in(page, user):
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("Username").fill(user.get_username())
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        # Past the notices counter the page asks for once loaded: on SQLite's shared in-memory test database
        # that read and a test's next writes would collide ("database table is locked").
        page.wait_for_load_state("networkidle")

    return sign_in


@pytest.fixture
def screenshot():
    """screenshot(page, name) saves a full-page PNG under artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def save(page, name):
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return save
