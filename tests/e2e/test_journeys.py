"""What people do in the portal, in a real browser, from sign-in to what they see at the end."""

import re
from datetime import date
from types import SimpleNamespace

import pytest
from django.core import mail
from django.utils import formats, translation

from cases.constants import TLP, AccessLevel, CrimeType
from cases.milestone_sets import MILESTONE_SETS
from cases.services import case_create, case_share
from deconfliction.models import ImportJob
from deconfliction.services import selector_register
from partners.roles import Role
from tests.cases.conftest import access_for
from tests.conftest import membership_of
from tests.e2e.conftest import (
    authenticator_code,
    axe_violations,
    current_step,
    exact,
    expect,
    flash,
    nav,
    screenshot,
    secret_from_base32,
    sign_out,
    t,
)
from tests.factories import OrganisationFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "A-long-new-passphrase-42"


def test_new_user_enrols_an_authenticator_from_the_qr_page_and_signs_in_again(page, signed_in, make_member):
    police = OrganisationFactory(name="Police Unit A", short_code="police-a", kind="police")
    admin = make_member(police, role=Role.ORG_ADMIN, email="admin@police-a.example")

    # The organisation admin invites a new colleague; the link arrives by email.
    admin_page = signed_in(admin)
    nav(admin_page, "Members")
    admin_page.get_by_label("Email address").fill("new.person@police-a.example")
    admin_page.get_by_label("Full name").fill("Nina Nieuw")
    admin_page.get_by_label("Role").select_option(label="Investigator")
    admin_page.get_by_role("button", name="Send invitation").click()
    expect(flash(admin_page)).to_contain_text("new.person@police-a.example")
    link = re.search(r"https?://\S+(/accounts/invite/\S+/)", mail.outbox[-1].body).group(1)

    # The new colleague sets a password and lands on the QR page.
    page.goto(link)
    expect(page.get_by_text("This link is for new.person@police-a.example")).to_be_visible()
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Set up your authenticator app")).to_be_visible()
    expect(page.locator(".qr svg")).to_be_visible()
    assert axe_violations(page) == []
    screenshot(page, "enrol-qr")

    # The "authenticator app": the key typed from the page, codes computed from it.
    secret = secret_from_base32(page.locator("code.secret").inner_text())
    enrolled_at = current_step()
    page.get_by_label("Six-digit code from the app").fill(authenticator_code(secret, step=enrolled_at))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Your authenticator app is set up.")).to_be_visible()
    expect(page.locator("ol.codes li")).to_have_count(10)
    page.get_by_role("link", name="Continue to the dashboard").click()
    expect(page.get_by_role("heading", name="Police Unit A")).to_be_visible()
    expect(page.get_by_text("You act as Investigator for this Police organisation (NL).")).to_be_visible()
    sign_out(page)

    # Signing in again: password, then a fresh code. The enrolment code was spent (each code
    # works once), so the app's next code is used; the portal accepts one step ahead.
    page.get_by_label("Email address").fill("new.person@police-a.example")
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    code_field = page.get_by_label("Code from your authenticator app, or a backup code")
    code_field.fill(authenticator_code(secret, step=enrolled_at))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("That code is not valid.")).to_be_visible()  # the replayed one
    # A wrong code makes the next attempt wait a second (the delay doubles per failure); only
    # the clock can end that wait.
    page.wait_for_timeout(1100)
    code_field.fill(authenticator_code(secret, step=enrolled_at + 1))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Dashboard", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Nina Nieuw")).to_be_visible()


@pytest.fixture
def forces(make_member):
    """A Dutch and a Belgian police force, a Philippine partner and a prosecution office."""
    nl = OrganisationFactory(
        name="Dutch police", short_code="nl-pol", kind="police", country="NL", desk_phone="+31 88 000 1111"
    )
    be = OrganisationFactory(
        name="Belgian police", short_code="be-pol", kind="police", country="BE", desk_phone="+32 2 000 2222"
    )
    ph = OrganisationFactory(name="Philippine police", short_code="ph-pol", kind="foreign_police", country="PH")
    om = OrganisationFactory(name="Prosecution office", short_code="om", kind="prosecution", country="NL")
    return SimpleNamespace(
        nl=nl,
        be=be,
        ph=ph,
        om=om,
        liaison=make_member(nl, role=Role.LIAISON, email="liaison@nl.example", full_name="Lars Bakker"),
        colleague=make_member(nl, role=Role.LIAISON, email="colleague@nl.example", full_name="Yusuf Demir"),
        be_liaison=make_member(be, role=Role.LIAISON, email="liaison@be.example", full_name="Lotte Peeters"),
        ph_liaison=make_member(ph, role=Role.LIAISON, email="liaison@ph.example", full_name="Maria Santos"),
        prosecutor=make_member(om, role=Role.PROSECUTOR, email="prosecutor@om.example", full_name="Pieter Smit"),
    )


def test_liaison_opens_a_case_registers_selectors_and_shares_it_with_a_foreign_partner(forces, signed_in):
    page = signed_in(forces.liaison)
    nav(page, "Cases")
    page.get_by_role("link", name="Open a case").click()
    page.get_by_label("Codename / title").fill("Operation Harbour")
    page.get_by_label("Crime type").select_option(label="Live distant child abuse (paid webcam streaming)")
    page.get_by_label("TLP").select_option("AMBER")
    page.get_by_label("Countries involved").fill("NL PH")
    page.get_by_role("button", name="Open case").click()
    expect(flash(page)).to_contain_text(re.compile(r"Case \S+ opened\."))
    expect(page.get_by_role("heading", name="Operation Harbour")).to_contain_text("TLP:AMBER")

    page.get_by_role("link", name="Selectors").click()
    for kind, value in (("phone", "+31 6 1234 5678"), ("email", "Harbour.Suspect@Example.org")):
        page.get_by_label("Kind").select_option(kind)
        page.get_by_label("Value").fill(value)
        page.get_by_label("Reason for registering").fill("seized phone")
        page.get_by_role("button", name="Register and match").click()
        expect(flash(page)).to_contain_text("Registered. No other case holds it.")
    registered = page.get_by_role("table").locator("tbody tr")
    expect(registered).to_have_count(2)
    expect(registered.filter(has_text="+31 6 1234 5678")).to_have_count(1)

    # Sharing with foreign police needs a legal basis and a second person's approval.
    page.get_by_role("link", name=re.compile("Operation Harbour")).click()
    page.get_by_role("link", name="Share", exact=True).click()
    page.get_by_label("Organisation").select_option(label="Philippine police")
    page.get_by_label("Reason").fill("joint investigation into live streams from Cebu")
    page.get_by_label("Legal basis").select_option(index=1)
    page.get_by_role("button", name="Share", exact=True).click()
    expect(flash(page)).to_contain_text("waits for a second person of your organisation")

    # Nothing reaches the partner before the colleague approves.
    partner = signed_in(forces.ph_liaison)
    nav(partner, "Cases")
    expect(partner.get_by_text("0 cases")).to_be_visible()

    colleague = signed_in(forces.colleague)
    nav(colleague, "Approvals")
    row = colleague.get_by_role("row", name=re.compile("Philippine police"))
    row.get_by_role("button", name="Approve").click()
    expect(flash(colleague)).to_contain_text("Share approved.")

    partner.reload()
    expect(partner.get_by_text("1 case", exact=True)).to_be_visible()
    partner.get_by_role("link", name="Operation Harbour").click()
    expect(partner.get_by_role("heading", name="Operation Harbour")).to_be_visible()
    expect(partner.get_by_text("Dutch police", exact=True)).to_be_visible()  # the lead organisation


def test_a_selector_written_differently_elsewhere_is_a_hit_both_sides_handle(forces, signed_in):
    # The Dutch already hold a phone number on their case; the Belgians have a case of their own.
    nl_case = case_create(
        membership=membership_of(forces.liaison), title="Operation Tulip", crime_type=CrimeType.GROOMING, tlp=TLP.AMBER
    )
    selector_register(access=access_for(forces.liaison, nl_case), kind="phone", value="+31 6 1234 5678", reason="x")
    case_create(
        membership=membership_of(forces.be_liaison),
        title="Opération Gaufre",
        crime_type=CrimeType.GROOMING,
        tlp=TLP.AMBER,
    )

    belgian = signed_in(forces.be_liaison)
    nav(belgian, "Cases")
    belgian.get_by_role("link", name="Opération Gaufre").click()
    belgian.get_by_role("link", name="Selectors").click()
    belgian.get_by_label("Kind").select_option(label="Phone number (also WhatsApp, Signal)")
    belgian.get_by_label("Value").fill("0031612345678")
    belgian.get_by_label("Reason for registering").fill("number from a chat log")
    belgian.get_by_role("button", name="Register and match").click()
    expect(flash(belgian)).to_contain_text("It is also held elsewhere")
    expect(belgian.get_by_role("row", name=re.compile("0031612345678"))).to_contain_text("New")

    # The desk shows who else holds it and how to reach their 24/7 desk, never their case.
    nav(belgian, "Deconfliction")
    hit_row = belgian.get_by_role("row", name=re.compile("Dutch police"))
    expect(hit_row).to_contain_text("+31 88 000 1111")
    expect(hit_row).to_contain_text("not acknowledged by us")
    expect(belgian.get_by_text("Operation Tulip")).to_have_count(0)

    dutch = signed_in(forces.liaison)
    nav(dutch, "Deconfliction")
    dutch_row = dutch.get_by_role("row", name=re.compile("Belgian police"))
    expect(dutch_row).to_contain_text("+32 2 000 2222")
    dutch_row.get_by_role("link", name="New").click()
    dutch.get_by_role("button", name="Acknowledge").click()
    expect(flash(dutch)).to_contain_text("Saved. Both sides see the new status.")
    expect(dutch.get_by_text("acknowledged by your organisation")).to_be_visible()
    screenshot(dutch, "deconfliction-hit")

    belgian.get_by_role("row", name=re.compile("Dutch police")).get_by_role("link", name="New").click()
    belgian.get_by_role("button", name="Acknowledge").click()
    expect(belgian.get_by_role("heading", name="Deconfliction hit")).to_contain_text("Acknowledged")
    belgian.get_by_label("Handling note").fill("Agreed by phone: the Dutch lead, we defer.")
    belgian.get_by_label("Outcome").select_option(label="One side leads")
    belgian.get_by_role("button", name="Resolve with the outcome").click()
    expect(belgian.get_by_role("heading", name="Deconfliction hit")).to_contain_text("Resolved")

    dutch.reload()
    expect(dutch.get_by_role("heading", name="Deconfliction hit")).to_contain_text("Resolved")
    expect(dutch.get_by_text("Agreed by phone: the Dutch lead, we defer.")).to_be_visible()
    nav(dutch, "Deconfliction")
    expect(dutch.get_by_text("No hits.")).to_be_visible()  # nothing open any more


@pytest.mark.parametrize("language", ["en", "nl"])
def test_prosecutor_applies_the_milestone_set_and_marks_one_done(forces, signed_in, language):
    case = case_create(
        membership=membership_of(forces.liaison),
        title="Operation Beacon",
        crime_type=CrimeType.DISTRIBUTION,
        tlp=TLP.AMBER,
    )
    case_share(
        access=access_for(forces.liaison, case), organisation=forces.om, level=AccessLevel.CONTRIBUTE, reason="charges"
    )

    page = signed_in(forces.prosecutor, language=language)
    expect(page.locator("html")).to_have_attribute("lang", language)
    nav(page, t(language, "Cases"))
    page.get_by_role("link", name="Operation Beacon").click()
    expect(page.get_by_text(t(language, "No milestones yet."))).to_be_visible()
    page.get_by_role("button", name=t(language, "Apply the standard milestones")).click()
    standard = len(MILESTONE_SETS[CrimeType.DISTRIBUTION])
    expect(flash(page)).to_contain_text(t(language, "%(n)s standard milestones added.", n=standard))

    milestones = page.get_by_role("table").filter(has_text=t(language, "Milestone")).first.locator("tbody tr")
    expect(milestones).to_have_count(standard)
    with translation.override(language):
        report_received = translation.gettext("Report received")
        today = formats.date_format(date.today(), "SHORT_DATE_FORMAT")

    page.get_by_text(t(language, "Update a milestone")).click()
    form = page.locator("form").filter(has_text=report_received)
    form.get_by_label(t(language, "Done on")).fill(date.today().isoformat())
    form.get_by_role("button", name=t(language, "Save")).click()
    expect(flash(page)).to_contain_text(t(language, "Milestone saved."))
    done = milestones.filter(has_text=report_received)
    expect(done).to_contain_text(f"✓ {today}")  # a text mark and a localised date, not colour alone
    expect(milestones.filter(has_text="✓")).to_have_count(1)

    # Across cases, the next open milestone is now the next one of the set, named in words.
    nav(page, t(language, "Milestones"))
    upcoming = page.get_by_role("row", name=re.compile("Operation Beacon"))
    expect(upcoming).to_contain_text(t(language, "Investigation opened"))
    expect(upcoming).not_to_contain_text("investigation_opened")


def test_ministry_monitor_sees_the_action_plan_charts_and_no_case(signed_in, demo_world):
    page = signed_in(demo_world.user("monitor@jenv.example"), password=demo_world.password)
    nav(page, "Action plan")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"\S"))
    expect(page.get_by_role("heading", name="Measures")).to_be_visible()
    expect(page.locator(".chart svg[role=img]").first).to_be_visible()
    assert page.locator(".chart svg[role=img]").count() >= 3
    expect(page.locator("header nav").get_by_role("link", name="Cases")).to_have_count(0)

    # The case list holds nothing for the ministry, and no case page exists for it: not
    # "forbidden", simply not found.
    page.goto("/cases/")
    expect(page.get_by_text("0 cases", exact=True)).to_be_visible()
    response = page.goto(f"/cases/{demo_world.case.uuid}/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    expect(page.get_by_text(demo_world.case.title)).to_have_count(0)
    for case in demo_world.cases:
        for path in (f"/cases/{case.uuid}/", f"/deconfliction/cases/{case.uuid}/selectors/"):
            assert page.request.get(path).status == 404, path


BAD_AND_GOOD_ROWS = (
    "kind,value,note\n"
    "phone,+31 6 12345678,seized phone\n"
    "email, Someone@Example.org \n"
    "phone,12\n"
    "fingerprint,abc\n"
    "handle,instagram:@someone,from chat\n"
    "ip\n"
)


def test_bulk_import_progress_reaches_100_percent_and_lists_the_refused_rows(forces, signed_in, monkeypatch):
    from deconfliction import tasks

    # Hold the job back instead of running it at once, so the page is seen waiting and then
    # updating by itself (htmx polls the progress fragment) when "the worker" runs it.
    queued = []
    real_task = tasks.import_selectors
    monkeypatch.setattr(tasks, "import_selectors", SimpleNamespace(delay=queued.append))
    case_create(
        membership=membership_of(forces.liaison),
        title="Operation Ledger",
        crime_type=CrimeType.SEXTORTION,
        tlp=TLP.AMBER,
    )

    page = signed_in(forces.liaison)
    nav(page, "Cases")
    page.get_by_role("link", name="Operation Ledger").click()
    page.get_by_role("link", name="Selectors").click()
    page.get_by_role("link", name="Import many from a CSV file").click()
    page.get_by_label("CSV file").set_input_files(
        {"name": "seized.csv", "mimeType": "text/csv", "buffer": BAD_AND_GOOD_ROWS.encode()}
    )
    page.get_by_label("Reason for registering").fill("numbers from a seized phone")
    page.get_by_role("button", name="Upload and register").click()

    progress = page.get_by_role("progressbar")
    expect(page.get_by_role("heading", name="Import of seized.csv")).to_be_visible()
    expect(progress).to_have_attribute("value", "0")
    expect(page.get_by_text("Queued: 0 %")).to_be_visible()

    assert len(queued) == 1
    real_task.apply(args=[queued[0]])  # the worker, eagerly
    assert ImportJob.objects.get().status == "done"

    expect(progress).to_have_attribute("value", "100")
    expect(page.get_by_text("Done: 100 %")).to_be_visible()
    expect(page.get_by_text("7 of 7 rows")).to_be_visible()
    refused = page.get_by_role("table", name="Rows refused").locator("tbody tr")
    expect(refused).to_have_count(3)
    expect(refused.nth(0).get_by_role("cell").first).to_have_text(exact("4"))
    expect(refused.nth(0)).to_contain_text("12 is not a valid")
    expect(refused.nth(1)).to_contain_text("Unknown kind fingerprint.")
    expect(refused.nth(2)).to_contain_text("Expected kind,value")
    assert axe_violations(page) == []
    screenshot(page, "import-progress")
