"""The authorisation matrix: every URL pattern (web, API and admin) requested as six personas
who must not reach organisation A's objects. New routes are covered without editing this file;
a route whose parameters it cannot fill fails the test, so it must be declared below.

Expected outcomes per persona (one table):
- anonymous: web 302 to the login page, API 401;
- password only (no second factor): web 302 to the OTP step, API 401;
- a member of an unrelated police force, an NGO member, a ministry monitor, and a member of
  organisation A and an NGO acting for the NGO: 404 (or 405) on every route that addresses one of
  A's objects; the admin site sends them to its login; on every other route no response contains
  A's case reference, title or raw selector value.
"""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.tokens import api_token_create
from actionplan.models import ActionPlan, Indicator, Measure, ProgressUpdate
from cases.constants import TLP, AccessLevel
from cases.services import case_create, case_handover_propose, case_share, milestone_set_apply, task_create
from deconfliction.services import operation_plan, selector_import_create, selector_register
from partners.models import Membership
from partners.roles import Role
from partners.services import membership_create
from portal.exemptions import PASSWORD_ONLY_URL_NAMES, PUBLIC_URL_NAMES
from tests.cases.conftest import access_for
from tests.conftest import login_password_only, login_verified, membership_of
from tests.factories import OrganisationFactory
from tests.urlwalk import all_routes

pytestmark = pytest.mark.django_db

SECRET_TITLE = "Operation Matrix Secret"
SECRET_VALUE = "matrix.secret@example.org"

# Routes whose parameters do not address one of organisation A's objects (readable by members).
MEMBER_READABLE = {
    "api:organisation",
    "actionplan:measure",
    "actionplan:indicator",
    "actionplan:review",
    "api:measure_update",
}


# The admin site's own sign-in pages answer anyone (they show no data; the test checks that).
ADMIN_OPEN = {"admin:login", "admin:logout", "admin:jsi18n"}


@pytest.fixture
def matrix(make_member):
    a = OrganisationFactory(name="Organisation A", short_code="org-a", kind="police")
    partner = OrganisationFactory(name="Partner", short_code="partner", kind="police")
    ngo = OrganisationFactory(name="Hotline", short_code="ngo", kind="ngo")
    ministry = OrganisationFactory(name="Ministry", short_code="min", kind="ministry")
    unrelated = OrganisationFactory(name="Unrelated", short_code="unrel", kind="police")
    liaison = make_member(a, role=Role.LIAISON)
    colleague = make_member(a, role=Role.LIAISON)
    admin = make_member(a, role=Role.ORG_ADMIN)
    partner_liaison = make_member(partner, role=Role.LIAISON)
    case = case_create(membership=membership_of(liaison), title=SECRET_TITLE, crime_type="grooming", tlp=TLP.AMBER)
    share = case_share(access=access_for(liaison, case), organisation=partner, level=AccessLevel.VIEW, reason="x")
    milestone = milestone_set_apply(access=access_for(liaison, case))[0]
    task = task_create(access=access_for(liaison, case), title="secret task", assigned_organisation=a)
    selector = selector_register(
        access=access_for(liaison, case), kind="email", value=SECRET_VALUE, reason="x"
    ).selector
    second = case_create(membership=membership_of(colleague), title="second team", crime_type="grooming", tlp=TLP.GREEN)
    hit = selector_register(access=access_for(colleague, second), kind="email", value=SECRET_VALUE, reason="x").hits[0]
    handover = case_handover_propose(access=access_for(liaison, case), organisation=partner, reason="x")
    job = selector_import_create(
        access=access_for(liaison, case), file_name="x.csv", data=b"ip,192.0.2.1\n", reason="x"
    )
    now = timezone.now()
    operation, _c = operation_plan(
        membership=membership_of(liaison),
        kind="search",
        title="op",
        country="NL",
        starts_at=now + timedelta(hours=1),
        ends_at=now + timedelta(hours=3),
    )
    _op, conflicts = operation_plan(
        membership=membership_of(partner_liaison),
        kind="search",
        title="op2",
        country="NL",
        starts_at=now + timedelta(hours=1),
        ends_at=now + timedelta(hours=3),
    )
    token, _secret = api_token_create(by=liaison, membership=membership_of(liaison), name="t", scopes=["read"], days=5)
    plan = ActionPlan.objects.create(
        title="Plan", period_start=now.date(), period_end=now.date() + timedelta(days=9), owner_organisation=ministry
    )
    measure = Measure.objects.create(
        plan=plan, code="M1", title="m", owner_organisation=a, start=now.date(), deadline=now.date()
    )
    update = ProgressUpdate.objects.create(
        measure=measure, year=2026, quarter=1, status="on_track", percent_done=1, narrative="n"
    )
    indicator = Indicator.objects.create(plan=plan, code="I", name="i", unit="u", source="manual")
    dual = make_member(a, role=Role.ANALYST)
    membership_create(user=dual, organisation=ngo, role=Role.NGO_CASEWORKER)
    uuid_for = {
        # view name -> the object of organisation A its <uuid> addresses
        "cases": case,
        "deconfliction:case_selectors": case,
        "deconfliction:selector_action": case,
        "deconfliction:import_create": case,
        "deconfliction:hit": hit,
        "deconfliction:hit_action": hit,
        "deconfliction:import": job,
        "deconfliction:import_progress": job,
        "deconfliction:operation_cancel": operation,
        "deconfliction:conflict_resolve": conflicts[0],
        "partners:member_action": membership_of(colleague),
        "accounts:token_revoke": token,
        **{
            f"api:{name}": case
            for name in (
                "case",
                "shares",
                "share_action",
                "handover",
                "handover_decide",
                "milestones",
                "milestones_apply",
                "milestone",
                "tasks",
                "task_status",
                "notes",
                "selectors",
                "selectors_batch",
            )
        },
        "api:hit": hit,
        "api:hit_action": hit,
        "api:operation_cancel": operation,
        "api:conflict_resolve": conflicts[0],
        "api:organisation": a,
        "actionplan:measure": measure,
        "actionplan:indicator": indicator,
        "actionplan:review": update,
        "api:measure_update": measure,
    }
    other = {
        "share_uuid": share,
        "milestone_uuid": milestone,
        "task_uuid": task,
        "selector_uuid": selector,
        "handover_uuid": handover,
    }
    personas = {
        "unrelated": make_member(unrelated, role=Role.LIAISON),
        "ngo": make_member(ngo, role=Role.NGO_CASEWORKER),
        "monitor": make_member(ministry, role=Role.MINISTRY_MONITOR),
    }
    return {
        "case": case,
        "uuid_for": uuid_for,
        "other": other,
        "personas": personas,
        "dual": dual,
        "ngo": ngo,
        "admin_user": admin,
    }


def _fill(route, matrix) -> tuple[str, bool]:
    """The concrete path for a route, and whether it addresses one of A's objects."""
    from tests.urlwalk import SAMPLE_UUID

    path, addresses_a = route.path, False
    if SAMPLE_UUID in path:
        key = next((k for k in matrix["uuid_for"] if route.view_name == k or route.view_name.startswith(k + ":")), None)
        assert key is not None, f"declare which object {route.view_name} addresses (route {route.path})"
        obj = matrix["uuid_for"][key]
        path = path.replace(SAMPLE_UUID, str(obj.uuid), 1)
        addresses_a = route.view_name not in MEMBER_READABLE
        # A second UUID (a share, milestone, task, selector or handover of the case) is filled
        # with one of A's objects; the case gateway refuses outsiders before it is looked at.
        for value in matrix["other"].values():
            if SAMPLE_UUID in path:
                path = path.replace(SAMPLE_UUID, str(value.uuid), 1)
        assert SAMPLE_UUID not in path, f"unfilled parameter in {route.view_name}"
    return path, addresses_a


def _clients(matrix):
    clients = {name: login_verified(Client(), user) for name, user in matrix["personas"].items()}
    dual = login_verified(Client(), matrix["dual"])
    dual.post(
        "/organisation/switch/",
        {"membership": str(Membership.objects.get(user=matrix["dual"], organisation=matrix["ngo"]).uuid)},
    )
    clients["dual_as_ngo"] = dual
    return clients


def test_sec_14_matrix_every_route_every_persona(matrix):
    routes = [r for r in all_routes() if r.view_name not in PUBLIC_URL_NAMES and r.view_name != "accounts:logout"]
    assert len(routes) > 80
    clients = _clients(matrix)
    anonymous, half = Client(), login_password_only(Client(), matrix["admin_user"])
    secrets = (matrix["case"].reference, SECRET_TITLE, SECRET_VALUE)
    checked = 0
    for route in routes:
        path, addresses_a = _fill(route, matrix)
        is_api, is_admin = path.startswith("/api/"), path.startswith("/admin/")
        for method in ("get", "post"):
            response = getattr(anonymous, method)(path)
            assert response.status_code == (401 if is_api else 302), (route.view_name, method, "anonymous")
            if not is_api:
                assert response["Location"].startswith("/accounts/login/")
            if route.view_name not in PASSWORD_ONLY_URL_NAMES:
                response = getattr(half, method)(path)
                assert response.status_code == (401 if is_api else 302), (route.view_name, method, "password only")
                if not is_api:
                    assert response["Location"] == "/accounts/verify/"
            for persona, client in clients.items():
                response = getattr(client, method)(path)
                where = (route.view_name, method, persona, response.status_code)
                if is_admin and route.view_name not in ADMIN_OPEN:
                    assert response.status_code == 302 and "/admin/login/" in response["Location"], where
                elif addresses_a:
                    assert response.status_code in (404, 405), where
                else:
                    body = response.content.decode(errors="replace")
                    assert not any(secret in body for secret in secrets), where
                checked += 1
    assert checked > 600
