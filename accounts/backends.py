from django.conf import settings
from django.contrib.auth.backends import ModelBackend


class PortalModelBackend(ModelBackend):
    """Password authentication with the portal's refusals.

    ``user_can_authenticate`` is also consulted when a session is restored (``get_user``), so
    disabling, locking or a production ban on superusers ends existing sessions at the next
    request, not just new logins.
    """

    def user_can_authenticate(self, user) -> bool:
        if not super().user_can_authenticate(user):
            return False
        if getattr(user, "is_service_account", False) or getattr(user, "locked_at", None) is not None:
            return False
        return not (user.is_superuser and not settings.ALLOW_SUPERUSER_LOGIN)

    # Per-object permissions are decided by the case gateway from the active organisation
    # only, never from every group a user belongs to; this backend grants no global perms
    # to anyone but (outside production) superusers in the admin site.
