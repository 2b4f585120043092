from partners.roles import ROLE_CAPABILITIES
from partners.selectors import memberships_active_for_user


def active_membership(request):
    membership = getattr(request, "membership", None)
    user = getattr(request, "user", None)
    if membership is None or user is None:
        return {"active_membership": None, "switchable_memberships": [], "capabilities": frozenset()}
    return {
        "active_membership": membership,
        # The middleware's list when it ran (no second query); otherwise lazy, evaluated only
        # by templates that show the switcher.
        "switchable_memberships": getattr(request, "active_memberships", None)
        or memberships_active_for_user(user=user),
        "capabilities": ROLE_CAPABILITIES.get(membership.role, frozenset()),
    }
