"""Reads for organisations and memberships."""

from django.core.cache import cache
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
    return memberships_for_session(user=user, membership_id=membership_id)[0]


def memberships_for_session(*, user: User, membership_id: int | None) -> tuple[Membership | None, list[Membership]]:
    """The membership the session acts for and all the user's active ones (for the switcher),
    from one query: a user holds a handful, and every page needs both."""
    memberships = list(memberships_active_for_user(user=user))
    chosen = next((m for m in memberships if m.pk == membership_id), None)
    return chosen or (memberships[0] if memberships else None), memberships


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


ORGANISATION_CHOICES_CACHE_KEY = "partners:organisation-choices"


def organisation_choices() -> list[tuple[str, str]]:
    """(uuid, name) of every active organisation, by name, for filter forms.

    Every case list page shows it, and at European scale there are thousands: it is cached
    for a minute and dropped when an organisation is created (partners.services).
    """
    choices = cache.get(ORGANISATION_CHOICES_CACHE_KEY)
    if choices is None:
        rows = Organisation.objects.filter(active=True).order_by("name").values_list("uuid", "name")
        choices = [(str(uuid), name) for uuid, name in rows]
        cache.set(ORGANISATION_CHOICES_CACHE_KEY, choices, 60)
    return choices
