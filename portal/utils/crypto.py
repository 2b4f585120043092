"""Field encryption and keyed digests, with keys from settings (never from the database).

Encryption uses Fernet (AES-128-CBC + HMAC-SHA256) through ``MultiFernet``: the first key in
``FIELD_ENCRYPTION_KEYS`` encrypts, every key decrypts, so keys rotate by prepending a new one
and re-encrypting stored values.
"""

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class DecryptionError(Exception):
    """A stored value could not be decrypted with any configured key."""


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def _current_fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt_str(plaintext: str) -> str:
    return _current_fernet().encrypt(plaintext.encode()).decode()


def decrypt_str(token: str) -> str:
    try:
        return _current_fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("no configured FIELD_ENCRYPTION_KEYS entry decrypts this value") from exc


def reencrypt_str(token: str) -> str:
    """Re-encrypt under the current (first) key; used by key rotation."""
    try:
        return _current_fernet().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("no configured FIELD_ENCRYPTION_KEYS entry decrypts this value") from exc


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def keyed_digest(value: str, *, purpose: str) -> str:
    """HMAC-SHA256 of ``value`` under SECRET_KEY, separated by purpose.

    For short secrets (backup codes) a keyed digest means a stolen database alone does not
    allow brute-forcing them offline.
    """
    key = hashlib.sha256(f"{purpose}:{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
