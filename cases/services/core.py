"""Writes for cases: creating, changing, sharing under TLP rules, handing over the lead.

Every function here runs in one transaction, checks what the acting member may do, writes
the grant rows and the share record together, adds a timeline entry and an audit event.
A refusal raises ValidationError (bad input, broken TLP rule) or PermissionDenied and
changes nothing.
"""

from datetime import datetime

from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record
from cases.constants import LEVEL_PERMISSIONS, TLP, AccessLevel, CaseStatus, LegalBasis, tlp_rank
from cases.models import (
    Case,
    CaseGroupObjectPermission,
    CaseShare,
    CaseUserObjectPermission,
    LeadHandover,
    TimelineEntry,
)
from cases.references import case_reference_next
from cases.selectors import CaseAccess
from cases.services.common import (
    countries_normalise,
    notify_case_users,
    notify_users,
    organisation_members,
    require_capability,
    require_permission,
    timeline_add,
)
from notifications.models import Kind
from partners.models import CROSS_BORDER_KINDS, RESTRICTED_KINDS, Membership, Organisation
from partners.roles import Capability
from partners.selectors import members_with_capability

Status = CaseShare.Status


def _grant(share: CaseShare) -> None:
    permissions = Permission.objects.filter(
        content_type__app_label="cases", codename__in=LEVEL_PERMISSIONS[share.level]
    )
    if share.membership_id:
        CaseUserObjectPermission.objects.bulk_create(
            CaseUserObjectPermission(
                user_id=share.membership.user_id,
                membership_id=share.membership_id,
                permission=p,
                content_object=share.case,
                expires_at=share.expires_at,
                opened_at=share.case.opened_at,
            )
            for p in permissions
        )
    else:
        CaseGroupObjectPermission.objects.bulk_create(
            CaseGroupObjectPermission(
                group_id=share.organisation.group_id,
                permission=p,
                content_object=share.case,
                expires_at=share.expires_at,
                opened_at=share.case.opened_at,
            )
            for p in permissions
        )


def _ungrant(share: CaseShare) -> None:
    if share.membership_id:
        CaseUserObjectPermission.objects.filter(content_object=share.case, membership_id=share.membership_id).delete()
    else:
        CaseGroupObjectPermission.objects.filter(
            content_object=share.case, group_id=share.organisation.group_id
        ).delete()


def _end_share(share: CaseShare, status: str, reason: str) -> None:
    _ungrant(share)
    share.status = status
    share.ended_at = timezone.now()
    share.end_reason = reason[:300]
    share.save(update_fields=["status", "ended_at", "end_reason"])
    if not share.membership_id:
        # An organisation that loses the case can no longer take over its lead.
        LeadHandover.objects.filter(
            case=share.case, to_organisation=share.organisation, status=LeadHandover.Status.PENDING
        ).update(status=LeadHandover.Status.WITHDRAWN, decided_at=timezone.now())


# --- the TLP rules --------------------------------------------------------------------------


def share_refusal(
    *, case: Case, sharer: Membership, organisation: Organisation, membership: Membership | None
) -> str | None:
    """Why this share would break the case's TLP, or None when it is allowed."""
    tlp = case.tlp
    lead = case.lead_organisation_id
    if organisation.kind in RESTRICTED_KINDS and tlp in (TLP.AMBER_STRICT, TLP.RED):
        return _("NGO and industry organisations never receive AMBER+STRICT or RED cases.")
    if tlp == TLP.RED and membership is None:
        return _("A RED case is shared only with named people, never with an organisation.")
    if tlp == TLP.AMBER_STRICT and organisation.pk != lead:
        return _("An AMBER+STRICT case stays inside the lead organisation.")
    if tlp == TLP.AMBER and sharer.organisation_id != lead and organisation.pk != sharer.organisation_id:
        return _("You received this AMBER case: you may share it only inside your own organisation.")
    if not organisation.active:
        return _("That organisation is not active.")
    return None


# --- cases ----------------------------------------------------------------------------------


@transaction.atomic
def case_create(
    *,
    membership: Membership,
    title: str,
    crime_type: str,
    tlp: str,
    summary: str = "",
    countries: str = "",
    opened_at: datetime | None = None,
    request: HttpRequest | None = None,
) -> Case:
    require_capability(membership, Capability.CREATE_CASE)
    organisation = membership.organisation
    if tlp in (TLP.AMBER_STRICT, TLP.RED) and organisation.kind in RESTRICTED_KINDS:
        raise ValidationError({"tlp": _("NGO and industry organisations do not hold AMBER+STRICT or RED cases.")})
    case = Case(
        reference=case_reference_next(country=organisation.country),
        title=title.strip(),
        summary=summary.strip(),
        crime_type=crime_type,
        tlp=tlp,
        lead_organisation=organisation,
        countries=countries_normalise(countries),
        opened_at=opened_at or timezone.now(),
        created_by=membership.user,
    )
    case.full_clean()
    case.save()
    lead_share = CaseShare(
        case=case,
        organisation=organisation,
        level=AccessLevel.SHARE,
        status=Status.ACTIVE,
        is_lead=True,
        reason=_("Lead organisation"),
        requested_by=membership.user,
        requested_by_organisation=organisation,
        decided_at=timezone.now(),
    )
    if tlp == TLP.RED:
        # RED: never through a group, not even the lead's own; the creator is named.
        lead_share.membership = membership
        lead_share.reason = _("Creator of a RED case")
    lead_share.save()
    _grant(lead_share)
    timeline_add(
        case,
        TimelineEntry.Kind.CREATED,
        _("Case opened as %(tlp)s.") % {"tlp": case.get_tlp_display()},
        membership.user,
        organisation,
    )
    audit_record(
        action="case.create",
        request=request,
        actor=membership.user,
        organisation=organisation,
        obj=case,
        details={"reference": case.reference, "tlp": tlp},
    )
    return case


UPDATABLE_FIELDS = (
    "title",
    "summary",
    "crime_type",
    "status",
    "countries",
    "victims_identified",
    "victims_safeguarded",
    "suspects_identified",
    "suspects_arrested",
)


@transaction.atomic
def case_update(*, access: CaseAccess, request: HttpRequest | None = None, **changes) -> list[str]:
    """Change case details (not TLP or lead: those have their own services). Returns the
    names of the fields that changed."""
    require_permission(access, "change_case")
    case = Case.objects.select_for_update().get(pk=access.case.pk)
    unknown = set(changes) - set(UPDATABLE_FIELDS)
    if unknown:
        raise ValidationError(_("These fields cannot be changed here: %(f)s") % {"f": ", ".join(sorted(unknown))})
    if "countries" in changes:
        changes["countries"] = countries_normalise(changes["countries"])
    changed = [name for name, value in changes.items() if getattr(case, name) != value]
    old_status = case.status
    for name in changed:
        setattr(case, name, changes[name])
    if "status" in changed:
        case.closed_at = timezone.now() if case.status == CaseStatus.CLOSED else None
    if not changed:
        return []
    case.full_clean()
    case.save()
    by, organisation = access.membership.user, access.membership.organisation
    if "status" in changed:
        timeline_add(
            case,
            TimelineEntry.Kind.STATUS,
            _("Status: %(old)s → %(new)s") % {"old": CaseStatus(old_status).label, "new": case.get_status_display()},
            by,
            organisation,
        )
    if set(changed) - {"status"}:
        timeline_add(
            case,
            TimelineEntry.Kind.UPDATED,
            _("Changed: %(fields)s")
            % {"fields": ", ".join(str(Case._meta.get_field(f).verbose_name) for f in changed if f != "status")},
            by,
            organisation,
        )
    audit_record(
        action="case.update",
        request=request,
        actor=by,
        organisation=organisation,
        obj=case,
        details={"fields": changed},
    )
    access.case.__dict__.update(case.__dict__)
    return changed


@transaction.atomic
def case_change_tlp(*, access: CaseAccess, tlp: str, request: HttpRequest | None = None) -> list[CaseShare]:
    """Change the classification. A stricter TLP revokes every share it forbids; the revoked
    shares are returned so the page can say which."""
    require_permission(access, "change_case")
    if tlp not in TLP.values:
        raise ValidationError({"tlp": _("Unknown TLP level.")})
    case = Case.objects.select_for_update().get(pk=access.case.pk)
    if not access.is_lead:
        raise PermissionDenied(_("Only the lead organisation changes the TLP."))
    if tlp in (TLP.AMBER_STRICT, TLP.RED) and access.membership.organisation.kind in RESTRICTED_KINDS:
        raise ValidationError({"tlp": _("NGO and industry organisations do not hold AMBER+STRICT or RED cases.")})
    old = case.tlp
    if tlp == old:
        return []
    by, organisation = access.membership.user, access.membership.organisation
    case.tlp = tlp
    case.save(update_fields=["tlp", "updated_at"])
    revoked: list[CaseShare] = []
    if tlp_rank(tlp) > tlp_rank(old):
        if (
            tlp == TLP.RED
            and not CaseShare.objects.filter(case=case, membership=access.membership, status=Status.ACTIVE).exists()
        ):
            # Whoever makes a case RED keeps it: they are named, before the group grant goes.
            named = CaseShare.objects.create(
                case=case,
                organisation=organisation,
                membership=access.membership,
                level=AccessLevel.SHARE,
                status=Status.ACTIVE,
                reason=_("Made the case RED"),
                requested_by=by,
                requested_by_organisation=organisation,
                decided_at=timezone.now(),
            )
            _grant(named)
        leads = _leads_ever(case)
        for share in CaseShare.objects.filter(case=case, status=Status.ACTIVE).select_related(
            "organisation", "membership"
        ):
            if share.is_named and share.membership_id == access.membership.pk:
                continue
            refusal = _tlp_forbids_existing(case, share, leads)
            if refusal:
                _end_share(share, Status.REVOKED, refusal)
                revoked.append(share)
        for pending in CaseShare.objects.filter(case=case, status=Status.PENDING).select_related("organisation"):
            if _tlp_forbids_existing(case, pending, leads):
                pending.status, pending.ended_at = Status.REJECTED, timezone.now()
                pending.save(update_fields=["status", "ended_at"])
    timeline_add(
        case,
        TimelineEntry.Kind.SHARE,
        _("TLP changed from %(old)s to %(new)s; %(n)s share(s) revoked.") % {"old": old, "new": tlp, "n": len(revoked)},
        by,
        organisation,
    )
    audit_record(
        action="case.tlp_change",
        request=request,
        actor=by,
        organisation=organisation,
        obj=case,
        details={"from": old, "to": tlp, "revoked": [str(s.uuid) for s in revoked]},
    )
    for share in revoked:
        notify_users(
            organisation_members(share.organisation) if not share.is_named else [share.membership.user],
            _("Access to case %(ref)s ended") % {"ref": case.reference},
            _("Your access to case %(ref)s ended because its classification changed.") % {"ref": case.reference},
            kind=Kind.SHARE_REVOKED,
        )
    access.case.tlp = tlp
    return revoked


def _leads_ever(case: Case) -> dict[int, datetime | None]:
    """Each organisation that led the case, with when it stopped leading (None: it leads now).
    A share it made before then was made as lead, never as a recipient passing the case on."""
    handed_over = LeadHandover.objects.filter(case=case, status=LeadHandover.Status.ACCEPTED).order_by("decided_at")
    leads: dict[int, datetime | None] = dict(handed_over.values_list("from_organisation_id", "decided_at"))
    leads[case.lead_organisation_id] = None
    return leads


def _made_as_lead(share: CaseShare, leads: dict[int, datetime | None]) -> bool:
    if share.requested_by_organisation_id not in leads:
        return False
    until = leads[share.requested_by_organisation_id]
    return until is None or share.created_at <= until


def _tlp_forbids_existing(case: Case, share: CaseShare, leads: dict[int, datetime | None]) -> str | None:
    organisation = share.organisation
    if (
        case.tlp == TLP.AMBER
        and not _made_as_lead(share, leads)
        and share.requested_by_organisation_id != organisation.pk
    ):
        # A GREEN case a partner passed on to a third organisation: under AMBER a recipient
        # shares only inside its own organisation, so that re-share goes.
        return _("You received this AMBER case: you may share it only inside your own organisation.")
    if organisation.kind in RESTRICTED_KINDS and case.tlp in (TLP.AMBER_STRICT, TLP.RED):
        return _("NGO and industry organisations never receive AMBER+STRICT or RED cases.")
    if case.tlp == TLP.RED and not share.is_named:
        return _("A RED case is shared only with named people.")
    if case.tlp == TLP.AMBER_STRICT and organisation.pk != case.lead_organisation_id:
        return _("An AMBER+STRICT case stays inside the lead organisation.")
    return None


# --- sharing --------------------------------------------------------------------------------


@transaction.atomic
def case_share(
    *,
    access: CaseAccess,
    level: str,
    reason: str,
    organisation: Organisation | None = None,
    membership: Membership | None = None,
    expires_at: datetime | None = None,
    legal_basis: str = "",
    request: HttpRequest | None = None,
) -> CaseShare:
    """Grant an organisation, or a named person acting for one, access to the case.

    Shares to foreign police, international bodies and industry record a legal basis and wait
    for a second member of the lead organisation to approve them (four eyes).
    """
    sharer = access.membership
    require_capability(sharer, Capability.SHARE_CASE)
    require_permission(access, "share_case")
    case = Case.objects.select_for_update().get(pk=access.case.pk)
    if membership is not None:
        organisation = membership.organisation
        if not membership.active:
            raise ValidationError(_("That person is no longer a member of %(org)s.") % {"org": organisation})
    if organisation is None:
        raise ValidationError(_("Choose an organisation or a person."))
    if level not in AccessLevel.values:
        raise ValidationError({"level": _("Unknown access level.")})
    if not reason or not reason.strip():
        raise ValidationError({"reason": _("Give a reason for sharing.")})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("The expiry must be in the future.")})
    refusal = share_refusal(case=case, sharer=sharer, organisation=organisation, membership=membership)
    if refusal:
        raise ValidationError(refusal)
    if level == AccessLevel.SHARE and sharer.organisation_id != case.lead_organisation_id:
        raise ValidationError(_("Only the lead organisation can give full access, including sharing."))
    existing = CaseShare.objects.filter(
        case=case, status__in=[Status.PENDING, Status.ACTIVE], organisation=organisation, membership=membership
    )
    if existing.exists():
        raise ValidationError(
            _("%(who)s already has access or a pending share; revoke it first to change it.")
            % {"who": membership.user if membership else organisation}
        )
    cross_border = organisation.kind in CROSS_BORDER_KINDS
    if cross_border and legal_basis not in LegalBasis.values:
        raise ValidationError(
            {"legal_basis": _("Sharing with %(kind)s needs a legal basis.") % {"kind": organisation.get_kind_display()}}
        )
    share = CaseShare.objects.create(
        case=case,
        organisation=organisation,
        membership=membership,
        level=level,
        reason=reason.strip()[:500],
        legal_basis=legal_basis if cross_border else (legal_basis or ""),
        expires_at=expires_at,
        status=Status.PENDING if cross_border else Status.ACTIVE,
        requested_by=sharer.user,
        requested_by_organisation=sharer.organisation,
        decided_at=None if cross_border else timezone.now(),
    )
    who = f"{membership.user} ({organisation})" if membership else str(organisation)
    if share.status == Status.ACTIVE:
        _grant(share)
        timeline_add(
            case,
            TimelineEntry.Kind.SHARE,
            _("Shared with %(who)s: %(level)s.") % {"who": who, "level": share.get_level_display()},
            sharer.user,
            sharer.organisation,
        )
        _tell_recipients(share)
    else:
        timeline_add(
            case,
            TimelineEntry.Kind.SHARE,
            _("Share with %(who)s awaits a second approver.") % {"who": who},
            sharer.user,
            sharer.organisation,
        )
        notify_case_users(
            case,
            _share_approvers(case, exclude=sharer.user),
            _("Share of case %(ref)s awaits your approval") % {"ref": case.reference},
            _(
                "A colleague asked to share case %(ref)s with another organisation. It takes "
                "effect once a second person approves it."
            )
            % {"ref": case.reference},
            kind=Kind.SHARE_APPROVAL,
        )
    audit_record(
        action="case.share",
        request=request,
        actor=sharer.user,
        organisation=sharer.organisation,
        obj=case,
        details={
            "share": str(share.uuid),
            "to_organisation": str(organisation.uuid),
            "to_user": str(membership.user.uuid) if membership else None,
            "level": level,
            "status": share.status,
            "legal_basis": share.legal_basis,
        },
    )
    return share


def _tell_recipients(share: CaseShare) -> None:
    users = [share.membership.user] if share.is_named else list(organisation_members(share.organisation))
    notify_case_users(
        share.case,
        users,
        _("Case %(ref)s was shared with you") % {"ref": share.case.reference},
        _("Case %(ref)s is now visible to you in the portal.") % {"ref": share.case.reference},
        kind=Kind.CASE_SHARED,
    )


def _share_approvers(case: Case, *, exclude: User):
    return members_with_capability(organisation=case.lead_organisation, capability=Capability.SHARE_CASE).exclude(
        pk=exclude.pk
    )


@transaction.atomic
def case_share_decide(
    *, access: CaseAccess, share: CaseShare, approve: bool, request: HttpRequest | None = None
) -> CaseShare:
    """Four eyes: a second member of the lead organisation approves or rejects a pending share."""
    approver = access.membership
    require_capability(approver, Capability.SHARE_CASE)
    require_permission(access, "share_case")
    share = (
        CaseShare.objects.select_for_update(of=("self",))
        .select_related("case", "organisation", "membership")
        .get(pk=share.pk)
    )
    if share.case_id != access.case.pk or share.status != Status.PENDING:
        raise ValidationError(_("This share is not awaiting approval."))
    if approver.organisation_id != share.case.lead_organisation_id:
        raise PermissionDenied(_("Only the lead organisation approves shares."))
    if share.requested_by_id == approver.user_id:
        raise PermissionDenied(_("A second person must approve: you asked for this share yourself."))
    refusal = share_refusal(
        case=share.case, sharer=approver, organisation=share.organisation, membership=share.membership
    )
    if approve and refusal:
        raise ValidationError(refusal)
    share.status = Status.ACTIVE if approve else Status.REJECTED
    share.approved_by = approver.user
    share.decided_at = timezone.now()
    share.save(update_fields=["status", "approved_by", "decided_at"])
    if approve:
        _grant(share)
        _tell_recipients(share)
    timeline_add(
        share.case,
        TimelineEntry.Kind.SHARE,
        (_("Share with %(who)s approved.") if approve else _("Share with %(who)s rejected."))
        % {"who": share.membership.user if share.is_named else share.organisation},
        approver.user,
        approver.organisation,
    )
    audit_record(
        action="case.share_approve" if approve else "case.share_reject",
        request=request,
        actor=approver.user,
        organisation=approver.organisation,
        obj=share.case,
        details={"share": str(share.uuid)},
    )
    return share


@transaction.atomic
def case_share_revoke(
    *, access: CaseAccess, share: CaseShare, reason: str, request: HttpRequest | None = None
) -> CaseShare:
    """End a share. Access stops on the recipient's next request (the grant rows go now)."""
    revoker = access.membership
    require_permission(access, "share_case")
    share = (
        CaseShare.objects.select_for_update(of=("self",))
        .select_related("case", "organisation", "membership")
        .get(pk=share.pk)
    )
    if share.case_id != access.case.pk or share.status not in (Status.ACTIVE, Status.PENDING):
        raise ValidationError(_("This share is not active."))
    if share.is_lead:
        raise ValidationError(_("The lead organisation's own access cannot be revoked; hand over the lead instead."))
    lead = revoker.organisation_id == share.case.lead_organisation_id
    if not lead and share.requested_by_organisation_id != revoker.organisation_id:
        raise PermissionDenied(_("Only the lead organisation or the organisation that shared may revoke."))
    # A share still awaiting its second approver was never the recipient's to know of: it is
    # withdrawn without telling them (telling would name the case to, say, a foreign force
    # before four eyes agreed).
    was_active = share.status == Status.ACTIVE
    _end_share(share, Status.REVOKED, reason or _("Revoked"))
    timeline_add(
        share.case,
        TimelineEntry.Kind.SHARE,
        _("Access of %(who)s revoked.") % {"who": share.membership.user if share.is_named else share.organisation},
        revoker.user,
        revoker.organisation,
    )
    audit_record(
        action="case.share_revoke",
        request=request,
        actor=revoker.user,
        organisation=revoker.organisation,
        obj=share.case,
        details={"share": str(share.uuid), "reason": reason},
    )
    if was_active:
        notify_users(
            [share.membership.user] if share.is_named else organisation_members(share.organisation),
            _("Access to case %(ref)s ended") % {"ref": share.case.reference},
            _("Your access to case %(ref)s was revoked.") % {"ref": share.case.reference},
            kind=Kind.SHARE_REVOKED,
        )
    return share


@transaction.atomic
def case_shares_lapse_for_membership(*, membership: Membership) -> int:
    """Named grants lapse when the membership they were given under ends."""
    shares = list(CaseShare.objects.filter(membership=membership, status__in=[Status.ACTIVE, Status.PENDING]))
    for share in shares:
        _end_share(share, Status.EXPIRED, "membership ended")
    CaseUserObjectPermission.objects.filter(membership=membership).delete()
    return len(shares)


@transaction.atomic
def case_shares_expire_due() -> int:
    """Mark shares past their expiry (access already stopped at expiry: selectors check it)."""
    due = list(
        CaseShare.objects.filter(status=Status.ACTIVE, expires_at__lte=timezone.now()).select_related(
            "case", "organisation", "membership"
        )
    )
    for share in due:
        _end_share(share, Status.EXPIRED, "expired")
        audit_record(action="case.share_expire", obj=share.case, details={"share": str(share.uuid)})
    return len(due)


# --- lead handover --------------------------------------------------------------------------


@transaction.atomic
def case_handover_propose(
    *, access: CaseAccess, organisation: Organisation, reason: str, request: HttpRequest | None = None
) -> LeadHandover:
    require_permission(access, "share_case")
    if not access.is_lead:
        raise PermissionDenied(_("Only the lead organisation hands over the lead."))
    case = access.case
    if not CaseShare.objects.filter(
        case=case, organisation=organisation, membership__isnull=True, status=Status.ACTIVE
    ).exists():
        raise ValidationError(_("The lead can go only to an organisation that already has the case."))
    if case.tlp == TLP.RED or organisation.kind in RESTRICTED_KINDS:
        raise ValidationError(_("The lead of this case cannot go to that organisation."))
    if LeadHandover.objects.filter(case=case, status=LeadHandover.Status.PENDING).exists():
        raise ValidationError(_("A handover is already waiting for consent."))
    handover = LeadHandover.objects.create(
        case=case,
        from_organisation=access.membership.organisation,
        to_organisation=organisation,
        reason=reason[:500],
        requested_by=access.membership.user,
    )
    timeline_add(
        case,
        TimelineEntry.Kind.LEAD,
        _("Lead offered to %(org)s.") % {"org": organisation},
        access.membership.user,
        access.membership.organisation,
    )
    audit_record(
        action="case.handover_propose",
        request=request,
        actor=access.membership.user,
        organisation=access.membership.organisation,
        obj=case,
        details={"to": str(organisation.uuid)},
    )
    return handover


@transaction.atomic
def case_handover_decide(
    *, access: CaseAccess, handover: LeadHandover, accept: bool, request: HttpRequest | None = None
) -> LeadHandover:
    """The receiving organisation consents (or declines). On consent the receiver gets full
    access and the lead; the previous lead keeps change access."""
    member = access.membership
    require_capability(member, Capability.SHARE_CASE)
    handover = LeadHandover.objects.select_for_update().get(pk=handover.pk)
    if handover.status != LeadHandover.Status.PENDING or handover.case_id != access.case.pk:
        raise ValidationError(_("This handover is not waiting for consent."))
    if member.organisation_id != handover.to_organisation_id:
        raise PermissionDenied(_("Only the receiving organisation consents to a handover."))
    case = Case.objects.select_for_update().get(pk=handover.case_id)
    handover.status = LeadHandover.Status.ACCEPTED if accept else LeadHandover.Status.DECLINED
    handover.decided_by, handover.decided_at = member.user, timezone.now()
    handover.save(update_fields=["status", "decided_by", "decided_at"])
    if accept:
        old_lead = CaseShare.objects.filter(case=case, is_lead=True, status=Status.ACTIVE).first()
        receiver = CaseShare.objects.filter(
            case=case, organisation=member.organisation, membership__isnull=True, status=Status.ACTIVE
        ).first()
        if old_lead is None or receiver is None or case.tlp == TLP.RED:
            raise ValidationError(_("The handover no longer fits the case's access; ask for a new one."))
        for share, level, is_lead in ((old_lead, AccessLevel.CHANGE, False), (receiver, AccessLevel.SHARE, True)):
            _ungrant(share)
            share.level, share.is_lead = level, is_lead
            share.save(update_fields=["level", "is_lead"])
            _grant(share)
        case.lead_organisation = member.organisation
        case.save(update_fields=["lead_organisation", "updated_at"])
    timeline_add(
        case,
        TimelineEntry.Kind.LEAD,
        (_("%(org)s took over the lead.") if accept else _("%(org)s declined the lead."))
        % {"org": member.organisation},
        member.user,
        member.organisation,
    )
    audit_record(
        action="case.handover_accept" if accept else "case.handover_decline",
        request=request,
        actor=member.user,
        organisation=member.organisation,
        obj=case,
        details={"handover": str(handover.uuid)},
    )
    return handover


# --- notes ----------------------------------------------------------------------------------


@transaction.atomic
def case_note_add(*, access: CaseAccess, body: str, request: HttpRequest | None = None) -> TimelineEntry:
    require_permission(access, "contribute_case")
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write something.")})
    if len(body) > 10000:
        raise ValidationError({"body": _("A note can be at most 10,000 characters.")})
    entry = TimelineEntry.objects.create(
        case=access.case,
        kind=TimelineEntry.Kind.NOTE,
        body=body,
        author=access.membership.user,
        organisation=access.membership.organisation,
    )
    audit_record(
        action="case.note_add",
        request=request,
        actor=access.membership.user,
        organisation=access.membership.organisation,
        obj=access.case,
        details={"entry": str(entry.uuid)},
    )
    return entry


@transaction.atomic
def case_red_name_colleague(
    *,
    admin: Membership,
    case: Case,
    membership: Membership,
    level: str,
    reason: str,
    request: HttpRequest | None = None,
) -> CaseShare:
    """The lead organisation's admin names a colleague on a RED case without seeing it.

    Audited, and told to everyone already named, so a RED case never gains a reader silently.
    """
    require_capability(admin, Capability.NAME_RED_COLLEAGUES)
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.tlp != TLP.RED or case.lead_organisation_id != admin.organisation_id:
        raise PermissionDenied(_("Only for RED cases your organisation leads."))
    if membership.user_id == admin.user_id:
        raise PermissionDenied(_("An organisation admin names colleagues, not themselves."))
    if membership.organisation_id != admin.organisation_id or not membership.active:
        raise ValidationError(_("Name a colleague of your own organisation."))
    if level not in AccessLevel.values:
        raise ValidationError({"level": _("Unknown access level.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Give a reason for naming this colleague.")})
    if CaseShare.objects.filter(case=case, membership=membership, status__in=[Status.ACTIVE, Status.PENDING]).exists():
        raise ValidationError(_("%(who)s is already named on this case.") % {"who": membership.user})
    already_named = [
        s.membership.user
        for s in CaseShare.objects.filter(case=case, status=Status.ACTIVE, membership__isnull=False).select_related(
            "membership__user"
        )
    ]
    share = CaseShare.objects.create(
        case=case,
        organisation=admin.organisation,
        membership=membership,
        level=level,
        reason=reason.strip()[:500],
        status=Status.ACTIVE,
        requested_by=admin.user,
        requested_by_organisation=admin.organisation,
        decided_at=timezone.now(),
    )
    _grant(share)
    timeline_add(
        case,
        TimelineEntry.Kind.SHARE,
        _("%(admin)s (organisation admin) named %(who)s.") % {"admin": admin.user, "who": membership.user},
        admin.user,
        admin.organisation,
    )
    audit_record(
        action="case.red_name",
        request=request,
        actor=admin.user,
        organisation=admin.organisation,
        obj=case,
        details={"share": str(share.uuid), "named": str(membership.user.uuid), "level": level},
    )
    notify_case_users(
        case,
        already_named,
        _("A colleague was named on case %(ref)s") % {"ref": case.reference},
        _("An organisation admin named %(who)s on RED case %(ref)s.") % {"who": membership.user, "ref": case.reference},
        kind=Kind.CASE_SHARED,
    )
    notify_case_users(
        case,
        [membership.user],
        _("You were named on case %(ref)s") % {"ref": case.reference},
        _("Case %(ref)s is now visible to you in the portal.") % {"ref": case.reference},
        kind=Kind.CASE_SHARED,
    )
    return share
