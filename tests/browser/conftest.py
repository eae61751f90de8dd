"""Browser tests: Playwright drives the system's Chromium against a live server.

The server reads the session's test database, which holds the reference data and the seed
catalogue (tests/conftest.py); these tests only read, so no test's data leaks into another.
With CI=true a missing Chromium fails the run; elsewhere those tests are skipped with the reason.
"""

import os
import shutil
import tempfile

import pytest
from django.contrib.auth.models import Group, User
from playwright.sync_api import sync_playwright

from tests.live_server import live_server

# Playwright's synchronous API runs an event loop in the test thread, which Django would
# otherwise take for an async context and refuse database access in.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
# The README's pictures are taken again only when asked (`make screenshots` names docs/screenshots/
# here); otherwise they go to a temporary folder, so that a test run leaves the tree as it was.
SCREENSHOTS = os.environ.get("SCREENSHOTS_DIR") or os.path.join(
    tempfile.gettempdir(), "sciplo-screenshots"
)


@pytest.fixture(scope="session")
def site_url(django_db_setup, django_db_blocker):
    """The address of a live server of the test database."""
    with django_db_blocker.unblock(), live_server() as url:
        yield url


@pytest.fixture(scope="session")
def browser(site_url):
    # Started after the server and so closed before it: open keep-alive connections would hold
    # server threads, and their database connections, past the end of the run.
    if not os.path.exists(CHROMIUM):
        message = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)."
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def open_page(browser, site_url, **options):
    context = browser.new_context(base_url=site_url, **options)
    context.set_default_timeout(10_000)
    return context, context.new_page()


@pytest.fixture
def page(browser, site_url):
    context, page = open_page(browser, site_url, viewport={"width": 1280, "height": 900})
    yield page
    context.close()


@pytest.fixture
def page_without_javascript(browser, site_url):
    context, page = open_page(
        browser, site_url, viewport={"width": 1280, "height": 900}, java_script_enabled=False
    )
    yield page
    context.close()


@pytest.fixture
def phone_page(browser, site_url):
    context, page = open_page(
        browser, site_url, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    yield page
    context.close()


def screenshot(page, name: str) -> None:
    """Keeps a picture of the page, for the README when SCREENSHOTS_DIR is docs/screenshots/."""
    os.makedirs(SCREENSHOTS, exist_ok=True)
    page.screenshot(
        path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True, animations="disabled"
    )


CURATOR_PASSWORD = "a-long-passphrase-42"


def committed_curator(username: str) -> User:
    """A curator the live server can sign in: committed, since on PostgreSQL the server reads
    through a connection of its own (call it with the database unblocked, and delete it
    afterwards)."""
    curator = User.objects.create_user(username, password=CURATOR_PASSWORD, is_staff=True)
    curator.groups.add(Group.objects.get(name="Curators"))
    return curator


def sign_in(page, curator: User) -> None:
    page.goto("/admin/login/")
    page.get_by_label("Username").fill(curator.username)
    page.get_by_label("Password").fill(CURATOR_PASSWORD)
    page.get_by_role("button", name="Log in").click()
