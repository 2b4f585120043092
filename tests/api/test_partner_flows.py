"""What a liaison officer does in the pages, done by a partner system through the API."""

import uuid
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import ApiToken
from actionplan.models import ActionPlan, Indicator, IndicatorValue, Measure, ProgressUpdate
from actionplan.selectors import indicator_table
from actionplan.services import progress_review
from audit.models import AuditEvent
from cases.constants import TLP
from cases.models import Milestone, MilestoneKind
from deconfliction.models import Hit, Operation, OperationConflict, Selector
from deconfliction.services import selector_register
from partners.roles import Role
from tests.api.conftest import bearer
from tests.cases.conftest import access_for
from tests.conftest import login_verified

pytestmark = pytest.mark.django_db


def _post(url, headers, body=None):
    return Client().post(url, body or {}, content_type="application/json", **headers)


# --- milestones ------------------------------------------------------------------------------------


def test_milestone_patch_changes_only_the_fields_sent(world, new_case, token_for):
    case = new_case(TLP.GREEN)
    due = timezone.localdate() + timedelta(days=30)
    milestone = Milestone.objects.create(
        case=case, kind=MilestoneKind.CHARGES_FILED, owner_organisation=world.lead, due_date=due, note="court in May"
    )
    url = f"/api/v1/cases/{case.uuid}/milestones/{milestone.uuid}/"
    h = bearer(token_for(world.liaison))
    today = timezone.localdate()
    done = Client().patch(url, {"done_date": today.isoformat()}, content_type="application/json", **h)
    assert done.status_code == 200
    assert done.json()["due_date"] == due.isoformat() and done.json()["note"] == "court in May"
    milestone.refresh_from_db()
    assert (milestone.due_date, milestone.done_date, milestone.note) == (due, today, "court in May")
    # A field sent as null is cleared; the others still stay.
    cleared = Client().patch(url, {"due_date": None}, content_type="application/json", **h)
    assert cleared.status_code == 200
    milestone.refresh_from_db()
    assert (milestone.due_date, milestone.done_date, milestone.note) == (None, today, "court in May")


# --- selectors -------------------------------------------------------------------------------------


def test_selector_renew_and_deactivate_through_the_api(world, new_case, token_for):
    case = new_case(TLP.GREEN)
    selector = selector_register(
        access=access_for(world.liaison, case), kind="phone", value="+31611112222", reason="x"
    ).selector
    Selector.objects.filter(pk=selector.pk).update(expires_at=timezone.now() + timedelta(days=3))
    base = f"/api/v1/cases/{case.uuid}/selectors/{selector.uuid}"
    h = bearer(token_for(world.liaison, scopes=["deconfliction"]))

    renewed = _post(f"{base}/renew/", h)
    assert renewed.status_code == 200 and renewed.json()["uuid"] == str(selector.uuid)
    selector.refresh_from_db()
    assert selector.expires_at > timezone.now() + timedelta(days=300)

    # The deconfliction scope is needed, as for registering.
    assert _post(f"{base}/deactivate/", bearer(token_for(world.liaison, scopes=["read", "write"]))).status_code == 403
    deactivated = _post(f"{base}/deactivate/", h)
    assert deactivated.status_code == 200 and deactivated.json()["active"] is False
    selector.refresh_from_db()
    assert not selector.active and selector.deactivated_at is not None
    # As on the page: an inactive selector is registered again, not renewed.
    refused = _post(f"{base}/renew/", h)
    assert refused.status_code == 400 and "register it again" in str(refused.json())

    # A colleague's selector on another case, named with this case's URL: 404.
    other = new_case(TLP.GREEN, by=world.colleague)
    theirs = selector_register(
        access=access_for(world.colleague, other), kind="phone", value="+31611113333", reason="x"
    ).selector
    assert _post(f"/api/v1/cases/{case.uuid}/selectors/{theirs.uuid}/renew/", h).status_code == 404


def test_a_view_level_partner_cannot_renew_the_leads_selector(world, shared_case, token_for):
    selector = selector_register(
        access=access_for(world.liaison, shared_case), kind="phone", value="+31611114444", reason="x"
    ).selector
    expires = selector.expires_at
    partner = bearer(token_for(world.partner_liaison))
    base = f"/api/v1/cases/{shared_case.uuid}/selectors/{selector.uuid}"
    assert _post(f"{base}/renew/", partner).status_code == 403
    assert _post(f"{base}/deactivate/", partner).status_code == 403
    selector.refresh_from_db()
    assert selector.active and selector.expires_at == expires


# --- hits ------------------------------------------------------------------------------------------


def _hit(world, new_case):
    ours = new_case(TLP.GREEN)
    selector_register(access=access_for(world.liaison, ours), kind="phone", value="+31622223333", reason="x")
    theirs = new_case(TLP.GREEN, by=world.partner_liaison, title="partner case")
    return selector_register(
        access=access_for(world.partner_liaison, theirs), kind="phone", value="+31622223333", reason="x"
    ).hits[0]


def test_hit_coordinate_and_resolve(world, new_case, token_for):
    hit = _hit(world, new_case)
    lead, partner = bearer(token_for(world.liaison)), bearer(token_for(world.partner_liaison))
    url = f"/api/v1/hits/{hit.uuid}"

    no_note = _post(f"{url}/coordinate/", lead)
    assert no_note.status_code == 400 and "note" in no_note.json()
    coordinating = _post(f"{url}/coordinate/", lead, {"note": "called their desk"})
    assert coordinating.status_code == 200 and coordinating.json()["status"] == "coordinating"
    # The answer shows our selectors and cases, as the hit's page does, and is audited as a read.
    assert coordinating.json()["own_selectors"]
    assert AuditEvent.objects.filter(action="hit.view", actor_id=world.liaison.pk, object_id=str(hit.uuid)).exists()
    assert "called their desk" in coordinating.json()["handling_note"]

    no_outcome = _post(f"{url}/resolve/", partner)
    assert no_outcome.status_code == 400 and "outcome" in no_outcome.json()
    resolved = _post(f"{url}/resolve/", partner, {"outcome": "one_leads", "note": "lead takes it"})
    assert resolved.status_code == 200
    assert (resolved.json()["status"], resolved.json()["outcome"]) == ("resolved", "one_leads")
    hit.refresh_from_db()
    assert hit.status == Hit.Status.RESOLVED and hit.resolved_by == world.partner_liaison
    assert _post(f"{url}/resolve/", lead, {"outcome": "no_conflict"}).status_code == 400
    assert _post(f"{url}/escalate/", lead).status_code == 404

    # Resolved hits leave the default list; ?all=1 brings them back; anything else is a 400.
    assert Client().get("/api/v1/hits/", **lead).json()["results"] == []
    assert [h["uuid"] for h in Client().get("/api/v1/hits/?all=1", **lead).json()["results"]] == [str(hit.uuid)]
    bad = Client().get("/api/v1/hits/?all=yes", **lead)
    assert bad.status_code == 400 and "all" in bad.json()


# --- operations ------------------------------------------------------------------------------------


def test_operations_plan_conflict_resolve_and_cancel(world, token_for):
    lead, partner = bearer(token_for(world.liaison)), bearer(token_for(world.partner_liaison))
    start = timezone.now() + timedelta(hours=2)
    body = {
        "kind": "search",
        "title": "Dawn",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=3)).isoformat(),
        "latitude": 52.37,
        "longitude": 4.89,
        "radius_m": 500,
        "country": "NL",
    }
    first = _post("/api/v1/operations/", lead, body)
    assert first.status_code == 201 and first.json()["conflicts"] == []
    ours = first.json()["operation"]["uuid"]

    second = _post("/api/v1/operations/", partner, {**body, "title": "Sunrise", "longitude": 4.891})
    assert second.status_code == 201
    [conflict] = second.json()["conflicts"]
    assert conflict["other_organisation"] == world.lead.name and conflict["distance_km"] == 0
    # The lead sees the conflict from its side: its own operation, nothing of the partner's.
    [seen] = Client().get("/api/v1/conflicts/", **lead).json()["results"]
    assert seen["uuid"] == conflict["uuid"] and seen["our_operation"] == ours
    assert "Sunrise" not in Client().get("/api/v1/conflicts/", **lead).content.decode()

    assert _post(f"/api/v1/conflicts/{conflict['uuid']}/resolve/", lead).status_code == 400  # the note is required
    resolved = _post(f"/api/v1/conflicts/{conflict['uuid']}/resolve/", lead, {"note": "they go first"})
    assert resolved.status_code == 204
    assert OperationConflict.objects.get(uuid=conflict["uuid"]).status == OperationConflict.Status.RESOLVED
    assert Client().get("/api/v1/conflicts/", **lead).json()["results"] == []
    assert len(Client().get("/api/v1/conflicts/?all=1", **lead).json()["results"]) == 1

    # Only the planning organisation cancels its operation.
    assert _post(f"/api/v1/operations/{ours}/cancel/", partner).status_code == 404
    assert _post(f"/api/v1/operations/{ours}/cancel/", lead).status_code == 204
    assert Operation.objects.get(uuid=ours).status == Operation.Status.CANCELLED


# --- the action plan -------------------------------------------------------------------------------


@pytest.fixture
def plan(world):
    ministry = world.international  # any organisation can own the plan; it reads the same
    plan = ActionPlan.objects.create(
        title="Plan", period_start=date(2024, 1, 1), period_end=date(2030, 12, 31), owner_organisation=ministry
    )
    measure = Measure.objects.create(
        plan=plan,
        code="M1",
        title="Capacity",
        owner_organisation=world.lead,
        start=date(2024, 1, 1),
        deadline=date(2030, 12, 31),
    )
    indicator = Indicator.objects.create(
        plan=plan, code="I1", name="Cases opened", unit="cases", source="computed", metric="cases_opened"
    )
    for organisation, value in ((None, 12), (world.lead, 9), (world.partner, 3)):
        IndicatorValue.objects.create(
            indicator=indicator, year=2025, quarter=1, organisation=organisation, value=value, case_count=value
        )
    return {"plan": plan, "measure": measure, "indicator": indicator}


def test_action_plan_read(world, plan, token_for):
    h = bearer(token_for(world.partner_liaison, scopes=["read"]))
    [measure] = Client().get("/api/v1/actionplan/measures/", **h).json()["results"]
    assert measure["uuid"] == str(plan["measure"].uuid) and measure["owner_organisation"] == str(world.lead.uuid)
    [indicator] = Client().get("/api/v1/actionplan/indicators/", **h).json()["results"]
    assert indicator["uuid"] == str(plan["indicator"].uuid) and "figures" not in indicator
    figures = Client().get(f"/api/v1/actionplan/indicators/{indicator['uuid']}/", **h).json()["figures"]
    # Exactly what the dashboard shows: indicator_table's suppression, "<5" for the partner's 3.
    table = indicator_table(indicator=plan["indicator"])
    expected = []
    for period, national, cells in table.rows:
        expected.append({"period": period, "organisation": None, "value": national.display})
        expected += [
            {"period": period, "organisation": str(org.uuid), "value": cell.display}
            for org, cell in zip(table.organisations, cells, strict=True)
            if cell.value is not None
        ]
    assert figures == expected
    assert {"period": "2025-Q1", "organisation": str(world.partner.uuid), "value": "<5"} in figures
    assert "3" not in [f["value"] for f in figures]


def test_action_plan_progress_update_by_the_owner_only(world, plan, token_for):
    url = f"/api/v1/actionplan/measures/{plan['measure'].uuid}/updates/"
    today = timezone.localdate()
    body = {
        "year": today.year,
        "quarter": (today.month - 1) // 3 + 1,
        "status": "on_track",
        "percent_done": 40,
        "narrative": "Two teams trained.",
    }
    refused = _post(url, bearer(token_for(world.partner_liaison)), body)
    assert refused.status_code == 403 and not ProgressUpdate.objects.exists()
    created = _post(url, bearer(token_for(world.liaison)), body)
    assert created.status_code == 201
    update = ProgressUpdate.objects.get()
    assert created.json() == {
        "uuid": str(update.uuid),
        "measure": str(plan["measure"].uuid),
        "year": body["year"],
        "quarter": body["quarter"],
        "period": update.period,
        "status": "on_track",
        "percent_done": 40,
        "narrative": "Two teams trained.",
        "submitted_at": created.json()["submitted_at"],
        "review": "submitted",
        "reviewed_at": None,
        "review_comment": "",
    }
    assert _post(url, bearer(token_for(world.liaison)), body).status_code == 400  # one update per quarter


def test_the_owner_reads_why_an_update_was_returned(world, plan, token_for, make_member):
    monitor = make_member(world.international, role=Role.MINISTRY_MONITOR)
    url = f"/api/v1/actionplan/measures/{plan['measure'].uuid}/updates/"
    body = {"year": 2025, "quarter": 2, "status": "at_risk", "percent_done": 10, "narrative": "Hiring slow."}
    assert _post(url, bearer(token_for(world.liaison)), body).status_code == 201
    progress_review(
        membership=monitor.memberships.get(),
        update=ProgressUpdate.objects.get(),
        accept=False,
        comment="Say how many of the 150 posts are filled.",
    )
    [update] = Client().get(url, **bearer(token_for(world.liaison, scopes=["read"]))).json()["results"]
    assert (update["review"], update["review_comment"]) == ("returned", "Say how many of the 150 posts are filled.")
    assert update["reviewed_at"] is not None
    assert (
        Client()
        .get(f"/api/v1/actionplan/measures/{uuid.uuid4()}/updates/", **bearer(token_for(world.liaison)))
        .status_code
        == 404
    )


# --- lists -----------------------------------------------------------------------------------------


def test_walking_the_cursor_next_link_visits_every_case_once(world, new_case, token_for):
    made = {new_case(TLP.GREEN, title=f"walk {i}").reference for i in range(7)}
    h = bearer(token_for(world.liaison))
    url, seen, pages = "/api/v1/cases/?page_size=3", [], 0
    while url:
        page = Client().get(url, **h)
        assert page.status_code == 200
        seen += [c["reference"] for c in page.json()["results"]]
        pages += 1
        url = page.json()["next"]
        if url:  # an absolute link to the same API: follow its path and query
            parts = urlsplit(url)
            url = f"{parts.path}?{parts.query}"
    assert pages == 3 and len(seen) == len(set(seen)) == 7 and set(seen) == made


def test_task_inbox_direction(world, shared_case, token_for):
    from cases.services import task_create

    task_create(
        access=access_for(world.liaison, shared_case), title="ask the partner", assigned_organisation=world.partner
    )
    lead = bearer(token_for(world.liaison))
    assert Client().get("/api/v1/tasks/", **lead).json()["results"] == []
    outgoing = Client().get("/api/v1/tasks/?direction=outgoing", **lead).json()["results"]
    assert [t["title"] for t in outgoing] == ["ask the partner"]
    bad = Client().get("/api/v1/tasks/?direction=sideways", **lead)
    assert bad.status_code == 400 and "direction" in bad.json()


# --- tokens ----------------------------------------------------------------------------------------


def test_a_token_revoked_in_the_portal_is_refused_at_once(world, token_for):
    secret = token_for(world.liaison)
    assert Client().get("/api/v1/cases/", **bearer(secret)).status_code == 200
    token = ApiToken.objects.get()
    page = login_verified(Client(), world.liaison).post(f"/accounts/tokens/{token.uuid}/revoke/")
    assert page.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Client().get("/api/v1/cases/", **bearer(secret)).status_code == 401


# --- people to name, and milestones across cases --------------------------------------------------


def test_a_partner_system_finds_the_people_it_may_name(world, shared_case, token_for):
    h = bearer(token_for(world.liaison))
    url = f"/api/v1/cases/{shared_case.uuid}/people/"
    people = Client().get(url, **h).json()["results"]
    emails = {p["name"] for p in people}
    by_name = {p["name"]: p for p in people}
    lead_and_partner = {
        u.full_name for u in (world.colleague, world.lead_admin, world.partner_liaison, world.partner_analyst)
    }
    assert lead_and_partner <= emails
    assert world.outsider.full_name not in emails and world.foreign_liaison.full_name not in emails
    # A membership from the list goes into a named share, a user into a task's assignee.
    analyst = by_name[world.partner_analyst.full_name]
    assert analyst["organisation"] == str(world.partner.uuid)
    shared = _post(
        f"/api/v1/cases/{shared_case.uuid}/shares/",
        h,
        {"membership": analyst["membership"], "level": "contribute", "reason": "analysis"},
    )
    assert shared.status_code == 201, shared.json()
    task = _post(
        f"/api/v1/cases/{shared_case.uuid}/tasks/",
        h,
        {"title": "Check the logs", "assigned_organisation": str(world.partner.uuid), "assignee": analyst["user"]},
    )
    assert task.status_code == 201, task.json()
    assert task.json()["assignee"] == analyst["user"]
    # Outsiders get 404; a view-only partner may not pick people; reading the list is audited.
    assert Client().get(url, **bearer(token_for(world.outsider))).status_code == 404
    assert Client().get(url, **bearer(token_for(world.partner_liaison))).status_code == 403
    assert AuditEvent.objects.filter(
        action="case.view", actor_id=world.liaison.pk, object_id=str(shared_case.uuid)
    ).exists()


def test_people_of_an_organisation_named_on_a_red_case_are_not_listed(world, new_case, token_for):
    """Someone named on a RED case does not make their whole organisation visible to the lead."""
    red = new_case(TLP.RED)
    named = _post(
        f"/api/v1/cases/{red.uuid}/shares/",
        bearer(token_for(world.liaison)),
        {"membership": str(world.partner_liaison.memberships.get().uuid), "level": "view", "reason": "named"},
    )
    assert named.status_code == 201
    people = Client().get(f"/api/v1/cases/{red.uuid}/people/", **bearer(token_for(world.liaison))).json()
    names = {p["name"] for p in people["results"]}
    assert world.colleague.full_name in names
    assert world.partner_analyst.full_name not in names and world.partner_liaison.full_name not in names


def test_upcoming_milestones_across_cases_soonest_first(world, new_case, token_for):
    today = timezone.localdate()
    cases = []
    for days in (20, 5, 12):
        case = new_case(TLP.GREEN, title=f"Op {days}")
        Milestone.objects.create(
            case=case, kind=MilestoneKind.VERDICT, owner_organisation=world.lead, due_date=today + timedelta(days=days)
        )
        cases.append(case)
    done = new_case(TLP.GREEN, title="all done")
    Milestone.objects.create(
        case=done, kind=MilestoneKind.VERDICT, owner_organisation=world.lead, due_date=today, done_date=today
    )
    h = bearer(token_for(world.liaison))
    seen, url = [], "/api/v1/milestones/?page_size=2"
    while url:
        page = Client().get(url, **h).json()
        seen += page["results"]
        url = page["next"]
    assert [r["reference"] for r in seen] == [cases[1].reference, cases[2].reference, cases[0].reference]
    assert seen[0]["next_kind"] == "verdict" and seen[0]["next_due"] == (today + timedelta(days=5)).isoformat()
    assert Client().get("/api/v1/milestones/", **bearer(token_for(world.outsider))).json()["results"] == []
