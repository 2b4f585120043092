"""Writes for accounts: invitations, enrolment, locking and unlocking."""

import secrets
from datetime import timedelta

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import BackupCodeDevice, Invitation, TOTPDevice, User
from accounts.otp import backup_codes_replace, totp_verify
from accounts.selectors import first_enrolment_open
from audit.services import Result, audit_record
from partners.models import Membership, Organisation
from partners.roles import Capability, Role, role_can
from partners.services import membership_create, membership_end
from portal.utils.crypto import reencrypt_str, sha256_hex


def _new_invitation(
    *,
    purpose: str,
    email: str,
    by: User | None,
    user: User | None = None,
    organisation: Organisation | None = None,
    role: str = "",
    full_name: str = "",
) -> tuple[Invitation, str]:
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        token_hash=sha256_hex(token),
        purpose=purpose,
        email=email.lower(),
        full_name=full_name,
        user=user,
        organisation=organisation,
        role=role,
        created_by=by,
        expires_at=timezone.now() + timedelta(hours=settings.INVITATION_VALID_HOURS),
    )
    return invitation, token


def invitation_url(token: str) -> str:
    return settings.PORTAL_BASE_URL + reverse("accounts:invitation_accept", kwargs={"token": token})


def _send_invitation_email(*, invitation: Invitation, token: str) -> None:
    subject = (
        _("Your invitation to the case coordination portal")
        if invitation.purpose == Invitation.Purpose.ENROL
        else _("Set up your second factor again")
    )
    body = _(
        "Open this link within %(hours)s hours to set your password and enrol your second factor. "
        "It works once.\n\n%(url)s\n\nIf you did not expect this message, tell your organisation admin."
    ) % {"hours": settings.INVITATION_VALID_HOURS, "url": invitation_url(token)}
    # After commit: a rolled-back invitation must not leave a working-looking email behind.
    transaction.on_commit(lambda: send_mail(subject, body, None, [invitation.email]))


def _require_member_manager(*, by: User, organisation: Organisation) -> None:
    if by.is_platform_operator:
        return
    allowed = Membership.objects.filter(user=by, organisation=organisation, active=True).values_list("role", flat=True)
    if not any(role_can(role, Capability.MANAGE_MEMBERS) for role in allowed):
        raise PermissionDenied(_("Only an admin of %(org)s may do this.") % {"org": organisation})


@transaction.atomic
def invitation_create(
    *, email: str, full_name: str, organisation: Organisation, role: str, by: User, request: HttpRequest | None = None
) -> tuple[Invitation, str]:
    """Invite a person to ``organisation``. The platform operator may only invite a first admin."""
    _require_member_manager(by=by, organisation=organisation)
    if by.is_platform_operator and role != Role.ORG_ADMIN:
        raise PermissionDenied(_("The platform operator invites organisation admins only."))
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None and existing.is_platform_operator:
        raise ValidationError({"email": _("The platform operator cannot be a member of an organisation.")})
    if (
        existing is not None
        and Membership.objects.filter(user=existing, organisation=organisation, active=True).exists()
    ):
        raise ValidationError({"email": _("This person is already a member of the organisation.")})
    invitation, token = _new_invitation(
        purpose=Invitation.Purpose.ENROL,
        email=email,
        by=by,
        user=existing,
        organisation=organisation,
        role=role,
        full_name=full_name,
    )
    audit_record(
        action="invitation.create",
        request=request,
        actor=by,
        organisation=organisation,
        obj=invitation,
        details={"email": invitation.email, "role": role},
    )
    _send_invitation_email(invitation=invitation, token=token)
    return invitation, token


@transaction.atomic
def second_factor_reset(
    *, user: User, organisation: Organisation, by: User, request: HttpRequest | None = None
) -> tuple[Invitation, str]:
    """Lost phone: remove the user's devices and issue a new enrolment link."""
    _require_member_manager(by=by, organisation=organisation)
    if not Membership.objects.filter(user=user, organisation=organisation, active=True).exists():
        raise PermissionDenied(_("That person is not a member of your organisation."))
    TOTPDevice.objects.filter(user=user).delete()
    BackupCodeDevice.objects.filter(user=user).delete()
    # The password may have been lost with the phone: the link sets a new one.
    user.set_unusable_password()
    user.save(update_fields=["password"])
    Invitation.objects.filter(user=user, used_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    invitation, token = _new_invitation(
        purpose=Invitation.Purpose.RESET_SECOND_FACTOR, email=user.email, by=by, user=user, organisation=organisation
    )
    audit_record(action="second_factor.reset", request=request, actor=by, organisation=organisation, obj=user)
    _send_invitation_email(invitation=invitation, token=token)
    _notify_user(
        user=user,
        subject=_("Your second factor was reset"),
        body=_("An admin of %(org)s removed your second-factor devices and sent you a new enrolment link.")
        % {"org": organisation},
    )
    return invitation, token


@transaction.atomic
def invitation_accept(
    *, invitation: Invitation, password: str, full_name: str, request: HttpRequest | None = None
) -> User:
    """Use a link once: create (or update) the account, set the password, add the membership."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_usable:
        raise ValidationError(_("This link has expired or has already been used."))
    user = invitation.user or User.objects.filter(email__iexact=invitation.email).first()
    if user is None:
        user = User(email=invitation.email, full_name=full_name or invitation.full_name)
    password_validation.validate_password(password, user)
    if full_name:
        user.full_name = full_name
    user.set_password(password)
    user.is_active = True
    user.save()
    if invitation.purpose == Invitation.Purpose.RESET_SECOND_FACTOR:
        TOTPDevice.objects.filter(user=user).delete()
        BackupCodeDevice.objects.filter(user=user).delete()
    elif (
        invitation.organisation
        and not Membership.objects.filter(user=user, organisation=invitation.organisation, active=True).exists()
    ):
        membership_create(
            user=user,
            organisation=invitation.organisation,
            role=invitation.role,
            by=invitation.created_by,
            request=request,
        )
    invitation.used_at = timezone.now()
    invitation.user = user
    invitation.save(update_fields=["used_at", "user"])
    audit_record(
        action="invitation.accept", request=request, actor=user, organisation=invitation.organisation, obj=invitation
    )
    return user


@transaction.atomic
def enrolment_confirm(*, device: TOTPDevice, token: str, request: HttpRequest | None = None) -> list[str] | None:
    """Confirm a new authenticator with a code from it; returns ten fresh backup codes."""
    if device.confirmed:
        raise ValidationError(_("This device is already confirmed."))
    if not totp_verify(device=device, token=token):
        return None
    others = TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk)
    # Only a confirmed device counts as replaced: an unconfirmed one is what an abandoned
    # enrolment left behind, and telling its owner "your app was replaced" would be a false alarm.
    replaced = others.filter(confirmed=True).count()
    others.delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = backup_codes_replace(user=device.user)
    audit_record(
        action="second_factor.enrol",
        request=request,
        actor=device.user,
        obj=device.user,
        details={"replaced_devices": replaced},
    )
    if replaced:
        _notify_user(
            user=device.user,
            subject=_("Your authenticator app was replaced"),
            body=_(
                "A new authenticator app was set up for your account. If this was not you, "
                "tell your organisation admin at once."
            ),
        )
    return codes


def enrolment_resume(*, user: User, request: HttpRequest | None = None) -> bool:
    """Whether ``user`` may go on to enrol a first device after the password alone (an invitee
    who closed the browser half-way, within the invitation's 72 hours); audited when so."""
    if not first_enrolment_open(user=user):
        return False
    audit_record(action="second_factor.enrol_resume", request=request, actor=user, obj=user)
    return True


def _notify_user(*, user: User, subject: str, body: str) -> None:
    """Security notices about the user's own account: always emailed at once."""
    from notifications.models import Kind
    from notifications.services import notify

    notify(users=[user], kind=Kind.ACCOUNT, subject=subject, body=body)


@transaction.atomic
def backup_codes_regenerate(*, user: User, request: HttpRequest | None = None) -> list[str]:
    """New backup codes (the old ones stop working). Needs a fresh re-authentication (views)."""
    codes = backup_codes_replace(user=user)
    audit_record(action="second_factor.backup_codes_regenerate", request=request, actor=user, obj=user)
    _notify_user(
        user=user,
        subject=_("Your backup codes were replaced"),
        body=_("New backup codes were generated for your account. If this was not you, tell your admin."),
    )
    return codes


@transaction.atomic
def user_lock(*, user: User, request: HttpRequest | None = None) -> None:
    """Lock after the fifth failed password within 15 minutes; stays until an admin unlocks."""
    if user.locked_at is None:
        User.objects.filter(pk=user.pk, locked_at__isnull=True).update(locked_at=timezone.now())
        audit_record(action="auth.lockout", result=Result.DENIED, request=request, actor=user, obj=user)


@transaction.atomic
def user_unlock(*, user: User, organisation: Organisation, by: User, request: HttpRequest | None = None) -> None:
    _require_member_manager(by=by, organisation=organisation)
    if (
        not by.is_platform_operator
        and not Membership.objects.filter(user=user, organisation=organisation, active=True).exists()
    ):
        raise PermissionDenied(_("That person is not a member of your organisation."))
    User.objects.filter(pk=user.pk).update(locked_at=None)
    axes_reset(username=user.email)
    audit_record(action="auth.unlock", request=request, actor=by, organisation=organisation, obj=user)


@transaction.atomic
def user_deactivate(*, user: User, organisation: Organisation, by: User, request: HttpRequest | None = None) -> None:
    """End the user's membership of ``organisation``; with no membership left, disable the user.

    Their session stops working on the next request (accounts.middleware re-checks it).
    """
    _require_member_manager(by=by, organisation=organisation)
    membership = Membership.objects.filter(user=user, organisation=organisation, active=True).first()
    if membership is None:
        raise PermissionDenied(_("That person is not a member of your organisation."))
    if user.pk == by.pk:
        raise ValidationError(_("You cannot deactivate yourself."))
    membership_end(membership=membership, by=by, request=request)
    if not Membership.objects.filter(user=user, active=True).exists():
        User.objects.filter(pk=user.pk).update(is_active=False)
        audit_record(action="user.disable", request=request, actor=by, organisation=organisation, obj=user)


@transaction.atomic
def service_account_create(
    *, organisation: Organisation, name: str, by: User, request: HttpRequest | None = None
) -> User:
    """A partner system's account: no password, no interactive login, API tokens only."""
    _require_member_manager(by=by, organisation=organisation)
    slug = "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-")[:40] or "system"
    email = f"svc-{organisation.short_code}-{slug}-{secrets.token_hex(3)}@service.invalid"
    user = User.objects.create_user(email=email, password=None, full_name=name, is_service_account=True)
    membership_create(user=user, organisation=organisation, role=Role.ANALYST, by=by, request=request)
    audit_record(action="service_account.create", request=request, actor=by, organisation=organisation, obj=user)
    return user


def invitations_purge_expired(*, older_than_days: int = 30) -> int:
    """Delete links whose 72-hour validity ended more than a month ago, used or not.

    They hold only a hash, but stale links are clutter; the audit log keeps the record of who
    invited whom.
    """
    cutoff = timezone.now() - timedelta(days=older_than_days)
    stale = Invitation.objects.filter(expires_at__lt=cutoff)
    deleted, _counts = stale.delete()
    return deleted


def users_disable_inactive(*, days: int = 90) -> int:
    """Disable people who have not signed in for ``days`` (never: counted from joining). Their
    organisation admin can invite them again; the platform operator and service accounts (which
    never sign in) are left alone."""
    cutoff = timezone.now() - timedelta(days=days)
    from django.db.models import Q

    stale = User.objects.filter(is_active=True, is_platform_operator=False, is_service_account=False).filter(
        Q(last_login__lt=cutoff) | Q(last_login__isnull=True, date_joined__lt=cutoff)
    )
    disabled = 0
    for user in stale:
        with transaction.atomic():
            if User.objects.filter(pk=user.pk, is_active=True).update(is_active=False):
                audit_record(action="user.disable_inactive", obj=user, details={"days": days})
                disabled += 1
    return disabled


def user_time_zone_set(*, user: User, time_zone: str, request: HttpRequest | None = None) -> None:
    import zoneinfo

    if time_zone not in zoneinfo.available_timezones():
        raise ValidationError({"time_zone": _("Unknown time zone.")})
    User.objects.filter(pk=user.pk).update(time_zone=time_zone)
    audit_record(action="user.time_zone", request=request, actor=user, obj=user, details={"time_zone": time_zone})


def totp_seeds_reencrypt(*, batch_size: int = 500) -> int:
    """Re-encrypt every authenticator seed under the current (first) field-encryption key.

    Run after prepending a new key to FIELD_ENCRYPTION_KEYS; once it (and selectors_rekey, for
    the selector values) has finished, the old key can be removed without locking anyone out.
    Each batch is its own transaction and a seed already under the current key is rewritten
    harmlessly, so an interrupted run is simply run again.
    """
    done, last_pk = 0, 0
    while True:
        with transaction.atomic():
            batch = list(TOTPDevice.objects.select_for_update().filter(pk__gt=last_pk).order_by("pk")[:batch_size])
            if not batch:
                break
            for device in batch:
                device.key_encrypted = reencrypt_str(device.key_encrypted)
            TOTPDevice.objects.bulk_update(batch, ["key_encrypted"])
            done, last_pk = done + len(batch), batch[-1].pk
    audit_record(action="second_factor.reencrypt", details={"devices": done})
    return done
