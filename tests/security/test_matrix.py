"""The authorisation matrix: every URL pattern (web, API and admin, from the resolver) and every
API operation (from the OpenAPI schema) requested as seven personas. New routes are covered
without editing this file; a route whose parameters it cannot fill, or a route that addresses
organisation A's case without saying which permission it needs, fails the test.

Expected outcomes per persona (one table, ``PERSONAS`` below):
- anonymous: web 302 to the login page, API 401;
- password only (no second factor): web 302 to the OTP step, API 401;
- a member of an unrelated police force, an NGO member, a ministry monitor, and a member of
  organisation A and an NGO acting for the NGO: 404 (or 405) on every route that addresses one of
  A's objects; the admin site sends them to its login; on every other route no response contains
  A's case reference, title or raw selector value;
- a liaison officer of a partner organisation the case is shared with at view level: what the
  portal's own tables allow (``LEVEL_PERMISSIONS`` of the share level, ``ROLE_CAPABILITIES`` of
  the role) succeeds, everything else is refused (403, or an audited refusal) and changes nothing;
  the raw selector value never appears.
"""

import json
import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.test import Client
from django.urls import resolve
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from accounts.models import ApiToken
from accounts.tokens import api_token_create
from actionplan.models import ActionPlan, Indicator, Measure, ProgressUpdate
from audit.models import AuditEvent
from cases.constants import LEVEL_PERMISSIONS, TLP, AccessLevel
from cases.selectors import ROLE_CAPABILITY_FOR
from cases.services import case_create, case_handover_propose, case_share, milestone_set_apply, task_create
from deconfliction.services import operation_plan, selector_import_create, selector_register
from partners.models import Membership
from partners.roles import Role, role_can
from partners.services import membership_create
from portal.exemptions import PASSWORD_ONLY_URL_NAMES, PUBLIC_URL_NAMES
from tests.cases.conftest import access_for
from tests.conftest import login_password_only, login_verified, membership_of
from tests.factories import OrganisationFactory
from tests.urlwalk import CONVERTER_SAMPLES, SAMPLE_UUID, all_routes

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
    "api:indicator",
}


# The admin site's own sign-in pages answer anyone (they show no data; the test checks that).
ADMIN_OPEN = {"admin:login", "admin:logout", "admin:jsi18n"}

SAMPLE_SLUG = CONVERTER_SAMPLES["slug"]
HANDOVER_TARGET = "handover target"  # only the organisation a handover is offered to decides it
TASK_ASSIGNEE = "task assignee"  # only the organisation a task is assigned to moves it along

# What each route that addresses A's case needs, per method, in the portal's own permission
# vocabulary (cases.constants.LEVEL_PERMISSIONS); a web method not listed must answer 405, and an
# API route's methods must be exactly those the OpenAPI schema documents.
CASE_ROUTE_NEEDS = {
    "cases:detail": {"get": "view_case"},
    "cases:edit": {"get": "change_case", "post": "change_case"},
    "cases:tlp": {"post": "change_case"},
    "cases:note_add": {"post": "contribute_case"},
    "cases:share": {"get": "share_case", "post": "share_case"},
    "cases:share_decide": {"post": "share_case"},
    "cases:handover_propose": {"post": "share_case"},
    "cases:handover_decide": {"post": HANDOVER_TARGET},
    "cases:milestone_apply": {"post": "contribute_case"},
    "cases:milestone_add": {"post": "contribute_case"},
    "cases:milestone_update": {"post": "contribute_case"},
    "cases:task_create": {"post": "contribute_case"},
    "cases:task_status": {"post": TASK_ASSIGNEE},
    "deconfliction:case_selectors": {"get": "view_case", "post": "contribute_case"},
    "deconfliction:selector_action": {"post": "contribute_case"},
    "deconfliction:import_create": {"get": "contribute_case", "post": "contribute_case"},
    "api:case": {"get": "view_case", "patch": "change_case"},
    "api:shares": {"get": "share_case", "post": "share_case"},
    "api:share_action": {"post": "share_case"},
    "api:handover": {"post": "share_case"},
    "api:handover_decide": {"post": HANDOVER_TARGET},
    "api:milestones": {"get": "view_case", "post": "contribute_case"},
    "api:milestones_apply": {"post": "contribute_case"},
    "api:milestone": {"patch": "contribute_case"},
    "api:tasks": {"get": "view_case", "post": "contribute_case"},
    "api:task_status": {"post": TASK_ASSIGNEE},
    "api:notes": {"get": "view_case", "post": "contribute_case"},
    "api:selectors": {"get": "view_case", "post": "contribute_case"},
    "api:selectors_batch": {"post": "contribute_case"},
    "api:selector_action": {"post": "contribute_case"},
    "api:case_people": {"get": "contribute_case"},
}

# Real action words for routes that end in one.
ACTION_WORDS = {
    "cases:share_decide": "revoke",
    "cases:handover_decide": "accept",
    "api:share_action": "revoke",
    "api:handover_decide": "accept",
    "deconfliction:hit_action": "acknowledge",
    "api:hit_action": "acknowledge",
    "deconfliction:selector_action": "deactivate",
    "api:selector_action": "deactivate",
}

# Valid input where a view validates its form before the service checks the permission, so the
# partner's refusal comes from the permission check, not from an empty form.
PAYLOADS = {
    "cases:task_status": {"status": "done"},
    "api:task_status": {"status": "done"},
}


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
    # The handover and the operation conflict involve organisations of their own, so the partner
    # persona's view-level share is the only thing that connects it to A's case.
    heir = OrganisationFactory(name="Heir", short_code="heir", kind="police")
    third = OrganisationFactory(name="Third force", short_code="third", kind="police")
    case = case_create(membership=membership_of(liaison), title=SECRET_TITLE, crime_type="grooming", tlp=TLP.AMBER)
    share = case_share(access=access_for(liaison, case), organisation=partner, level=AccessLevel.VIEW, reason="x")
    milestone = milestone_set_apply(access=access_for(liaison, case))[0]
    task = task_create(access=access_for(liaison, case), title="secret task", assigned_organisation=a)
    selector = selector_register(
        access=access_for(liaison, case), kind="email", value=SECRET_VALUE, reason="x"
    ).selector
    second = case_create(membership=membership_of(colleague), title="second team", crime_type="grooming", tlp=TLP.GREEN)
    hit = selector_register(access=access_for(colleague, second), kind="email", value=SECRET_VALUE, reason="x").hits[0]
    case_share(access=access_for(liaison, case), organisation=heir, level=AccessLevel.VIEW, reason="x")
    handover = case_handover_propose(access=access_for(liaison, case), organisation=heir, reason="x")
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
        membership=membership_of(make_member(third, role=Role.LIAISON)),
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
                "selector_action",
                "case_people",
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
        "api:indicator": indicator,
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
        "partner_view": partner_liaison,
    }
    return {
        "case": case,
        "uuid_for": uuid_for,
        "other": other,
        "personas": personas,
        "dual": dual,
        "ngo": ngo,
        "admin_user": admin,
        "partner_share": share,
    }


def _fill(route, matrix) -> tuple[str, bool, object]:
    """The concrete path for a route, whether it addresses one of A's objects, and which."""
    path, addresses_a, obj = route.path, False, None
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
    # A real action word, so the request reaches the permission check instead of stopping at
    # "no such action".
    if route.path.rstrip("/").endswith("/" + SAMPLE_SLUG) and route.view_name in ACTION_WORDS:
        path = path[: path.rstrip("/").rindex("/") + 1] + ACTION_WORDS[route.view_name] + "/"
    return path, addresses_a, obj


def _schema_operations() -> dict[str, list[str]]:
    """API view name -> the methods the OpenAPI schema documents for it."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations: dict[str, list[str]] = {}
    for template, methods in schema["paths"].items():
        path = re.sub(r"\{uuid\}|\{\w+_uuid\}", SAMPLE_UUID, template)
        path = re.sub(r"\{\w+\}", SAMPLE_SLUG, path)
        view_name = resolve(path).view_name  # a documented path that no route serves fails here
        operations[view_name] = sorted(m for m in methods if m in ("get", "post", "put", "patch", "delete"))
    return operations


def _methods(route, api_operations) -> list[str]:
    if route.view_name in api_operations:
        return api_operations[route.view_name]
    return ["get", "post"]


def _call(client: Client, method: str, path: str, data: dict | None = None):
    if path.startswith("/api/"):
        return client.generic(method.upper(), path, json.dumps(data or {}), content_type="application/json")
    return getattr(client, method)(path, data or {})


def _clients(matrix):
    clients = {name: login_verified(Client(), user) for name, user in matrix["personas"].items()}
    dual = login_verified(Client(), matrix["dual"])
    dual.post(
        "/organisation/switch/",
        {"membership": str(Membership.objects.get(user=matrix["dual"], organisation=matrix["ngo"]).uuid)},
    )
    clients["dual_as_ngo"] = dual
    return clients


def _partner_may(need: str, matrix) -> bool:
    """What the view-level partner may do, read from the portal's own tables."""
    if need in (HANDOVER_TARGET, TASK_ASSIGNEE):
        return False  # the handover goes to another organisation; the task is A's own
    share_level = matrix["partner_share"].level
    role = Membership.objects.get(user=matrix["personas"]["partner_view"]).role
    return need in LEVEL_PERMISSIONS[share_level] and (need == "view_case" or role_can(role, ROLE_CAPABILITY_FOR[need]))


def _state() -> list:
    """Every row the case, deconfliction, partner, token and action-plan tables hold."""
    rows = []
    for label in ("cases", "deconfliction", "partners", "actionplan"):
        for model in apps.get_app_config(label).get_models():
            rows.append(list(model.objects.order_by("pk").values()))
    rows.append(list(ApiToken.objects.order_by("pk").values("pk", "revoked_at", "expires_at")))
    return rows


def _check_partner(response, route, method, allowed, matrix, before, denied_before):
    """The view-level partner on a route that addresses A's case."""
    where = (route.view_name, method, "partner_view", response.status_code)
    if allowed:
        assert response.status_code == 200, where
        assert SECRET_VALUE not in response.content.decode(errors="replace"), where
        return
    refused = response.status_code in (403, 404, 405) or (
        response.status_code == 302
        and AuditEvent.objects.filter(
            pk__gt=denied_before, result="denied", actor_id=matrix["personas"]["partner_view"].pk
        ).exists()
    )
    assert refused, where
    if method != "get":
        assert _state() == before, (*where, "changed something")


def test_sec_14_every_api_operation_in_the_schema_is_a_route_and_back():
    api_operations = _schema_operations()
    api_routes = {r.view_name for r in all_routes() if r.path.startswith("/api/")} - {"api:schema", "api:docs"}
    assert set(api_operations) == api_routes
    assert sum(len(methods) for methods in api_operations.values()) >= 36


def test_sec_14_matrix_every_route_every_persona(matrix):
    routes = [r for r in all_routes() if r.view_name not in PUBLIC_URL_NAMES and r.view_name != "accounts:logout"]
    assert len(routes) > 80
    api_operations = _schema_operations()
    clients = _clients(matrix)
    anonymous, half = Client(), login_password_only(Client(), matrix["admin_user"])
    secrets = (matrix["case"].reference, SECRET_TITLE, SECRET_VALUE)
    checked = partner_allowed = partner_refused = 0
    for route in routes:
        path, addresses_a, obj = _fill(route, matrix)
        is_api, is_admin = path.startswith("/api/"), path.startswith("/admin/")
        addresses_case = addresses_a and obj == matrix["case"]
        if addresses_case:
            assert route.view_name in CASE_ROUTE_NEEDS, f"declare what {route.view_name} needs in CASE_ROUTE_NEEDS"
            if is_api:
                assert sorted(CASE_ROUTE_NEEDS[route.view_name]) == api_operations[route.view_name], route.view_name
        for method in _methods(route, api_operations):
            response = _call(anonymous, method, path)
            assert response.status_code == (401 if is_api else 302), (route.view_name, method, "anonymous")
            if not is_api:
                assert response["Location"].startswith("/accounts/login/")
            if route.view_name not in PASSWORD_ONLY_URL_NAMES:
                response = _call(half, method, path)
                assert response.status_code == (401 if is_api else 302), (route.view_name, method, "password only")
                if not is_api:
                    assert response["Location"] == "/accounts/verify/"
            for persona, client in clients.items():
                if persona == "partner_view" and addresses_case:
                    need = CASE_ROUTE_NEEDS[route.view_name].get(method)
                    allowed = need is not None and _partner_may(need, matrix)
                    before = _state() if method != "get" else None
                    denied_before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
                    response = _call(client, method, path, PAYLOADS.get(route.view_name))
                    _check_partner(response, route, method, allowed, matrix, before, denied_before)
                    partner_allowed += allowed
                    partner_refused += not allowed
                    checked += 1
                    continue
                response = _call(client, method, path)
                where = (route.view_name, method, persona, response.status_code)
                if is_admin and route.view_name not in ADMIN_OPEN:
                    assert response.status_code == 302 and "/admin/login/" in response["Location"], where
                elif addresses_a:
                    assert response.status_code in (404, 405), where
                else:
                    body = response.content.decode(errors="replace")
                    # The partner sees the case's reference and title; nobody else's raw value.
                    hidden = (SECRET_VALUE,) if persona == "partner_view" else secrets
                    assert not any(secret in body for secret in hidden), where
                checked += 1
    assert checked > 700
    # The partner persona exercised both sides of the table.
    assert partner_allowed >= 6 and partner_refused >= 25, (partner_allowed, partner_refused)
