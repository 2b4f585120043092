"""Rotating the field-encryption key: after re-encryption the old key can go and every
authenticator still works."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command

from accounts.models import TOTPDevice
from accounts.otp import totp_code_now, totp_device_create
from accounts.services import totp_seeds_reencrypt
from audit.models import AuditEvent
from portal.utils.crypto import DecryptionError, decrypt_str
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_seeds_survive_dropping_the_old_key(settings, capsys):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    devices = [totp_device_create(user=UserFactory()) for _ in range(3)]
    codes = [totp_code_now(d, at=1_800_000_000) for d in devices]
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    call_command("totp_reencrypt")
    assert f"{TOTPDevice.objects.count()} authenticator seeds re-encrypted" in capsys.readouterr().out
    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key is gone
    for device, code in zip(devices, codes, strict=True):
        device = TOTPDevice.objects.get(pk=device.pk)
        assert totp_code_now(device, at=1_800_000_000) == code
    settings.FIELD_ENCRYPTION_KEYS = [old_key]  # and the old key alone no longer reads them
    with pytest.raises(DecryptionError):
        decrypt_str(TOTPDevice.objects.first().key_encrypted)
    assert AuditEvent.objects.filter(action="second_factor.reencrypt").exists()
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    assert totp_seeds_reencrypt(batch_size=2) == TOTPDevice.objects.count()  # batches; a rerun is harmless
    assert all(decrypt_str(d.key_encrypted) for d in TOTPDevice.objects.all())
