"""Writes for organisations and memberships.

Group membership is derived: a user is in an organisation's auth Group exactly while they
hold an active membership of it. Every write here keeps that true in the same transaction.
"""

from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record
from cases.services import case_shares_lapse_for_membership
from partners.models import Membership, Organisation, OrganisationKind
from partners.roles import Role
from partners.selectors import ORGANISATION_CHOICES_CACHE_KEY

ACTIVE_MEMBERSHIP_SESSION_KEY = "active_membership"


def _sync_group(*, user: User, organisation: Organisation) -> None:
    if Membership.objects.filter(user=user, organisation=organisation, active=True).exists():
        user.groups.add(organisation.group)
    else:
        user.groups.remove(organisation.group)


@transaction.atomic
def organisation_create(
    *,
    name: str,
    short_code: str,
    kind: str,
    country: str,
    desk_name: str,
    desk_phone: str,
    desk_email: str,
    created_by: User | None = None,
    request: HttpRequest | None = None,
) -> Organisation:
    if kind not in OrganisationKind.values:
        raise ValidationError({"kind": _("Unknown organisation kind.")})
    group = Group.objects.create(name=f"org:{short_code}")
    organisation = Organisation(
        name=name,
        short_code=short_code,
        kind=kind,
        country=country.upper(),
        desk_name=desk_name,
        desk_phone=desk_phone,
        desk_email=desk_email,
        group=group,
    )
    organisation.full_clean()
    organisation.save()
    audit_record(
        action="organisation.create",
        request=request,
        actor=created_by,
        obj=organisation,
        details={"short_code": short_code, "kind": kind},
    )
    transaction.on_commit(lambda: cache.delete(ORGANISATION_CHOICES_CACHE_KEY))
    return organisation


@transaction.atomic
def membership_create(
    *, user: User, organisation: Organisation, role: str, by: User | None = None, request: HttpRequest | None = None
) -> Membership:
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    if user.is_platform_operator:
        # The operator runs the platform and must never gain case access through a membership.
        raise ValidationError(_("The platform operator cannot be a member of an organisation."))
    if Membership.objects.filter(user=user, organisation=organisation, active=True).exists():
        raise ValidationError(_("%(user)s is already a member of %(org)s.") % {"user": user, "org": organisation})
    membership = Membership.objects.create(user=user, organisation=organisation, role=role)
    _sync_group(user=user, organisation=organisation)
    audit_record(
        action="membership.create",
        request=request,
        actor=by,
        organisation=organisation,
        obj=membership,
        details={"user": str(user.uuid), "role": role},
    )
    return membership


@transaction.atomic
def membership_change_role(
    *, membership: Membership, role: str, by: User, request: HttpRequest | None = None
) -> Membership:
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    previous = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        action="membership.role_change",
        request=request,
        actor=by,
        organisation=membership.organisation,
        obj=membership,
        details={"user": str(membership.user.uuid), "from": previous, "to": role},
    )
    return membership


@transaction.atomic
def membership_end(*, membership: Membership, by: User | None, request: HttpRequest | None = None) -> Membership:
    """End a membership. Access through it stops on the user's next request (the middleware
    re-reads the active membership every time), and the group grant goes at once."""
    if not membership.active:
        return membership
    membership.active = False
    membership.ended_at = timezone.now()
    membership.save(update_fields=["active", "ended_at"])
    _sync_group(user=membership.user, organisation=membership.organisation)
    case_shares_lapse_for_membership(membership=membership)
    audit_record(
        action="membership.end",
        request=request,
        actor=by,
        organisation=membership.organisation,
        obj=membership,
        details={"user": str(membership.user.uuid), "role": membership.role},
    )
    return membership


def membership_activate_for_session(*, request: HttpRequest, membership: Membership) -> None:
    """Switch the organisation the user acts for (the organisation switcher)."""
    if membership.user_id != request.user.pk or not membership.active or not membership.organisation.active:
        raise ValidationError(_("You cannot act for that organisation."))
    previous = request.session.get(ACTIVE_MEMBERSHIP_SESSION_KEY)
    request.session[ACTIVE_MEMBERSHIP_SESSION_KEY] = membership.pk
    request.membership = membership
    audit_record(
        action="membership.switch",
        request=request,
        organisation=membership.organisation,
        obj=membership,
        details={"previous_membership": previous},
    )
