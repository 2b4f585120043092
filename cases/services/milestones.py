"""Milestones for prosecutors and their calendar feed."""

import secrets
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import audit_record
from cases.milestone_sets import MILESTONE_SETS, PROSECUTION_OWNED
from cases.models import CalendarFeed, Milestone, MilestoneKind, TimelineEntry
from cases.selectors import CaseAccess
from cases.services.common import require_capability, require_permission, timeline_add
from partners.models import Membership, Organisation, OrganisationKind
from partners.roles import Capability
from portal.utils.crypto import sha256_hex


def _check_milestone_rights(access: CaseAccess) -> None:
    require_capability(access.membership, Capability.MANAGE_MILESTONES)
    require_permission(access, "contribute_case")


@transaction.atomic
def milestone_set_apply(*, access: CaseAccess, request: HttpRequest | None = None) -> list[Milestone]:
    """Add the standard set for the case's crime type; kinds already present are kept as they are."""
    _check_milestone_rights(access)
    case, member_org = access.case, access.membership.organisation
    present = set(case.milestones.values_list("kind", flat=True))
    today = timezone.localdate()
    created = [
        Milestone(
            case=case,
            kind=kind,
            due_date=today + timedelta(days=offset),
            owner_organisation=member_org
            if kind in PROSECUTION_OWNED and member_org.kind == OrganisationKind.PROSECUTION
            else case.lead_organisation,
        )
        for kind, offset in MILESTONE_SETS[case.crime_type]
        if kind not in present
    ]
    Milestone.objects.bulk_create(created)
    if created:
        timeline_add(
            case,
            TimelineEntry.Kind.MILESTONE,
            _("Standard milestones applied (%(n)s added).") % {"n": len(created)},
            access.membership.user,
            member_org,
        )
    audit_record(
        action="milestone.apply_set",
        request=request,
        actor=access.membership.user,
        organisation=member_org,
        obj=case,
        details={"added": [m.kind for m in created]},
    )
    return created


@transaction.atomic
def milestone_add(
    *,
    access: CaseAccess,
    kind: str,
    owner_organisation: Organisation,
    due_date: date | None,
    note: str = "",
    request: HttpRequest | None = None,
) -> Milestone:
    _check_milestone_rights(access)
    if kind not in MilestoneKind.values:
        raise ValidationError({"kind": _("Unknown milestone.")})
    if access.case.milestones.filter(kind=kind).exists():
        raise ValidationError({"kind": _("This case already has that milestone.")})
    milestone = Milestone(
        case=access.case, kind=kind, owner_organisation=owner_organisation, due_date=due_date, note=note.strip()
    )
    milestone.full_clean()
    milestone.save()
    timeline_add(
        access.case,
        TimelineEntry.Kind.MILESTONE,
        _("Milestone added: %(kind)s.") % {"kind": milestone.get_kind_display()},
        access.membership.user,
        access.membership.organisation,
    )
    audit_record(
        action="milestone.add",
        request=request,
        actor=access.membership.user,
        organisation=access.membership.organisation,
        obj=access.case,
        details={"kind": kind},
    )
    return milestone


UNCHANGED = object()  # a field the caller does not change (an API PATCH that leaves it out)


@transaction.atomic
def milestone_update(
    *,
    access: CaseAccess,
    milestone: Milestone,
    due_date: date | None = UNCHANGED,
    done_date: date | None = UNCHANGED,
    note: str = UNCHANGED,
    request: HttpRequest | None = None,
) -> Milestone:
    """Set the milestone's dates and note; a field passed as UNCHANGED (the default) keeps its
    value, None clears a date."""
    _check_milestone_rights(access)
    if milestone.case_id != access.case.pk:
        raise ValidationError(_("That milestone belongs to another case."))
    due_date = milestone.due_date if due_date is UNCHANGED else due_date
    done_date = milestone.done_date if done_date is UNCHANGED else done_date
    note = milestone.note if note is UNCHANGED else note
    if done_date is not None and done_date > timezone.localdate():
        raise ValidationError({"done_date": _("A milestone cannot be done in the future.")})
    was_done = milestone.done_date is not None
    milestone.due_date, milestone.done_date, milestone.note = due_date, done_date, note.strip()[:1000]
    milestone.full_clean()
    milestone.save()
    if done_date and not was_done:
        timeline_add(
            access.case,
            TimelineEntry.Kind.MILESTONE,
            _("Milestone done: %(kind)s.") % {"kind": milestone.get_kind_display()},
            access.membership.user,
            access.membership.organisation,
        )
    audit_record(
        action="milestone.update",
        request=request,
        actor=access.membership.user,
        organisation=access.membership.organisation,
        obj=access.case,
        details={"kind": milestone.kind, "due": due_date, "done": done_date},
    )
    return milestone


@transaction.atomic
def calendar_feed_create(*, membership: Membership, request: HttpRequest | None = None) -> str:
    """A new secret feed URL token (any previous one stops working). Shown once."""
    token = secrets.token_urlsafe(32)
    CalendarFeed.objects.filter(membership=membership).delete()
    CalendarFeed.objects.create(membership=membership, token_hash=sha256_hex(token))
    audit_record(
        action="calendar_feed.create", request=request, actor=membership.user, organisation=membership.organisation
    )
    return token


@transaction.atomic
def calendar_feed_revoke(*, membership: Membership, request: HttpRequest | None = None) -> None:
    CalendarFeed.objects.filter(membership=membership).delete()
    audit_record(
        action="calendar_feed.revoke", request=request, actor=membership.user, organisation=membership.organisation
    )
