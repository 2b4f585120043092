"""Every TLP rule, four-eyes approval and the lead handover."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEvent
from cases.constants import TLP, AccessLevel, LegalBasis
from cases.models import CaseGroupObjectPermission, CaseShare, LeadHandover
from cases.services import (
    case_change_tlp,
    case_handover_decide,
    case_handover_propose,
    case_share,
    case_share_decide,
    case_share_revoke,
)
from notifications.models import Notification
from tests.cases.conftest import access_for, client_for

pytestmark = pytest.mark.django_db


def _sees(user, case, organisation=None) -> bool:
    return client_for(user, organisation).get(f"/cases/{case.uuid}/").status_code == 200


# --- RED ----------------------------------------------------------------------------------


def test_red_case_is_visible_only_to_named_people(world, new_case):
    red = new_case(TLP.RED)
    assert not CaseGroupObjectPermission.objects.filter(content_object=red).exists()
    assert _sees(world.liaison, red)
    assert not _sees(world.colleague, red)  # same organisation, not named
    assert not _sees(world.lead_admin, red)


def test_red_case_refuses_a_group_share_even_to_a_partner(world, new_case):
    red = new_case(TLP.RED)
    with pytest.raises(ValidationError, match="only with named people"):
        case_share(
            access=access_for(world.liaison, red), organisation=world.partner, level=AccessLevel.VIEW, reason="x"
        )
    assert not CaseShare.objects.filter(case=red, organisation=world.partner).exists()


def test_red_case_can_name_a_colleague_who_then_sees_it(world, new_case, django_capture_on_commit_callbacks):
    red = new_case(TLP.RED)
    with django_capture_on_commit_callbacks(execute=True):
        case_share(
            access=access_for(world.liaison, red),
            membership=world.colleague.memberships.get(),
            level=AccessLevel.CONTRIBUTE,
            reason="second investigator",
        )
    assert _sees(world.colleague, red)
    assert not _sees(world.lead_admin, red)
    assert [m.to for m in mail.outbox] == [[world.colleague.email]]
    assert red.title not in mail.outbox[0].body  # the reference only, never case content


# --- AMBER+STRICT --------------------------------------------------------------------------


def test_amber_strict_never_leaves_the_lead_organisation(world, new_case):
    strict = new_case(TLP.AMBER_STRICT)
    assert _sees(world.colleague, strict)  # the lead organisation's group has it
    with pytest.raises(ValidationError, match="stays inside the lead organisation"):
        case_share(
            access=access_for(world.liaison, strict), organisation=world.partner, level=AccessLevel.VIEW, reason="x"
        )
    with pytest.raises(ValidationError, match="stays inside the lead organisation"):
        case_share(
            access=access_for(world.liaison, strict),
            membership=world.partner_liaison.memberships.get(),
            level=AccessLevel.VIEW,
            reason="x",
        )
    assert not _sees(world.partner_liaison, strict)


# --- NGO and industry ----------------------------------------------------------------------


@pytest.mark.parametrize("restricted", ["ngo", "industry"])
@pytest.mark.parametrize("tlp", [TLP.AMBER_STRICT, TLP.RED])
def test_ngo_and_industry_never_receive_amber_strict_or_red(world, new_case, tlp, restricted):
    organisation = getattr(world, restricted)
    worker = world.ngo_worker if restricted == "ngo" else world.industry_worker
    case = new_case(tlp)
    with pytest.raises(ValidationError, match="NGO and industry"):
        case_share(
            access=access_for(world.liaison, case),
            membership=worker.memberships.get(),
            level=AccessLevel.VIEW,
            reason="x",
            legal_basis=LegalBasis.MLA,
        )
    with pytest.raises(ValidationError, match="NGO and industry"):
        case_share(
            access=access_for(world.liaison, case),
            organisation=organisation,
            level=AccessLevel.VIEW,
            reason="x",
            legal_basis=LegalBasis.MLA,
        )
    assert not CaseShare.objects.filter(case=case, organisation=organisation).exists()
    assert not _sees(worker, case)


def test_ngo_may_receive_amber_and_loses_it_when_tightened(world, new_case):
    case = new_case(TLP.AMBER)
    case_share(
        access=access_for(world.liaison, case),
        organisation=world.ngo,
        level=AccessLevel.CONTRIBUTE,
        reason="victim support coordination",
    )
    assert _sees(world.ngo_worker, case)
    revoked = case_change_tlp(access=access_for(world.liaison, case), tlp=TLP.AMBER_STRICT)
    assert [s.organisation for s in revoked] == [world.ngo]
    assert not _sees(world.ngo_worker, case)


def test_dual_member_acting_for_ngo_sees_no_amber_strict_even_with_a_named_grant(world, new_case):
    strict = new_case(TLP.AMBER_STRICT)
    named = case_share(
        access=access_for(world.liaison, strict),
        membership=world.dual.memberships.get(organisation=world.lead),
        level=AccessLevel.CONTRIBUTE,
        reason="analyst on the case",
    )
    assert named.status == CaseShare.Status.ACTIVE and named.membership.organisation == world.lead
    assert _sees(world.dual, strict, world.lead)
    # The grant was given to the police membership: acting for the NGO, the same person sees nothing.
    assert not _sees(world.dual, strict, world.ngo)


# --- AMBER re-sharing ------------------------------------------------------------------------


def test_amber_recipient_may_reshare_only_inside_its_organisation(world, new_case):
    case = new_case(TLP.AMBER)
    case_share(
        access=access_for(world.liaison, case),
        organisation=world.partner,
        level=AccessLevel.SHARE,
        reason="partner co-leads",
    )
    partner = access_for(world.partner_liaison, case)
    with pytest.raises(ValidationError, match="only inside your own organisation"):
        case_share(access=partner, organisation=world.outsider_org, level=AccessLevel.VIEW, reason="x")
    named = case_share(
        access=partner,
        membership=world.partner_analyst.memberships.get(),
        level=AccessLevel.CONTRIBUTE,
        reason="analyst of ours",
    )
    assert named.status == CaseShare.Status.ACTIVE


def test_green_recipient_may_reshare_to_any_organisation(world, new_case):
    case = new_case(TLP.GREEN)
    case_share(
        access=access_for(world.liaison, case), organisation=world.partner, level=AccessLevel.SHARE, reason="co-lead"
    )
    case_share(
        access=access_for(world.partner_liaison, case),
        organisation=world.outsider_org,
        level=AccessLevel.VIEW,
        reason="neighbouring force",
    )
    assert _sees(world.outsider, case)


def test_clear_case_goes_to_any_organisation(world, new_case):
    case = new_case(TLP.CLEAR)
    case_share(access=access_for(world.liaison, case), organisation=world.ngo, level=AccessLevel.VIEW, reason="x")
    assert _sees(world.ngo_worker, case)


def test_tightening_to_amber_revokes_what_a_partner_passed_on(world, new_case, django_capture_on_commit_callbacks):
    """GREEN lets a partner pass the case to anyone; AMBER does not, so those re-shares go,
    while the lead's own shares and the partner's shares inside itself stay."""
    case = new_case(TLP.GREEN)
    case_share(
        access=access_for(world.liaison, case), organisation=world.partner, level=AccessLevel.SHARE, reason="co-lead"
    )
    partner = access_for(world.partner_liaison, case)
    passed_on = case_share(access=partner, organisation=world.outsider_org, level=AccessLevel.VIEW, reason="x")
    inside = case_share(
        access=partner, membership=world.partner_analyst.memberships.get(), level=AccessLevel.VIEW, reason="ours"
    )
    assert _sees(world.outsider, case)
    with django_capture_on_commit_callbacks(execute=True):
        revoked = case_change_tlp(access=access_for(world.liaison, case), tlp=TLP.AMBER)
    assert [s.pk for s in revoked] == [passed_on.pk]
    assert "only inside your own organisation" in CaseShare.objects.get(pk=passed_on.pk).end_reason
    assert CaseShare.objects.get(pk=inside.pk).status == CaseShare.Status.ACTIVE
    assert not _sees(world.outsider, case)
    assert _sees(world.partner_liaison, case)
    # The recipient is told that its access ended, by reference only.
    told = Notification.objects.filter(kind="share_revoked")
    assert set(told.values_list("user_id", flat=True)) == {world.outsider.pk}
    assert case.title not in told.get().body and case.reference in told.get().subject
    assert [m.to for m in mail.outbox if case.reference in m.subject and "ended" in m.subject] == [
        [world.outsider.email]
    ]


def test_tightening_to_amber_keeps_shares_a_former_lead_made(world, new_case):
    case = new_case(TLP.GREEN)
    lead = access_for(world.liaison, case)
    case_share(access=lead, organisation=world.partner, level=AccessLevel.SHARE, reason="co-lead")
    case_share(access=lead, organisation=world.outsider_org, level=AccessLevel.VIEW, reason="neighbour")
    handover = case_handover_propose(access=lead, organisation=world.partner, reason="suspect moved")
    case_handover_decide(access=access_for(world.partner_liaison, case), handover=handover, accept=True)
    case.refresh_from_db()
    # After the handover the former lead is a recipient: given the right to share again, what it
    # passes on now is a re-share.
    new_lead = access_for(world.partner_liaison, case)
    former = CaseShare.objects.get(case=case, organisation=world.lead, membership=None, status="active")
    case_share_revoke(access=new_lead, share=former, reason="to widen it")
    case_share(access=new_lead, organisation=world.lead, level="share", reason="co-lead")
    passed_on = case_share(
        access=access_for(world.liaison, case), organisation=world.ngo, level=AccessLevel.VIEW, reason="support"
    )
    revoked = case_change_tlp(access=access_for(world.partner_liaison, case), tlp=TLP.AMBER)
    assert [s.pk for s in revoked] == [passed_on.pk]
    assert _sees(world.outsider, case)  # shared while it led: stays
    assert not _sees(world.ngo_worker, case)


def test_only_the_lead_gives_full_access(world, shared_case):
    case_share(
        access=access_for(world.liaison, shared_case),
        membership=world.partner_analyst.memberships.get(),
        level=AccessLevel.CHANGE,
        reason="x",
    )
    with pytest.raises(PermissionDenied):
        case_share(
            access=access_for(world.partner_liaison, shared_case),
            organisation=world.outsider_org,
            level=AccessLevel.VIEW,
            reason="x",
        )


def test_analyst_role_may_not_share_even_with_the_permission(world, new_case):
    case = new_case(TLP.GREEN)
    with pytest.raises(PermissionDenied):
        case_share(
            access=access_for(world.dual, case, world.lead),
            organisation=world.partner,
            level=AccessLevel.VIEW,
            reason="x",
        )


# --- tightening ---------------------------------------------------------------------------------


def test_making_a_case_red_revokes_group_shares_and_names_the_changer(world, new_case):
    case = new_case(TLP.GREEN)
    case_share(access=access_for(world.liaison, case), organisation=world.partner, level=AccessLevel.VIEW, reason="x")
    case_share(
        access=access_for(world.liaison, case),
        membership=world.partner_analyst.memberships.get(),
        level=AccessLevel.VIEW,
        reason="named analyst",
    )
    revoked = case_change_tlp(access=access_for(world.colleague, case), tlp=TLP.RED)
    assert {s.organisation.short_code for s in revoked} == {"lead", "partner"}
    assert _sees(world.colleague, case)
    assert _sees(world.partner_analyst, case)  # named people keep RED access
    assert not _sees(world.liaison, case)  # the creator was only in through the group
    assert not _sees(world.partner_liaison, case)
    event = AuditEvent.objects.get(action="case.tlp_change")
    assert event.details["from"] == "GREEN" and len(event.details["revoked"]) == 2


def test_loosening_keeps_shares(world, shared_case):
    assert case_change_tlp(access=access_for(world.liaison, shared_case), tlp=TLP.GREEN) == []
    assert _sees(world.partner_liaison, shared_case)


def test_only_lead_changes_tlp(world, new_case):
    case = new_case(TLP.GREEN)
    case_share(access=access_for(world.liaison, case), organisation=world.partner, level=AccessLevel.CHANGE, reason="x")
    with pytest.raises(PermissionDenied):
        case_change_tlp(access=access_for(world.partner_liaison, case), tlp=TLP.RED)


# --- four eyes ------------------------------------------------------------------------------------


def test_foreign_share_needs_legal_basis(world, shared_case):
    with pytest.raises(ValidationError, match="legal basis"):
        case_share(
            access=access_for(world.liaison, shared_case),
            organisation=world.foreign,
            level=AccessLevel.VIEW,
            reason="x",
        )
    assert not CaseShare.objects.filter(case=shared_case, organisation=world.foreign).exists()


def test_foreign_share_takes_effect_after_a_second_approver(world, shared_case):
    share = case_share(
        access=access_for(world.liaison, shared_case),
        organisation=world.foreign,
        level=AccessLevel.VIEW,
        reason="suspect travels to PH",
        legal_basis=LegalBasis.MLA,
    )
    assert share.status == CaseShare.Status.PENDING
    assert not _sees(world.foreign_liaison, shared_case)
    with pytest.raises(PermissionDenied, match="second person"):
        case_share_decide(access=access_for(world.liaison, shared_case), share=share, approve=True)
    with pytest.raises(PermissionDenied):
        case_share_decide(access=access_for(world.partner_liaison, shared_case), share=share, approve=True)
    assert not _sees(world.foreign_liaison, shared_case)
    approved = case_share_decide(access=access_for(world.colleague, shared_case), share=share, approve=True)
    assert approved.status == CaseShare.Status.ACTIVE and approved.approved_by == world.colleague
    assert _sees(world.foreign_liaison, shared_case)


def test_four_eyes_through_the_pages(world, shared_case):
    response = client_for(world.liaison).post(
        f"/cases/{shared_case.uuid}/share/",
        {
            "organisation": str(world.foreign.uuid),
            "level": "view",
            "reason": "joint action",
            "legal_basis": "police_treaty",
        },
    )
    assert response.status_code == 302
    share = CaseShare.objects.get(case=shared_case, organisation=world.foreign)
    approvals = client_for(world.colleague).get("/cases/approvals/").content.decode()
    assert shared_case.reference in approvals
    client_for(world.colleague).post(f"/cases/{shared_case.uuid}/shares/{share.uuid}/approve/")
    assert _sees(world.foreign_liaison, shared_case)


@pytest.mark.parametrize("kind", ["foreign", "international", "industry"])
def test_every_cross_border_share_waits_for_four_eyes(world, new_case, kind):
    case = new_case(TLP.GREEN)
    organisation = getattr(world, kind)
    recipient = {"foreign": world.foreign_liaison, "international": world.international_liaison}.get(
        kind, world.industry_worker
    )
    with pytest.raises(ValidationError, match="legal basis"):
        case_share(access=access_for(world.liaison, case), organisation=organisation, level="view", reason="x")
    share = case_share(
        access=access_for(world.liaison, case),
        organisation=organisation,
        level=AccessLevel.VIEW,
        reason="x",
        legal_basis=LegalBasis.MLA,
    )
    assert share.status == CaseShare.Status.PENDING and not _sees(recipient, case)
    case_share_decide(access=access_for(world.colleague, case), share=share, approve=True)
    assert _sees(recipient, case)


def test_withdrawing_a_share_before_approval_tells_the_recipient_nothing(
    world, shared_case, django_capture_on_commit_callbacks
):
    share = case_share(
        access=access_for(world.liaison, shared_case),
        organisation=world.foreign,
        level=AccessLevel.VIEW,
        reason="x",
        legal_basis=LegalBasis.POLICE_TREATY,
    )
    with django_capture_on_commit_callbacks(execute=True):
        case_share_revoke(access=access_for(world.liaison, shared_case), share=share, reason="sent too early")
    assert CaseShare.objects.get(pk=share.pk).status == CaseShare.Status.REVOKED
    # Four eyes never agreed: the foreign force must not learn that the case exists.
    assert not Notification.objects.filter(user=world.foreign_liaison).exists()
    assert not [m for m in mail.outbox if world.foreign_liaison.email in m.to]
    assert not _sees(world.foreign_liaison, shared_case)


def test_revoking_an_active_share_tells_the_recipient(world, shared_case, django_capture_on_commit_callbacks):
    share = CaseShare.objects.get(case=shared_case, organisation=world.partner)
    with django_capture_on_commit_callbacks(execute=True):
        case_share_revoke(access=access_for(world.liaison, shared_case), share=share, reason="done")
    told = Notification.objects.filter(kind="share_revoked")
    assert set(told.values_list("user_id", flat=True)) == {world.partner_liaison.pk, world.partner_analyst.pk}
    assert {tuple(m.to) for m in mail.outbox if "ended" in m.subject} == {
        (world.partner_liaison.email,),
        (world.partner_analyst.email,),
    }


def test_rejected_share_never_gives_access(world, shared_case):
    share = case_share(
        access=access_for(world.liaison, shared_case),
        organisation=world.foreign,
        level=AccessLevel.VIEW,
        reason="x",
        legal_basis=LegalBasis.POLICE_TREATY,
    )
    case_share_decide(access=access_for(world.colleague, shared_case), share=share, approve=False)
    assert not _sees(world.foreign_liaison, shared_case)


# --- handover -------------------------------------------------------------------------------------


def test_lead_handover_needs_consent_and_moves_the_lead(world, shared_case):
    with pytest.raises(ValidationError, match="already has the case"):
        case_handover_propose(
            access=access_for(world.liaison, shared_case), organisation=world.outsider_org, reason="x"
        )
    handover = case_handover_propose(
        access=access_for(world.liaison, shared_case),
        organisation=world.partner,
        reason="suspect lives in partner's area",
    )
    shared_case.refresh_from_db()
    assert shared_case.lead_organisation == world.lead  # nothing changes before consent
    with pytest.raises(PermissionDenied):
        case_handover_decide(access=access_for(world.colleague, shared_case), handover=handover, accept=True)
    case_handover_decide(access=access_for(world.partner_liaison, shared_case), handover=handover, accept=True)
    shared_case.refresh_from_db()
    assert shared_case.lead_organisation == world.partner
    assert access_for(world.partner_liaison, shared_case).can("share_case")
    old = access_for(world.liaison, shared_case)
    assert old.can("change_case") and not old.can("share_case")
    assert LeadHandover.objects.get().status == LeadHandover.Status.ACCEPTED


def test_declined_handover_changes_nothing(world, shared_case):
    handover = case_handover_propose(
        access=access_for(world.liaison, shared_case), organisation=world.partner, reason="x"
    )
    case_handover_decide(access=access_for(world.partner_liaison, shared_case), handover=handover, accept=False)
    shared_case.refresh_from_db()
    assert shared_case.lead_organisation == world.lead
    partner = access_for(world.partner_liaison, shared_case)
    assert partner.permissions == {"view_case"}
    assert access_for(world.liaison, shared_case).can("share_case")


# --- RED: the admin names colleagues --------------------------------------------------------------


def test_lead_admin_names_a_colleague_on_a_red_case(world, new_case, django_capture_on_commit_callbacks):
    red = new_case(TLP.RED)
    admin = client_for(world.lead_admin)
    page = admin.get("/cases/red/").content.decode()
    assert red.reference in page and red.title not in page  # the admin does not read the case
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            "/cases/red/",
            {
                "case": str(red.uuid),
                "level": "contribute",
                "reason": "backup",
                "membership": str(world.colleague.memberships.get().uuid),
            },
        )
    assert response.status_code == 302
    assert _sees(world.colleague, red)
    assert not _sees(world.lead_admin, red)
    told = {m.to[0]: m.subject for m in mail.outbox}
    assert told[world.liaison.email].startswith("A colleague was named")  # the creator, already named
    assert told[world.colleague.email].startswith("You were named")
    assert AuditEvent.objects.filter(action="case.red_name", actor_id=world.lead_admin.pk).exists()


def test_red_naming_is_for_admins_of_the_lead_only(world, new_case, make_member):
    red = new_case(TLP.RED)
    assert client_for(world.liaison).get("/cases/red/").status_code == 404
    other_admin = make_member(world.partner, role="org_admin")
    response = client_for(other_admin).post(
        "/cases/red/",
        {
            "case": str(red.uuid),
            "level": "view",
            "reason": "x",
            "membership": str(world.partner_liaison.memberships.get().uuid),
        },
    )
    assert response.status_code == 404
    assert not _sees(world.partner_liaison, red)
