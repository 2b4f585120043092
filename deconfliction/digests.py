"""Keyed digests of normalised selectors, and the locks that make matching race-free.

HMAC-SHA256 under a server-side key means the database alone (or a backup of it) cannot be used
to test guesses: without the key a digest reveals nothing. Keys are versioned
(SELECTOR_HMAC_KEYS, "version:base64", current first) and matching covers every configured
version, so a new key can be introduced before ``selectors_rekey`` has recomputed the table.
"""

import base64
import hashlib
import hmac
from functools import lru_cache

from django.conf import settings
from django.db import connection

LOCK_NAMESPACE = 0x5E1E  # pg_advisory_xact_lock(namespace, bucket): our locks only
LOCK_BUCKETS = 256  # a batch takes at most this many locks, far below max_locks_per_transaction


@lru_cache(maxsize=8)
def _parse(keys: tuple[str, ...]) -> tuple[tuple[int, bytes], ...]:
    parsed = []
    for entry in keys:
        version, _, encoded = entry.partition(":")
        parsed.append((int(version), base64.b64decode(encoded)))
    return tuple(parsed)


def hmac_keys() -> tuple[tuple[int, bytes], ...]:
    return _parse(tuple(settings.SELECTOR_HMAC_KEYS))


def current_key_version() -> int:
    return hmac_keys()[0][0]


def _digest(key: bytes, kind: str, value: str) -> str:
    return hmac.new(key, f"{kind}\x1f{value}".encode(), hashlib.sha256).hexdigest()


def digest_current(kind: str, value: str) -> tuple[int, str]:
    version, key = hmac_keys()[0]
    return version, _digest(key, kind, value)


def digests_all_versions(kind: str, value: str) -> list[str]:
    """The digest under every configured key: what a new registration must match against."""
    return [_digest(key, kind, value) for _version, key in hmac_keys()]


def bucket_of(digest: str) -> int:
    return int(digest[:8], 16) % LOCK_BUCKETS


def lock_digests(digests) -> None:
    """Serialise registrations of the same digests until the transaction ends.

    Two organisations registering one value at the same moment would otherwise each look for
    the other before either had committed, and neither would see the hit. Buckets are locked
    in sorted order, so concurrent batches cannot deadlock. SQLite serialises writers anyway.
    """
    if connection.vendor != "postgresql":
        return
    buckets = sorted({bucket_of(d) for d in digests})
    if not buckets:
        return
    # One round trip; the ordered subquery makes PostgreSQL take the locks in bucket order.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_advisory_xact_lock(%s, b)) FROM (SELECT unnest(%s::int[]) AS b ORDER BY 1) AS ordered",
            [LOCK_NAMESPACE, buckets],
        )
