import re
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import get_resolver
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import ApiToken
from audit.models import AuditEvent
from cases.constants import TLP
from cases.models import Case, Milestone, Task
from cases.services import milestone_set_apply, task_create
from deconfliction.services import selector_register
from partners.services import membership_end
from portal.utils.crypto import sha256_hex
from tests.api.conftest import bearer
from tests.cases.conftest import access_for
from tests.conftest import login_password_only, login_verified

pytestmark = pytest.mark.django_db


# --- authentication --------------------------------------------------------------------------------


def test_no_credentials_is_401_and_a_password_only_session_too(world, member):
    assert Client().get("/api/v1/cases/").status_code == 401
    assert login_password_only(Client(), member).get("/api/v1/cases/").status_code == 401
    assert login_verified(Client(), member).get("/api/v1/cases/").status_code == 200


def test_token_is_stored_as_sha256_and_shown_once(world, token_for):
    secret = token_for(world.liaison)
    token = ApiToken.objects.get()
    assert token.token_hash == sha256_hex(secret) and secret not in token.token_hash
    assert Client().get("/api/v1/cases/", **bearer(secret)).status_code == 200
    assert AuditEvent.objects.filter(action="api_token.use", actor_id=world.liaison.pk, result="success").exists()


def test_a_token_read_writes_its_use_and_the_case_view_under_one_chain_lock(world, new_case, token_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case = new_case(TLP.GREEN)
    headers = bearer(token_for(world.liaison))
    Client().get("/api/v1/organisations/", **headers)  # the first use records last_used_at
    with CaptureQueriesContext(connection) as ctx:
        assert Client().get(f"/api/v1/cases/{case.uuid}/", **headers).status_code == 200
    view, use = AuditEvent.objects.order_by("-id")[:2]
    assert (use.action, view.action) == ("api_token.use", "case.view")
    assert use.actor_id == view.actor_id == world.liaison.pk and view.object_id == str(case.uuid)
    assert (view.chain, view.seq, view.prev_hash) == (use.chain, use.seq + 1, use.hash)
    # One append: the chain head is moved once (on PostgreSQL inside the insert's statement),
    # so the token's use and the case read share one lock and one commit.
    assert sum(bool(re.search(r'UPDATE "?audit_auditchainhead', q["sql"])) for q in ctx.captured_queries) == 1


def test_a_token_read_that_audits_nothing_else_still_records_the_use(world, token_for, monkeypatch):
    from audit import services as audit_services

    headers = bearer(token_for(world.liaison))
    before = AuditEvent.objects.filter(action="api_token.use").count()
    assert Client().get("/api/v1/organisations/", **headers).status_code == 200
    assert AuditEvent.objects.filter(action="api_token.use").count() == before + 1

    def broken_append(*args, **kwargs):
        raise RuntimeError("audit store unavailable")

    # SECURITY.md line 21: no response goes out when the deferred event cannot be written.
    monkeypatch.setattr(audit_services, "_append", broken_append)
    with pytest.raises(RuntimeError, match="audit store unavailable"):
        Client().get("/api/v1/organisations/", **headers)


@pytest.mark.parametrize("breakage", ["expired", "revoked", "disabled_user", "ended_membership", "wrong"])
def test_dead_tokens_are_refused_at_once(world, token_for, breakage):
    secret = token_for(world.liaison)
    client = Client()
    assert client.get("/api/v1/cases/", **bearer(secret)).status_code == 200
    if breakage == "expired":
        ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    elif breakage == "revoked":
        ApiToken.objects.update(revoked_at=timezone.now())
    elif breakage == "disabled_user":
        type(world.liaison).objects.filter(pk=world.liaison.pk).update(is_active=False)
    elif breakage == "ended_membership":
        membership_end(membership=world.liaison.memberships.get(), by=None)
    else:
        secret = secret[:-2] + "xx"
    response = client.get("/api/v1/cases/", **bearer(secret))
    assert response.status_code == 401
    assert AuditEvent.objects.filter(action="api_token.use", result="denied").exists()


def test_tokens_are_created_only_from_a_verified_session(world, member):
    assert login_password_only(Client(), member).get("/accounts/tokens/").status_code == 302
    client = login_verified(Client(), member)
    page = client.post(
        "/accounts/tokens/",
        {"name": "case system", "scopes": ["read"], "days": 30, "membership": str(member.memberships.get().uuid)},
    )
    assert page.status_code == 200 and "ccp_" in page.content.decode()
    too_long = client.post(
        "/accounts/tokens/",
        {"name": "x", "scopes": ["read"], "days": 91, "membership": str(member.memberships.get().uuid)},
    )
    assert too_long.status_code == 400 and ApiToken.objects.count() == 1


def test_scopes(world, shared_case, token_for):
    read = bearer(token_for(world.liaison, scopes=["read"]))
    write = bearer(token_for(world.liaison, scopes=["read", "write"]))
    client = Client()
    assert client.get(f"/api/v1/cases/{shared_case.uuid}/", **read).status_code == 200
    body = {"title": "x", "crime_type": "grooming", "tlp": "GREEN"}
    assert client.post("/api/v1/cases/", body, content_type="application/json", **read).status_code == 403
    assert client.post("/api/v1/cases/", body, content_type="application/json", **write).status_code == 201
    selector = {"kind": "phone", "value": "+31612345678", "reason": "x"}
    url = f"/api/v1/cases/{shared_case.uuid}/selectors/"
    assert client.post(url, selector, content_type="application/json", **write).status_code == 403
    deconf = bearer(token_for(world.liaison, scopes=["deconfliction"]))
    assert client.post(url, selector, content_type="application/json", **deconf).status_code == 201


def test_rate_limit_per_token(world, token_for, settings):
    settings.API_RATE = "3/min"
    headers = bearer(token_for(world.liaison))
    codes = [Client().get("/api/v1/organisations/", **headers).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = Client().get("/api/v1/organisations/", **headers)
    assert int(response["Retry-After"]) >= 1
    other = bearer(token_for(world.colleague))
    assert Client().get("/api/v1/organisations/", **other).status_code == 200


# --- the same rules as the pages ---------------------------------------------------------------------


def _object_urls(case, share, milestone, task, selector, hit, operation, conflict) -> list[str]:
    values = {
        "uuid": case.uuid,
        "share_uuid": share.uuid,
        "milestone_uuid": milestone.uuid,
        "task_uuid": task.uuid,
        "selector_uuid": selector.uuid,
        "handover_uuid": uuid.uuid4(),
        "action": "approve",
        "decision": "accept",
    }
    by_prefix = {"hits/": hit.uuid, "operations/": operation.uuid, "conflicts/": conflict.uuid}
    urls = []
    for pattern in get_resolver().url_patterns:
        if str(pattern.pattern) != "api/v1/":
            continue
        for sub in pattern.url_patterns:
            route = str(sub.pattern)
            if "<" not in route:
                continue
            if route.startswith(("organisations/", "actionplan/")):
                continue  # not organisation A's: organisations and the plan are readable by every member
            prefix = next((p for p in by_prefix if route.startswith(p)), None)
            if prefix:
                path = route.replace("<uuid:uuid>", str(by_prefix[prefix])).replace("<slug:action>", "acknowledge")
            else:
                path = route
                for name, value in values.items():
                    path = path.replace(f"<uuid:{name}>", str(value)).replace(f"<slug:{name}>", str(value))
            assert "<" not in path, path  # every parameter filled: a new route cannot slip through
            urls.append("/api/v1/" + path)
    return urls


def test_every_object_url_of_organisation_a_is_404_for_organisation_b(world, new_case, token_for):
    case = new_case(TLP.GREEN)
    share = case.shares.get()
    milestone = milestone_set_apply(access=access_for(world.liaison, case))[0]
    task = task_create(access=access_for(world.liaison, case), title="t", assigned_organisation=world.lead)
    selector = selector_register(
        access=access_for(world.liaison, case), kind="phone", value="+31611110000", reason="x"
    ).selector
    other_case = new_case(TLP.GREEN, by=world.colleague, title="colleague's")
    hit = selector_register(
        access=access_for(world.colleague, other_case), kind="phone", value="+31611110000", reason="x"
    ).hits[0]
    from datetime import timedelta

    from deconfliction.services import operation_plan
    from partners.models import Membership

    now = timezone.now()
    operations = [
        operation_plan(
            membership=Membership.objects.select_related("organisation").get(user=user),
            kind="search",
            title="op",
            country="NL",
            starts_at=now + timedelta(hours=1),
            ends_at=now + timedelta(hours=2),
        )
        for user in (world.liaison, world.partner_liaison)
    ]
    urls = _object_urls(case, share, milestone, task, selector, hit, operations[0][0], operations[1][1][0])
    assert len(urls) >= 14
    outsider = bearer(token_for(world.outsider))
    client = Client()
    for url in urls:
        for method in ("get", "post", "patch"):
            response = getattr(client, method)(url, {}, content_type="application/json", **outsider)
            assert response.status_code in (404, 405), (method, url, response.status_code)
    assert Task.objects.get(pk=task.pk).status == "open"
    assert Milestone.objects.get(pk=milestone.pk).done_date is None
    selector.refresh_from_db()
    assert selector.active


def test_lists_leave_out_what_the_caller_cannot_see(world, shared_case, new_case, token_for):
    private = new_case(TLP.GREEN, title="Private")
    partner = bearer(token_for(world.partner_liaison))
    refs = [c["reference"] for c in Client().get("/api/v1/cases/", **partner).json()["results"]]
    assert refs == [shared_case.reference]
    assert private.reference not in Client().get("/api/v1/cases/?text=Private", **partner).content.decode()


def test_visible_but_not_allowed_is_403(world, shared_case, token_for):
    partner = bearer(token_for(world.partner_liaison))
    response = Client().patch(
        f"/api/v1/cases/{shared_case.uuid}/", {"title": "x"}, content_type="application/json", **partner
    )
    assert response.status_code == 403


def test_a_patch_that_changes_nothing_is_audited_as_the_read_it_is(world, shared_case, token_for):
    lead = bearer(token_for(world.liaison, scopes=["read", "write"]))
    response = Client().patch(f"/api/v1/cases/{shared_case.uuid}/", {}, content_type="application/json", **lead)
    assert response.status_code == 200 and response.json()["reference"] == shared_case.reference
    assert AuditEvent.objects.filter(
        action="case.view", actor_id=world.liaison.pk, object_id=str(shared_case.uuid)
    ).exists()


def test_errors_are_json_with_a_message_per_field(world, token_for):
    headers = bearer(token_for(world.liaison))
    response = Client().post(
        "/api/v1/cases/",
        {"title": "", "crime_type": "piracy", "tlp": "GREEN"},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 400
    assert set(response.json()) >= {"title", "crime_type"}
    response = Client().post(
        "/api/v1/cases/",
        {"title": "x", "crime_type": "grooming", "tlp": "GREEN", "countries": "XX"},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 400 and "countries" in response.json()


@pytest.mark.django_db
def test_length_limits_count_what_was_sent_not_what_is_left_after_trimming(world, token_for):
    response = Client().post(
        "/api/v1/cases/",
        {"title": "x", "crime_type": "grooming", "tlp": "GREEN", "summary": " " + "x" * 5000},
        content_type="application/json",
        **bearer(token_for(world.liaison)),
    )
    assert response.status_code == 400 and "5000" in response.json()["summary"][0]
    assert not Case.objects.filter(title="x").exists()


@pytest.mark.django_db
def test_a_nul_in_a_filter_is_a_400_and_still_audited(world, token_for):
    # PostgreSQL's jsonb refuses NUL; the audit write of the search must not turn into a 500.
    response = Client().get(
        "/api/v1/cases/", {"crime_type": "\x00grooming", "text": "a"}, **bearer(token_for(world.liaison))
    )
    assert response.status_code == 400 and "crime_type" in response.json()
    event = AuditEvent.objects.filter(action="case.search", actor_id=world.liaison.pk).latest("id")
    assert event.details["filters"]["crime_type"] == "\ufffdgrooming"


# --- a partner system does what a liaison officer does --------------------------------------------------


def test_partner_system_end_to_end(world, token_for, make_member):
    from accounts.services import service_account_create

    service = service_account_create(organisation=world.lead, name="Case system", by=world.lead_admin)
    from partners.models import Membership

    Membership.objects.filter(user=service).update(role="liaison")
    from accounts.tokens import api_token_create

    _token, secret = api_token_create(
        by=world.lead_admin,
        membership=Membership.objects.get(user=service),
        name="case system",
        scopes=["read", "write", "deconfliction"],
        days=30,
    )
    api = Client()
    h = bearer(secret)
    case = api.post(
        "/api/v1/cases/",
        {"title": "Operation API", "crime_type": "sextortion", "tlp": "AMBER", "countries": "NLD PH"},
        content_type="application/json",
        **h,
    ).json()
    assert case["reference"].startswith("NL-") and case["countries"] == "NL PH"
    uuid = case["uuid"]
    share = api.post(
        f"/api/v1/cases/{uuid}/shares/",
        {"organisation": str(world.partner.uuid), "level": "contribute", "reason": "joint"},
        content_type="application/json",
        **h,
    )
    assert share.status_code == 201 and share.json()["status"] == "active"
    assert api.post(f"/api/v1/cases/{uuid}/milestones/apply-standard/", **h).status_code == 201
    task = api.post(
        f"/api/v1/cases/{uuid}/tasks/",
        {"title": "Interview", "assigned_organisation": str(world.partner.uuid)},
        content_type="application/json",
        **h,
    )
    assert task.status_code == 201
    note = api.post(f"/api/v1/cases/{uuid}/notes/", {"body": "Call at 10:00"}, content_type="application/json", **h)
    assert note.status_code == 201
    batch = api.post(
        f"/api/v1/cases/{uuid}/selectors/batch/",
        {
            "reason": "seized phone",
            "items": [
                {"kind": "phone", "value": "+31 6 12345678"},
                {"kind": "email", "value": "not-an-email"},
                {"kind": "phone", "value": "0612345678"},
            ],
        },
        content_type="application/json",
        **h,
    ).json()
    assert [r["status"] for r in batch] == ["registered", "invalid", "already_registered"]
    timeline = api.get(f"/api/v1/cases/{uuid}/notes/", **h).json()["results"]
    assert any(e["body"] == "Call at 10:00" for e in timeline)
    assert (
        api.patch(f"/api/v1/cases/{uuid}/", {"status": "active"}, content_type="application/json", **h).json()["status"]
        == "active"
    )


def test_batch_endpoint_refuses_more_than_10000(world, new_case, token_for):
    case = new_case(TLP.GREEN)
    items = [{"kind": "ip", "value": "192.0.2.1"}] * 10_001
    response = Client().post(
        f"/api/v1/cases/{case.uuid}/selectors/batch/",
        {"reason": "x", "items": items},
        content_type="application/json",
        **bearer(token_for(world.liaison)),
    )
    assert response.status_code == 400


def test_hits_through_the_api_are_blind(world, new_case, token_for):
    case = new_case(TLP.GREEN, title="Operation Blind")
    selector_register(access=access_for(world.liaison, case), kind="email", value="Blind.Lead@Example.org", reason="x")
    other = new_case(TLP.GREEN, by=world.partner_liaison, title="partner case")
    registered = selector_register(
        access=access_for(world.partner_liaison, other), kind="email", value="blind.lead@example.org", reason="x"
    )
    hit = registered.hits[0]
    theirs = (case.reference, "Operation Blind", "Blind.Lead@Example.org", str(case.uuid))
    h = bearer(token_for(world.partner_liaison))
    listing = Client().get("/api/v1/hits/", **h)
    body = listing.content.decode()
    assert str(hit.uuid) in body and not any(secret in body for secret in theirs)
    assert listing.json()["results"][0]["other_organisation"]["desk_phone"] == world.lead.desk_phone
    detail = Client().get(f"/api/v1/hits/{hit.uuid}/", **h)
    body = detail.content.decode()
    assert detail.status_code == 200 and not any(secret in body for secret in theirs)
    # Our side of it: the selector, its value as we typed it, and our case, to link the hit up.
    assert detail.json()["own_selectors"] == [
        {
            "uuid": str(registered.selector.uuid),
            "kind": "email",
            "value": "blind.lead@example.org",
            "case": str(other.uuid),
        }
    ]
    assert detail.json()["own_cases"] == [{"uuid": str(other.uuid), "reference": other.reference}]
    assert parse_datetime(detail.json()["other_first_registered"]) == case.selectors.get().registered_at
    ack = Client().post(f"/api/v1/hits/{hit.uuid}/acknowledge/", {"note": "seen"}, content_type="application/json", **h)
    assert ack.status_code == 200 and ack.json()["acknowledged_by_us"] is True
    assert ack.json()["own_cases"] == detail.json()["own_cases"]
    assert not any(secret in ack.content.decode() for secret in theirs)


def test_case_list_query_count_is_bounded(world, new_case, token_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    headers = bearer(token_for(world.liaison))
    Client().get("/api/v1/cases/", **headers)  # the token's first use records last_used_at
    counts = []
    for extra in (3, 15):
        for i in range(extra):
            new_case(TLP.GREEN, title=f"c{extra}-{i}")
        with CaptureQueriesContext(connection) as ctx:
            response = Client().get("/api/v1/cases/?page_size=100", **headers)
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] <= 25


def test_docs_are_self_hosted_without_inline_scripts(member):
    client = login_verified(Client(), member)
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "cdn" not in html.lower()
    policy = page["Content-Security-Policy"]
    script_src = next(p for p in policy.split(";") if p.strip().startswith("script-src"))
    assert "unsafe-inline" not in script_src
    for src in [part.split('"')[0] for part in html.split('src="')[1:]]:
        assert src.startswith("/") and not src.startswith("//"), src
    assert client.get("/api/v1/schema/").status_code == 200


def test_handover_and_inbox_through_the_api(world, shared_case, token_for):
    lead, partner = bearer(token_for(world.liaison)), bearer(token_for(world.partner_liaison))
    api = Client()
    offer = api.post(
        f"/api/v1/cases/{shared_case.uuid}/handover/",
        {"to_organisation": str(world.partner.uuid), "reason": "suspect moved"},
        content_type="application/json",
        **lead,
    )
    assert offer.status_code == 201
    # The receiving system finds the offer on the case itself, not through the proposer.
    pending = api.get(f"/api/v1/cases/{shared_case.uuid}/", **partner).json()["pending_handover"]
    assert pending["from_organisation"] == str(world.lead.uuid)
    assert pending["to_organisation"] == str(world.partner.uuid) and pending["reason"] == "suspect moved"
    decided = api.post(f"/api/v1/cases/{shared_case.uuid}/handover/{pending['uuid']}/accept/", **partner)
    assert decided.status_code == 200 and decided.json()["status"] == "accepted"
    assert api.get(f"/api/v1/cases/{shared_case.uuid}/", **partner).json()["pending_handover"] is None
    shared_case.refresh_from_db()
    assert shared_case.lead_organisation == world.partner
    task_create(
        access=access_for(world.partner_liaison, shared_case),
        title="From the new lead",
        assigned_organisation=world.lead,
    )
    inbox = api.get("/api/v1/tasks/", **lead).json()["results"]
    assert [t["title"] for t in inbox] == ["From the new lead"] and inbox[0]["case_reference"] == shared_case.reference


def test_approvals_through_the_api(world, shared_case, token_for):
    from cases.constants import LegalBasis
    from cases.services import case_share

    share = case_share(
        access=access_for(world.liaison, shared_case),
        organisation=world.foreign,
        level="view",
        reason="x",
        legal_basis=LegalBasis.MLA,
    )
    colleague = bearer(token_for(world.colleague))
    pending = Client().get("/api/v1/approvals/", **colleague).json()["results"]
    assert [p["uuid"] for p in pending] == [str(share.uuid)]
    approved = Client().post(
        f"/api/v1/cases/{shared_case.uuid}/shares/{share.uuid}/approve/",
        {},
        content_type="application/json",
        **colleague,
    )
    assert approved.status_code == 200 and approved.json()["status"] == "active"
    assert Client().get("/api/v1/approvals/", **colleague).json()["results"] == []
