"""Reads for organisations and memberships."""

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import User
from partners.models import Membership, Organisation


def memberships_active_for_user(*, user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user, active=True, organisation__active=True)
        .select_related("organisation")
        .order_by("organisation__name")
    )


def membership_active_get(*, user: User, membership_id: int | None) -> Membership | None:
    """The membership the session acts for, or the user's first one when that is gone."""
    memberships = memberships_active_for_user(user=user)
    if membership_id is not None:
        chosen = memberships.filter(pk=membership_id).first()
        if chosen is not None:
            return chosen
    return memberships.first()


def members_of_organisation(*, organisation: Organisation) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(organisation=organisation)
        .select_related("user")
        .order_by("-active", "user__full_name")
    )


def membership_get_in_organisation(*, organisation: Organisation, uuid) -> Membership:
    """A membership of ``organisation`` by UUID; anything else is a 404."""
    membership = Membership.objects.filter(organisation=organisation, uuid=uuid).select_related("user").first()
    if membership is None:
        raise Http404
    return membership


def organisations_all() -> QuerySet[Organisation]:
    return Organisation.objects.all().order_by("name")


def members_with_capability(*, organisation: Organisation, capability: str) -> QuerySet:
    """Active users whose active membership *of this organisation* has a role with the
    capability (one filter, so a role held in another organisation does not count)."""
    from partners.roles import Role, role_can

    roles = [role for role in Role.values if role_can(role, capability)]
    return User.objects.filter(
        is_active=True,
        memberships__organisation=organisation,
        memberships__active=True,
        memberships__role__in=roles,
    ).distinct()
