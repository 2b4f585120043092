"""Regression tests for the findings of the access-control review (each names the rule)."""

import time
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from accounts.services import second_factor_reset
from audit.models import AuditEvent
from cases.constants import TLP, AccessLevel
from cases.models import CaseShare, LeadHandover
from cases.services import case_change_tlp, case_handover_propose, case_red_name_colleague, case_share, task_create
from partners.models import Membership
from partners.roles import Role
from partners.services import membership_create
from tests.cases.conftest import access_for, client_for
from tests.conftest import login_verified, totp_for
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_roles_narrow_what_a_grant_allows(world, shared_case):
    admin = access_for(world.lead_admin, shared_case)
    assert admin.permissions == {"view_case"}  # the lead's group holds full access; the admin role does not
    assert client_for(world.lead_admin).post(f"/cases/{shared_case.uuid}/tlp/", {"tlp": "RED"}).status_code == 403
    analyst = access_for(world.dual, shared_case, world.lead)
    assert not analyst.can("share_case") and not analyst.can("change_case")
    share = CaseShare.objects.get(case=shared_case, organisation=world.partner)
    response = client_for(world.dual, world.lead).post(f"/cases/{shared_case.uuid}/shares/{share.uuid}/revoke/")
    assert response.status_code == 403
    share.refresh_from_db()
    assert share.status == "active"


def test_org_admin_cannot_name_themselves_on_red(world, new_case):
    red = new_case(TLP.RED)
    with pytest.raises(PermissionDenied):
        case_red_name_colleague(
            admin=world.lead_admin.memberships.get(),
            case=red,
            membership=world.lead_admin.memberships.get(),
            level="view",
            reason="x",
        )
    assert client_for(world.lead_admin).get(f"/cases/{red.uuid}/").status_code == 404


def test_after_a_second_factor_reset_the_password_alone_enrols_nothing(org_admin, member, organisation):
    second_factor_reset(user=member, organisation=organisation, by=org_admin)
    client = Client()
    response = client.post("/accounts/login/", {"username": member.email, "password": PASSWORD})
    assert "Sign-in failed" in response.content.decode()  # the password was made unusable too
    member.set_password(PASSWORD)
    member.save()
    response = client.post("/accounts/login/", {"username": member.email, "password": PASSWORD}, follow=True)
    assert "no second factor" in response.content.decode()
    assert client.get("/accounts/enrol/").status_code == 302
    assert not member.totpdevice_set.exists()


def test_red_task_notices_reach_only_named_people(world, new_case, django_capture_on_commit_callbacks):
    from cases.services import task_set_status

    red = new_case(TLP.RED)
    case_share(
        access=access_for(world.liaison, red),
        membership=world.colleague.memberships.get(),
        level=AccessLevel.CONTRIBUTE,
        reason="named",
    )
    task = task_create(
        access=access_for(world.liaison, red), title="x", assigned_organisation=world.lead, assignee=world.colleague
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        task_set_status(access=access_for(world.colleague, red), task=task, status="accepted")
    told = {m.to[0] for m in mail.outbox}
    assert told == {world.liaison.email, world.colleague.email}  # not the unnamed colleagues of the lead
    assert world.lead_admin.email not in told and world.dual.email not in told


def test_hit_page_hides_raw_values_of_cases_the_viewer_cannot_see(world, new_case, make_member):
    from deconfliction.services import selector_register

    red = new_case(TLP.RED)
    selector_register(access=access_for(world.liaison, red), kind="email", value="Secret@Example.org", reason="x")
    partner_case = new_case(TLP.GREEN, by=world.colleague, title="other team")
    hit = selector_register(
        access=access_for(world.colleague, partner_case), kind="email", value="secret@example.org", reason="x"
    ).hits[0]
    page = client_for(world.colleague).get(f"/deconfliction/hits/{hit.uuid}/").content.decode()
    assert "Secret@Example.org" not in page and red.reference not in page
    assert "secret@example.org" in page  # its own value, on a case it sees


def test_ngo_lead_cannot_make_its_case_strict(world, make_member):
    from cases.services import case_create

    ngo_lead = make_member(world.ngo, role=Role.LIAISON)
    membership = Membership.objects.select_related("organisation").get(user=ngo_lead)
    case = case_create(membership=membership, title="NGO case", crime_type="grooming", tlp=TLP.AMBER)
    with pytest.raises(ValidationError):
        case_change_tlp(access=access_for(ngo_lead, case), tlp=TLP.RED)
    case.refresh_from_db()
    assert case.tlp == TLP.AMBER


def test_reauthentication_expires_after_five_minutes(member):
    client = login_verified(Client(), member)
    client.post(
        "/accounts/security/", {"action": "replace_authenticator", "password": PASSWORD, "code": totp_for(member)}
    )
    assert client.get("/accounts/enrol/").status_code == 200
    session = client.session
    session["reauth_at"] = time.time() - 301
    session.save()
    assert client.get("/accounts/enrol/").status_code == 302


def test_pending_handover_is_withdrawn_when_the_receiver_loses_the_case(world, shared_case):
    from cases.services import case_share_revoke

    case_handover_propose(access=access_for(world.liaison, shared_case), organisation=world.partner, reason="x")
    share = CaseShare.objects.get(case=shared_case, organisation=world.partner)
    case_share_revoke(access=access_for(world.liaison, shared_case), share=share, reason="x")
    assert LeadHandover.objects.get().status == LeadHandover.Status.WITHDRAWN
    case_share(access=access_for(world.liaison, shared_case), organisation=world.partner, level="view", reason="y")
    assert (
        case_handover_propose(
            access=access_for(world.liaison, shared_case), organisation=world.partner, reason="again"
        ).status
        == "pending"
    )


def test_malformed_uuids_are_404_not_500(world):
    client = client_for(world.lead_admin)
    assert client.post("/cases/red/", {"case": "not-a-uuid", "membership": "x", "reason": "r"}).status_code == 404
    switch = client_for(world.liaison).post("/organisation/switch/", {"membership": "nonsense"})
    assert switch.status_code == 302


def test_platform_operator_never_becomes_a_member(org_admin, organisation):
    from accounts.services import invitation_create

    operator = UserFactory(is_platform_operator=True)
    with pytest.raises(ValidationError):
        membership_create(user=operator, organisation=organisation, role=Role.ORG_ADMIN)
    with pytest.raises(ValidationError):
        invitation_create(
            email=operator.email, full_name="x", organisation=organisation, role=Role.LIAISON, by=org_admin
        )
    assert not operator.memberships.exists()


def test_conflict_resolution_is_once_and_for_hit_handlers(world, make_member):
    from deconfliction.services import conflict_resolve, operation_plan

    now = timezone.now()
    for user in (world.liaison, world.partner_liaison):
        operation_plan(
            membership=Membership.objects.select_related("organisation").get(user=user),
            kind="search",
            title="op",
            country="NL",
            starts_at=now + timedelta(hours=1),
            ends_at=now + timedelta(hours=2),
        )
    from deconfliction.models import OperationConflict

    conflict = OperationConflict.objects.get()
    with pytest.raises(PermissionDenied):
        conflict_resolve(membership=world.lead_admin.memberships.get(), conflict=conflict, note="x")
    conflict_resolve(membership=world.liaison.memberships.get(), conflict=conflict, note="agreed")
    with pytest.raises(ValidationError):
        conflict_resolve(membership=world.partner_liaison.memberships.get(), conflict=conflict, note="overwrite")


def test_service_refusals_are_audited(world, shared_case):
    response = client_for(world.liaison).post(
        f"/cases/{shared_case.uuid}/share/", {"organisation": str(world.foreign.uuid), "level": "view", "reason": "x"}
    )  # no legal basis
    assert response.status_code == 400
    event = AuditEvent.objects.filter(action="cases:share", result="failure").get()
    assert event.object_id == str(shared_case.uuid) and "legal basis" in event.details["reasons"][0]


def test_admin_changes_are_audited(organisation):
    staff = UserFactory(is_staff=True, is_superuser=True, is_platform_operator=True)
    client = login_verified(Client(), staff)
    target = UserFactory()
    response = client.post(
        f"/admin/accounts/user/{target.pk}/change/", {"email": target.email, "full_name": "Renamed", "is_active": "on"}
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="admin.change", object_id=str(target.uuid)).exists()


def test_handover_whose_receiver_lost_the_case_is_a_clear_error_not_a_500(world, shared_case):
    handover = case_handover_propose(
        access=access_for(world.liaison, shared_case), organisation=world.partner, reason="x"
    )
    from cases.services import case_share as share_again

    CaseShare.objects.filter(case=shared_case, organisation=world.partner).update(status="revoked")
    share_again(
        access=access_for(world.liaison, shared_case),
        membership=world.partner_liaison.memberships.get(),
        level="share",
        reason="named only",
    )
    response = client_for(world.partner_liaison).post(f"/cases/{shared_case.uuid}/handover/{handover.uuid}/accept/")
    assert response.status_code == 302
    shared_case.refresh_from_db()
    assert shared_case.lead_organisation == world.lead
