from django.utils import timezone

from accounts.models import Invitation, User
from accounts.otp import user_has_confirmed_device
from audit.models import AuditEvent
from portal.utils.crypto import sha256_hex


def invitation_get_by_token(*, token: str) -> Invitation | None:
    if not token or len(token) > 128:
        return None
    return Invitation.objects.select_related("organisation").filter(token_hash=sha256_hex(token)).first()


def invitation_pending_exists(*, user: User) -> bool:
    """Whether a link sent to ``user`` can still be used (for the message on the sign-in page)."""
    return Invitation.objects.filter(
        user=user, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).exists()


def first_enrolment_open(*, user: User) -> bool:
    """Whether the password alone may lead ``user`` to enrolling a first device.

    An invitee who set a password with their link and then closed the browser before confirming
    a code may resume within the link's own validity (72 hours from sending it), so
    an interruption does not cost them a new link. Never for an account that has had a device:
    after a second-factor reset (a lost phone) the password may be all an attacker holds, so
    only the new link enrols, and a device removed any other way is treated the same.
    """
    if user_has_confirmed_device(user):
        return False
    accepted = Invitation.objects.filter(
        user=user, purpose=Invitation.Purpose.ENROL, used_at__isnull=False, expires_at__gt=timezone.now()
    )
    if not accepted.exists():
        return False
    # Devices are deleted by a reset; the append-only audit log is what remembers that one was
    # ever confirmed, or reset (its link's row is purged a month after it expires).
    return not AuditEvent.objects.filter(
        object_type="accounts.user",
        object_id=str(user.uuid),
        action__in=("second_factor.enrol", "second_factor.reset"),
        result=AuditEvent.Result.SUCCESS,
    ).exists()
