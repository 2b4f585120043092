"""Helpers shared by the case services."""

import pycountry
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from accounts.models import User
from cases.models import Case, TimelineEntry
from cases.selectors import CaseAccess
from notifications.services import notify
from partners.models import Membership, Organisation
from partners.roles import role_can


def require_capability(membership: Membership, capability: str) -> None:
    if not role_can(membership.role, capability):
        raise PermissionDenied(_("Your role may not do this."))


def require_permission(access: CaseAccess, codename: str) -> None:
    if not access.can(codename):
        raise PermissionDenied(_("You may see this case but not do this."))


def countries_normalise(raw: str | list[str]) -> str:
    """ISO 3166 alpha-2 or alpha-3 codes, any separator, to a space-separated alpha-2 list."""
    items = raw.replace(",", " ").split() if isinstance(raw, str) else raw
    codes: list[str] = []
    for item in items:
        country = pycountry.countries.get(alpha_2=item.upper()) if len(item) == 2 else None
        if country is None and len(item) == 3:
            country = pycountry.countries.get(alpha_3=item.upper())
        if country is None:
            raise ValidationError({"countries": _("%(code)s is not an ISO 3166 country code.") % {"code": item}})
        if country.alpha_2 not in codes:
            codes.append(country.alpha_2)
    return " ".join(codes)


def timeline_add(case: Case, kind: str, body: str, by: User | None, organisation: Organisation | None) -> None:
    """Record something that happened in the case's timeline."""
    TimelineEntry.objects.create(case=case, kind=kind, body=body, author=by, organisation=organisation)


def notify_case_users(case, users, subject: str, body: str, *, kind: str) -> None:
    """Like notify_users, but only to those who can see the case (its reference is in the text)."""
    from cases.selectors import users_who_see_case

    allowed = set(users_who_see_case(case=case).values_list("pk", flat=True))
    notify_users([u for u in users if u.pk in allowed], subject, body, kind=kind)


def notify_users(users, subject: str, body: str, *, kind: str) -> None:
    """A notification per user (in-app, and email as each prefers), written in this transaction.

    Texts carry the reference and the kind of event, never case content.
    """
    notify(users=list(users), kind=kind, subject=subject, body=body)


def organisation_members(organisation: Organisation):
    return User.objects.filter(memberships__organisation=organisation, memberships__active=True)
