"""Real-browser tests: Playwright (sync API) drives Debian's chromium against pytest-django's
live server on 127.0.0.1.

Everything a person does goes through the pages: the tests sign in on the login and
second-factor pages with a code computed the way an authenticator app computes it. Only the
world the journey starts from (organisations, people, a case another organisation already has)
is created with the services.
"""

import json
import os
import re
import time
from base64 import b32decode
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.utils import translation
from django_otp.oath import TOTP

from accounts.models import TOTPDevice
from accounts.otp import totp_secret_bytes
from tests.factories import PASSWORD

# The live server must listen on 127.0.0.1 (ALLOWED_HOSTS, CSRF trusted origin).
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
AXE_DIR = Path(__file__).parent / "vendor" / "axe-core-4.14.1"
SCREENSHOTS = os.environ.get("E2E_SCREENSHOTS", "")
TOTP_STEP = 30

try:
    from playwright.sync_api import Page, expect, sync_playwright
except ImportError:  # the root conftest skips (or, in CI, fails) the tests marked e2e
    Page = expect = sync_playwright = None
else:
    expect.set_options(timeout=10_000)


def e2e_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if sync_playwright is None:
        return "Playwright for Python (pip install -r requirements-dev.txt)"
    if not os.access(CHROMIUM, os.X_OK):
        return f"chromium at {CHROMIUM} (apt-get install chromium)"
    return None


# --- the browser -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    """One chromium per test module; every test gets fresh contexts (own cookies) from it.

    Playwright's sync API keeps an asyncio loop running in the test thread, so Django would
    refuse the tests' own ORM calls as "async-unsafe": allowed while the browser is up, and the
    loop stops with it, so the rest of the suite runs with Django's usual checks."""
    if e2e_missing():
        pytest.skip(f"needs {e2e_missing()}")
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser, live_server):
    """new_page(language="en") -> a page in its own browser context (a person at their own desk).

    The browser's language is sent as Accept-Language, which is how a first visit picks Dutch
    or English."""
    contexts = []

    def _new(language: str = "en") -> Page:
        context = browser.new_context(
            base_url=live_server.url,
            locale={"en": "en-GB", "nl": "nl-NL"}[language],
            viewport={"width": 1280, "height": 860},
        )
        contexts.append(context)
        return context.new_page()

    yield _new
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page) -> "Page":
    return new_page()


# --- what the user reads -------------------------------------------------------------------


def t(language: str, message: str, **params) -> str:
    """``message`` as the portal shows it in ``language`` (the catalogue's own translation), so
    one journey asserts the same text in English and in Dutch."""
    with translation.override(language):
        text = translation.gettext(message)
    return text % params if params else text


def exact(text: str) -> re.Pattern:
    """A whole-text match that ignores surrounding white space."""
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


# --- second factor -------------------------------------------------------------------------


def authenticator_code(secret: bytes, *, step: int) -> str:
    """The six digits an authenticator app shows during the 30-second ``step``."""
    totp = TOTP(secret, TOTP_STEP, 0, 6, 0)
    totp.time = step * TOTP_STEP
    return f"{totp.token():06d}"


def secret_from_base32(text: str) -> bytes:
    text = text.strip().replace(" ", "")
    return b32decode(text + "=" * (-len(text) % 8))


def current_step() -> int:
    return int(time.time()) // TOTP_STEP


def fresh_code(user) -> str:
    """A code the portal accepts now: each code works once (the device remembers the last step it
    took), so a second sign-in within the same 30 seconds uses the next step, which the portal
    accepts (one step of tolerance). Only a third one in the same step has to wait."""
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    step = max(current_step(), device.last_t + 1)
    while step > current_step() + 1:  # the clock must move on: nothing else to wait for
        time.sleep(0.5)
    return authenticator_code(totp_secret_bytes(device), step=step)


# --- signing in through the pages ----------------------------------------------------------


def sign_in(page: "Page", user, *, password: str = PASSWORD, language: str = "en") -> "Page":
    """Password on the login page, then a fresh code on the second-factor page."""
    page.goto("/accounts/login/")
    page.get_by_label(t(language, "Email address")).fill(user.email)
    page.get_by_label(t(language, "Password"), exact=True).fill(password)
    page.get_by_role("button", name=t(language, "Continue")).click()
    expect(page.get_by_role("heading", name=t(language, "Second factor"))).to_be_visible()
    page.get_by_label(t(language, "Code from your authenticator app, or a backup code")).fill(fresh_code(user))
    page.get_by_role("button", name=t(language, "Verify")).click()
    expect(page.get_by_role("heading", name=t(language, "Dashboard"), exact=True)).to_be_visible()
    return page


def sign_out(page: "Page", language: str = "en") -> None:
    page.get_by_role("button", name=t(language, "Sign out")).click()
    expect(page.get_by_text(t(language, "You have been signed out."))).to_be_visible()


@pytest.fixture
def signed_in(new_page):
    """signed_in(user, language="en") -> a page of that user, past both sign-in steps."""

    def _signed_in(user, language: str = "en", password: str = PASSWORD) -> "Page":
        return sign_in(new_page(language), user, password=password, language=language)

    return _signed_in


def nav(page: "Page", name: str) -> None:
    """Follow a link of the main navigation (in the page header)."""
    page.locator("header nav").get_by_role("link", name=name, exact=True).click()


def flash(page: "Page"):
    """The status messages shown after an action."""
    return page.locator(".messages")


# --- accessibility -------------------------------------------------------------------------


def axe_violations(page: "Page", *, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core (vendored, see vendor/README.md) on the page as it is now.

    The portal's Content-Security-Policy forbids inline and foreign scripts, so axe is evaluated
    through the DevTools protocol rather than added as a <script>: the page itself stays under
    its real policy."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate((AXE_DIR / "axe.min.js").read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "rule": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v["impact"] in impacts
    ]


def describe(violations: dict) -> str:
    return json.dumps(violations, indent=2, ensure_ascii=False)


# --- screenshots ---------------------------------------------------------------------------


def screenshot(page: "Page", name: str, *, full_page: bool = False) -> None:
    """With E2E_SCREENSHOTS=<dir> (``make screenshots``), keep a picture of the page for the
    README; ordinary runs write nothing."""
    if not SCREENSHOTS:
        return
    directory = Path(SCREENSHOTS)
    directory.mkdir(parents=True, exist_ok=True)
    # No caret or half-finished animation: pictures change only when the page does.
    page.screenshot(path=str(directory / f"{name}.png"), full_page=full_page, caret="hide", animations="disabled")


@contextmanager
def no_console_errors(page: "Page"):
    """Fail on JavaScript errors and CSP refusals while the block runs."""
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield
    assert errors == []


# --- a populated portal ------------------------------------------------------------------------


@pytest.fixture
def demo_world(transactional_db):
    """The demo of ``make run`` (organisations, people, cases, hits, the action plan), so pages
    are checked and pictured as people will see them, full."""
    from django.core.management import call_command

    from accounts.models import User
    from cases.models import Case
    from portal.demo import DEMO_PASSWORD

    call_command("seed_demo", "--quiet")
    return SimpleNamespace(
        user=lambda email: User.objects.get(email=email),
        password=DEMO_PASSWORD,
        case=Case.objects.get(title="Operation Lighthouse"),
        cases=list(Case.objects.all()),
    )
