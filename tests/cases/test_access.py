"""Three personas for every case view: lead, partner it shared with, outsider (404)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from cases.constants import TLP, AccessLevel
from cases.models import CaseGroupObjectPermission, CaseShare
from cases.services import case_share, case_share_revoke, case_shares_expire_due
from partners.services import membership_end
from tests.cases.conftest import access_for, client_for

pytestmark = pytest.mark.django_db

READ_ROUTES = ["/cases/{uuid}/"]
CHANGE_ROUTES = [
    ("get", "/cases/{uuid}/edit/", "change_case"),
    ("post", "/cases/{uuid}/edit/", "change_case"),
    ("post", "/cases/{uuid}/tlp/", "change_case"),
    ("get", "/cases/{uuid}/share/", "share_case"),
    ("post", "/cases/{uuid}/share/", "share_case"),
    ("post", "/cases/{uuid}/notes/", "contribute_case"),
    ("post", "/cases/{uuid}/milestones/apply/", "contribute_case"),
    ("post", "/cases/{uuid}/milestones/", "contribute_case"),
    ("post", "/cases/{uuid}/tasks/", "contribute_case"),
]


def test_lead_partner_and_outsider_on_the_detail_page(world, shared_case):
    url = f"/cases/{shared_case.uuid}/"
    assert client_for(world.liaison).get(url).status_code == 200
    partner_page = client_for(world.partner_liaison).get(url)
    assert partner_page.status_code == 200 and shared_case.reference in partner_page.content.decode()
    outsider = client_for(world.outsider).get(url)
    assert outsider.status_code == 404
    assert shared_case.reference not in outsider.content.decode()
    assert AuditEvent.objects.filter(action="case.view", result="success", object_id=str(shared_case.uuid)).count() == 2
    denied = AuditEvent.objects.get(action="case.view", result="denied")
    assert denied.actor_id == world.outsider.pk and denied.object_id == str(shared_case.uuid)


def test_outsider_gets_404_on_every_case_route(world, shared_case):
    client = client_for(world.outsider)
    for method, path, _perm in CHANGE_ROUTES:
        response = getattr(client, method)(path.format(uuid=shared_case.uuid))
        assert response.status_code == 404, (method, path)
    share = CaseShare.objects.filter(case=shared_case).first()
    for decision in ("approve", "reject", "revoke"):
        assert client.post(f"/cases/{shared_case.uuid}/shares/{share.uuid}/{decision}/").status_code == 404
    assert client.post(f"/cases/{shared_case.uuid}/handover/").status_code == 404


def test_unknown_case_is_the_same_404(world):
    response = client_for(world.outsider).get("/cases/00000000-0000-4000-8000-000000000000/")
    assert response.status_code == 404


def test_partner_with_view_access_gets_403_on_change_routes(world, shared_case):
    client = client_for(world.partner_liaison)
    for method, path, perm in CHANGE_ROUTES:
        response = getattr(client, method)(path.format(uuid=shared_case.uuid))
        assert response.status_code == 403, (method, path)
        assert AuditEvent.objects.filter(action=f"case.{perm}", result="denied").exists()
    assert AuditEvent.objects.filter(result="denied", actor_id=world.partner_liaison.pk).count() == len(CHANGE_ROUTES)


def test_lead_may_use_the_change_routes(world, shared_case):
    client = client_for(world.liaison)
    assert client.get(f"/cases/{shared_case.uuid}/edit/").status_code == 200
    assert client.get(f"/cases/{shared_case.uuid}/share/").status_code == 200
    response = client.post(f"/cases/{shared_case.uuid}/notes/", {"body": "Europol informed by phone."})
    assert response.status_code == 302
    assert shared_case.timeline.filter(kind="note", body="Europol informed by phone.").exists()


def test_list_and_counts_leave_invisible_cases_out(world, shared_case, new_case):
    private = new_case(TLP.GREEN, title="Operation Private")
    partner_html = client_for(world.partner_liaison).get("/cases/").content.decode()
    assert shared_case.reference in partner_html and private.reference not in partner_html
    assert "1 case" in partner_html
    outsider_html = client_for(world.outsider).get("/cases/").content.decode()
    assert "0 cases" in outsider_html and shared_case.reference not in outsider_html
    lead_html = client_for(world.liaison).get("/cases/?text=private").content.decode()
    assert private.reference in lead_html and shared_case.reference not in lead_html
    assert AuditEvent.objects.filter(action="case.search", actor_id=world.liaison.pk).exists()
    assert AuditEvent.objects.filter(action="case.list", actor_id=world.outsider.pk).exists()


def test_revocation_takes_effect_on_the_next_request(world, shared_case):
    client = client_for(world.partner_liaison)
    url = f"/cases/{shared_case.uuid}/"
    assert client.get(url).status_code == 200
    share = CaseShare.objects.get(case=shared_case, organisation=world.partner)
    case_share_revoke(access=access_for(world.liaison, shared_case), share=share, reason="ended")
    assert client.get(url).status_code == 404
    assert shared_case.reference not in client.get("/cases/").content.decode()


def test_expired_share_gives_no_access(world, new_case):
    case = new_case(TLP.GREEN)
    share = case_share(
        access=access_for(world.liaison, case),
        organisation=world.partner,
        level=AccessLevel.VIEW,
        reason="short look",
        expires_at=timezone.now() + timedelta(hours=1),
    )
    client = client_for(world.partner_liaison)
    assert client.get(f"/cases/{case.uuid}/").status_code == 200
    # An hour later (moved back in time instead of waiting):
    past = timezone.now() - timedelta(seconds=1)
    CaseGroupObjectPermission.objects.filter(content_object=case, group=world.partner.group).update(expires_at=past)
    CaseShare.objects.filter(pk=share.pk).update(expires_at=past)
    assert client.get(f"/cases/{case.uuid}/").status_code == 404
    assert case_shares_expire_due() == 1
    share.refresh_from_db()
    assert share.status == CaseShare.Status.EXPIRED


def test_member_of_police_and_ngo_acting_for_ngo_sees_no_police_case(world, new_case):
    green = new_case(TLP.GREEN, title="Operation Green")
    as_police = client_for(world.dual, world.lead)
    assert as_police.get(f"/cases/{green.uuid}/").status_code == 200
    as_ngo = client_for(world.dual, world.ngo)
    assert as_ngo.get(f"/cases/{green.uuid}/").status_code == 404
    assert green.reference not in as_ngo.get("/cases/").content.decode()


def test_named_grant_lapses_when_its_membership_ends(world, shared_case):
    partner_membership = world.partner_analyst.memberships.get()
    case_share(
        access=access_for(world.liaison, shared_case),
        membership=world.colleague.memberships.get(),
        level=AccessLevel.CONTRIBUTE,
        reason="named colleague",
    )
    share = case_share(
        access=access_for(world.liaison, shared_case),
        membership=partner_membership,
        level=AccessLevel.CONTRIBUTE,
        reason="named partner analyst",
    )
    assert access_for(world.partner_analyst, shared_case).can("contribute_case")
    membership_end(membership=partner_membership, by=None)
    share.refresh_from_db()
    assert share.status == CaseShare.Status.EXPIRED
    assert not world.partner_analyst.caseuserobjectpermission_set.exists()


def test_outsider_gets_404_on_milestone_and_task_object_routes(world, shared_case):
    from cases.services import milestone_set_apply, task_create

    milestone = milestone_set_apply(access=access_for(world.liaison, shared_case))[0]
    task = task_create(access=access_for(world.liaison, shared_case), title="t", assigned_organisation=world.partner)
    client = client_for(world.outsider)
    assert client.post(f"/cases/{shared_case.uuid}/milestones/{milestone.uuid}/").status_code == 404
    assert client.post(f"/cases/{shared_case.uuid}/tasks/{task.uuid}/status/", {"status": "done"}).status_code == 404
    task.refresh_from_db()
    assert task.status == "open"


def test_overview_pages_show_outsiders_nothing(world, shared_case):
    from cases.services import milestone_set_apply, task_create

    milestone_set_apply(access=access_for(world.liaison, shared_case))
    task_create(
        access=access_for(world.liaison, shared_case), title="Visible task", assigned_organisation=world.partner
    )
    client = client_for(world.outsider)
    for path in (
        "/cases/",
        "/cases/milestones/",
        "/cases/tasks/",
        "/cases/tasks/?direction=outgoing",
        "/cases/approvals/",
        "/cases/export.csv",
    ):
        body = client.get(path).content.decode()
        assert shared_case.reference not in body and "Visible task" not in body, path
