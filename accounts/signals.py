"""Receivers for django-axes: a lockout becomes a persistent lock on the account."""

from axes.signals import user_locked_out
from django.dispatch import receiver

from accounts.models import User


@receiver(user_locked_out)
def lock_account_on_axes_lockout(sender, request, username, ip_address, **kwargs):
    from accounts.services import user_lock

    user = User.objects.filter(email__iexact=username or "").first()
    # An unknown username is throttled by axes all the same, and answered identically, so a
    # lockout response never tells whether the account exists.
    if user is not None:
        user_lock(user=user, request=request)
