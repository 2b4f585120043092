"""Accessibility in the browser: axe-core on the main pages (no serious or critical violations),
sign-in with the keyboard alone, visible focus, and statuses that do not rely on colour.

With E2E_SCREENSHOTS=<dir> these walks also take the README's screenshots."""

import re

import pytest

from partners.roles import Role
from tests.e2e.conftest import (
    axe_violations,
    describe,
    expect,
    fresh_code,
    no_console_errors,
    screenshot,
    sign_in,
    t,
)
from tests.factories import PASSWORD, OrganisationFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# The pages pictured for the README (with E2E_SCREENSHOTS set).
PICTURED = {"cases", "case-detail", "deconfliction-desk", "milestones", "notifications", "security"}
# Elements that show a status (TLP, hit, RAG, milestone, membership, "new", "overdue"...).
STATUS_MARKS = ".badge, .tlp, .rag, .bell-count"


def check_page(page, name: str, found: dict, *, picture: str | None = None) -> None:
    """axe's serious and critical findings on the page, collected under ``name`` so one run lists
    every page's problems; and, when asked, the page's screenshot."""
    violations = axe_violations(page)
    missing = missing_aria_references(page)
    if missing:  # help texts and errors a screen reader would never read out
        violations.append({"rule": "aria-reference-missing", "references": missing})
    if "<" in page.title():  # markup that leaked into <title> (what screen readers announce first)
        violations.append({"rule": "title-is-text", "title": page.title()[:80]})
    if violations:
        found[name] = violations
    if picture:
        screenshot(page, picture)


def missing_aria_references(page) -> list[str]:
    """aria-describedby / aria-labelledby ids that name no element on the page. axe accepts an
    attribute where only some ids exist; a form field whose help text is never announced is
    still broken."""
    return page.evaluate(
        """() => [...document.querySelectorAll('[aria-describedby], [aria-labelledby]')].flatMap(e =>
            ['aria-describedby', 'aria-labelledby'].flatMap(a => (e.getAttribute(a) || '').split(/\\s+/)
                .filter(id => id && !document.getElementById(id)).map(id => `${e.id || e.tagName}: ${a}=${id}`)))"""
    )


def statuses_without_text(page) -> list[str]:
    """Status marks whose meaning is carried by colour alone (no text of their own)."""
    marks = page.locator(STATUS_MARKS)
    return [
        marks.nth(i).evaluate("e => e.outerHTML") for i in range(marks.count()) if not marks.nth(i).inner_text().strip()
    ]


@pytest.mark.parametrize("language", ["en", "nl"])
def test_sign_in_pages_in_both_languages(new_page, make_member, language):
    user = make_member(OrganisationFactory(), role=Role.LIAISON)
    page = new_page(language)
    found = {}
    with no_console_errors(page):
        page.goto("/accounts/login/")
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.get_by_role("heading", name=t(language, "Sign in"))).to_be_visible()
        check_page(page, "login", found, picture="login" if language == "en" else None)

        # A wrong password: the error is announced and the form stays labelled.
        page.get_by_label(t(language, "Email address")).fill(user.email)
        page.get_by_label(t(language, "Password"), exact=True).fill("not the password")
        page.get_by_role("button", name=t(language, "Continue")).click()
        expect(page.get_by_role("alert")).to_be_visible()
        check_page(page, "login with an error", found)

        page.get_by_label(t(language, "Password"), exact=True).fill(PASSWORD)
        page.get_by_role("button", name=t(language, "Continue")).click()
        expect(page.get_by_role("heading", name=t(language, "Second factor"))).to_be_visible()
        check_page(page, "second factor", found)

        # A wrong code: the error is tied to the field (aria-describedby), so it is read out.
        code = page.get_by_label(t(language, "Code from your authenticator app, or a backup code"))
        code.fill("000000")
        page.get_by_role("button", name=t(language, "Verify")).click()
        expect(code).to_have_attribute("aria-invalid", "true")
        invalid = t(language, "That code is not valid. Codes are valid for 30 seconds and can be used once.")
        expect(code).to_have_accessible_description(invalid)
        check_page(page, "second factor with an error", found)
    assert found == {}, describe(found)


def test_main_pages_have_no_serious_violations_and_statuses_carry_text(signed_in, demo_world):
    found = {}
    liaison = signed_in(demo_world.user("liaison@tbkk.politie.example"), password=demo_world.password)
    with no_console_errors(liaison):
        check_page(liaison, "dashboard", found, picture="dashboard")
        for path, name in (
            ("/cases/", "cases"),
            (f"/cases/{demo_world.case.uuid}/", "case-detail"),
            (f"/deconfliction/cases/{demo_world.case.uuid}/selectors/", "case-selectors"),
            ("/deconfliction/", "deconfliction-desk"),
            ("/cases/tasks/", "tasks"),
            ("/cases/milestones/", "milestones"),
            ("/cases/approvals/", "approvals"),
            ("/notifications/", "notifications"),
            ("/accounts/security/", "security"),
            (f"/deconfliction/cases/{demo_world.case.uuid}/import/", "import-form"),
        ):
            liaison.goto(path)
            check_page(liaison, name, found, picture=name if name in PICTURED else None)
            assert statuses_without_text(liaison) == [], name

        liaison.goto(f"/deconfliction/cases/{demo_world.case.uuid}/selectors/")
        liaison.get_by_role("heading", name="Registered by your organisation").evaluate("e => e.scrollIntoView()")
        screenshot(liaison, "case-selectors")

        # Statuses are words (and symbols), with colour only as a second cue.
        liaison.goto("/deconfliction/")
        hit_status = liaison.locator("tbody a .badge").first
        expect(hit_status).to_have_text(re.compile(r"^(New|Acknowledged|Coordinating|Resolved)$"))
        hit_status.click()
        expect(liaison.get_by_role("heading", name=re.compile("Deconfliction hit"))).to_be_visible()
        check_page(liaison, "hit", found)
        liaison.goto("/cases/")
        expect(liaison.locator(".tlp").first).to_have_text(re.compile(r"^TLP:(CLEAR|GREEN|AMBER|AMBER\+STRICT|RED)$"))

    # The same pages in Dutch (the language chosen with the switch in the header).
    liaison.goto("/")
    liaison.get_by_label("Language").select_option("nl")
    expect(liaison.locator("html")).to_have_attribute("lang", "nl")
    expect(liaison.get_by_role("heading", name=t("nl", "Dashboard"), exact=True)).to_be_visible()
    check_page(liaison, "dashboard (nl)", found)
    for path, name in (("/cases/", "cases (nl)"), (f"/cases/{demo_world.case.uuid}/", "case-detail (nl)")):
        liaison.goto(path)
        check_page(liaison, name, found, picture="case-detail-nl" if "detail" in name else None)
    # Error pages speak the user's language too (screen readers pick the voice from lang).
    assert liaison.goto(f"/cases/{demo_world.case.uuid}/nothing-here/").status == 404
    expect(liaison.locator("html")).to_have_attribute("lang", "nl")
    expect(liaison.get_by_role("heading", level=1)).to_have_text(t("nl", "Not found"))
    check_page(liaison, "not found (nl)", found)

    monitor = signed_in(demo_world.user("monitor@jenv.example"), password=demo_world.password)
    monitor.goto("/actionplan/")
    check_page(monitor, "action plan", found, picture="actionplan-dashboard")
    assert statuses_without_text(monitor) == []
    expect(monitor.locator(".rag").first).to_have_text(re.compile(r"\w"))
    monitor.get_by_role("heading", name="Indicators").evaluate("e => e.scrollIntoView()")  # the charts
    screenshot(monitor, "actionplan-indicators")
    monitor.locator("td a").first.click()
    check_page(monitor, "measure", found, picture="actionplan-measure")
    monitor.goto("/actionplan/")
    monitor.locator(".charts h3 a").first.click()
    check_page(monitor, "indicator", found)

    assert found == {}, describe(found)


def test_sign_in_with_the_keyboard_alone_and_focus_is_visible(page, make_member):
    user = make_member(OrganisationFactory(name="Keyboard police"), role=Role.LIAISON, full_name="Kim Keys")
    page.goto("/accounts/login/")

    # The email field has focus on arrival; Tab walks password, then the button; Enter submits.
    expect(page.get_by_label("Email address")).to_be_focused()
    page.keyboard.type(user.email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password", exact=True)).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Continue")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_label("Code from your authenticator app, or a backup code")).to_be_focused()
    page.keyboard.type(fresh_code(user))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Dashboard", exact=True)).to_be_visible()

    # On any page the first Tab reaches the skip link, visible while focused, with a focus
    # outline; Enter moves focus to the content, so the next Tab lands inside <main>, past the
    # navigation.
    page.goto("/cases/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Open a case")).to_be_focused()
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Open a case")).to_be_visible()


def assert_focus_visible(page) -> None:
    """Whatever has focus shows a clear outline (the browser's own ring is not switched off)."""
    style = page.locator(":focus").evaluate("e => [getComputedStyle(e).outlineStyle, getComputedStyle(e).outlineWidth]")
    assert style[0] != "none" and float(style[1].rstrip("px")) >= 2, style


def test_sign_in_journey_also_works_in_dutch(new_page, make_member):
    """The language switch on the login page, then the whole sign-in in Dutch."""
    user = make_member(OrganisationFactory(name="Politie Eenheid", country="NL"), role=Role.INVESTIGATOR)
    page = new_page("en")
    page.goto("/accounts/login/")
    page.get_by_label("Language").select_option("nl")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    sign_in(page, user, language="nl")
    expect(page.get_by_role("heading", name="Politie Eenheid")).to_be_visible()
    expect(page.get_by_text(t("nl", "What your role may do"))).to_be_visible()
    # What the role may do, described in Dutch (not the capabilities' internal codes).
    expect(page.get_by_text(t("nl", "See cases shared with the organisation"))).to_be_visible()
    expect(page.get_by_text("view_cases")).to_have_count(0)
