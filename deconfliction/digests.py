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
# Registrations lock hash buckets of their digests, not the digests themselves, so a batch of
# 10,000 takes at most LOCK_BUCKETS advisory locks. max_locks_per_transaction (64 by default) is
# not a per-transaction cap: PostgreSQL sizes one shared lock table for
# max_locks_per_transaction x (max_connections + max_prepared_transactions) locks, 6,400 on
# default settings, and any transaction may use more than 64 of them while there is room. 256
# buckets therefore worked, but a handful of concurrent batches could take a large share of
# that table. 64 buckets keep a batch within the nominal 64 per transaction. The price is
# coarser locking: two single registrations wait for each other when their digests share a
# bucket (1 in 64 instead of 1 in 256), for the few milliseconds a registration holds its
# locks. A batch of a thousand digests covers nearly every bucket either way (98% of 256, all
# of 64), so large batches serialise with each other whatever the number.
LOCK_BUCKETS = 64


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
    _lock_buckets({bucket_of(d) for d in digests})


def lock_all_buckets() -> None:
    """Every bucket, in order. Re-keying changes digests all over the table: it takes every
    bucket before it locks any selector row, as registrations do (buckets first, then rows),
    so the two cannot deadlock; a re-keying batch would touch nearly every bucket anyway."""
    _lock_buckets(range(LOCK_BUCKETS))


def _lock_buckets(buckets) -> None:
    if connection.vendor != "postgresql":
        return
    buckets = sorted(buckets)
    if not buckets:
        return
    # One round trip; the ordered subquery makes PostgreSQL take the locks in bucket order.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_advisory_xact_lock(%s, b)) FROM (SELECT unnest(%s::int[]) AS b ORDER BY 1) AS ordered",
            [LOCK_NAMESPACE, buckets],
        )
