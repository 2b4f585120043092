"""Second-factor devices: creating, verifying and describing them.

The accepted TOTP window is the current 30-second step plus one step either side
(``OTP_TOTP_TOLERANCE = 1``). Each device remembers the last step it accepted, so a code is
accepted once: the same code again, or an older one, is refused. Wrong codes are throttled per
device with a delay that doubles after every consecutive failure (django-otp's
ThrottlingMixin), which leaves the user's other devices (backup codes) usable.
"""

import secrets
import time
from base64 import b32encode
from urllib.parse import quote, urlencode

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.oath import TOTP

from accounts.models import BackupCode, BackupCodeDevice, TOTPDevice, User
from portal.utils.crypto import decrypt_str, encrypt_str, keyed_digest

BACKUP_CODE_COUNT = 10
_BACKUP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no look-alikes (0/o, 1/l/i)


def totp_secret_bytes(device: TOTPDevice) -> bytes:
    return bytes.fromhex(decrypt_str(device.key_encrypted))


def totp_secret_base32(device: TOTPDevice) -> str:
    return b32encode(totp_secret_bytes(device)).decode().rstrip("=")


def totp_config_url(device: TOTPDevice) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    issuer = settings.OTP_TOTP_ISSUER
    label = f"{issuer}:{device.user.email}"
    params = {
        "secret": totp_secret_base32(device),
        "algorithm": "SHA1",
        "digits": device.digits,
        "period": device.step,
        "issuer": issuer,
    }
    return f"otpauth://totp/{quote(label)}?{urlencode(params)}"


def totp_device_create(*, user: User, name: str = "Authenticator app", key: bytes | None = None) -> TOTPDevice:
    """An unconfirmed device; it counts only after the user confirms a code from it."""
    secret = key if key is not None else secrets.token_bytes(20)
    return TOTPDevice.objects.create(user=user, name=name, confirmed=False, key_encrypted=encrypt_str(secret.hex()))


def totp_code_now(device: TOTPDevice, *, at: float | None = None) -> str:
    totp = TOTP(totp_secret_bytes(device), device.step, 0, device.digits, device.drift)
    totp.time = at if at is not None else time.time()
    return f"{totp.token():0{device.digits}d}"


def totp_verify(*, device: TOTPDevice, token: str) -> bool:
    token = token.strip().replace(" ", "")
    if not (token.isdigit() and len(token) == device.digits):
        device.throttle_increment(commit=True)
        return False
    with transaction.atomic():
        # Lock the row: two requests racing with the same code must not both pass.
        locked = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        allowed, _details = locked.verify_is_allowed()
        if not allowed:
            return False
        totp = TOTP(totp_secret_bytes(locked), locked.step, 0, locked.digits, locked.drift)
        totp.time = time.time()
        verified = totp.verify(int(token), settings.OTP_TOTP_TOLERANCE, locked.last_t + 1)
        if verified:
            locked.last_t = totp.t()
            locked.drift = totp.drift
            locked.throttle_reset(commit=False)
            locked.set_last_used_timestamp(commit=False)
            locked.save()
        else:
            locked.throttle_increment(commit=True)
    device.refresh_from_db()
    return verified


def _new_backup_code() -> str:
    raw = "".join(secrets.choice(_BACKUP_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def _normalise_backup_code(token: str) -> str:
    cleaned = token.strip().lower().replace("-", "").replace(" ", "")
    return f"{cleaned[:5]}-{cleaned[5:]}"


def backup_codes_replace(*, user: User, codes: list[str] | None = None) -> list[str]:
    """Replace the user's backup codes with ten new ones and return them (shown once)."""
    plain = codes if codes is not None else [_new_backup_code() for _ in range(BACKUP_CODE_COUNT)]
    with transaction.atomic():
        BackupCodeDevice.objects.filter(user=user).delete()
        device = BackupCodeDevice.objects.create(user=user, name="Backup codes", confirmed=True)
        BackupCode.objects.bulk_create(
            BackupCode(device=device, code_digest=keyed_digest(_normalise_backup_code(c), purpose="backup-code"))
            for c in plain
        )
    return plain


def backup_code_verify(*, device: BackupCodeDevice, token: str) -> bool:
    digest = keyed_digest(_normalise_backup_code(token), purpose="backup-code")
    with transaction.atomic():
        locked = BackupCodeDevice.objects.select_for_update().get(pk=device.pk)
        allowed, _details = locked.verify_is_allowed()
        if not allowed:
            return False
        used = BackupCode.objects.filter(device=locked, code_digest=digest, used_at__isnull=True).update(
            used_at=timezone.now()
        )
        if used:
            locked.throttle_reset(commit=True)
        else:
            locked.throttle_increment(commit=True)
    device.refresh_from_db()
    return bool(used)


def backup_codes_remaining(*, user: User) -> int:
    return BackupCode.objects.filter(device__user=user, used_at__isnull=True).count()


def user_has_confirmed_device(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()
