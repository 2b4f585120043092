"""Slowing floods of failed logins from one address, without locking anyone out.

A whole police office can share one public address, so an address is never locked: after
LOGIN_IP_SLOWDOWN_AFTER failures within 15 minutes, each further attempt from it has to wait
a delay that doubles per failure (capped at a minute). Accounts are locked by username instead
(django-axes).
"""

import time

from django.conf import settings
from django.core.cache import cache

WINDOW_SECONDS = 15 * 60
MAX_DELAY_SECONDS = 60


def _key(ip: str | None) -> str:
    return f"login-fail:{ip or 'unknown'}"


def ip_wait_seconds(ip: str | None) -> int:
    state = cache.get(_key(ip))
    if not state:
        return 0
    failures, last = state
    excess = failures - settings.LOGIN_IP_SLOWDOWN_AFTER
    if excess < 0:
        return 0
    delay = min(2**excess, MAX_DELAY_SECONDS)
    remaining = int(last + delay - time.time()) + 1
    return max(remaining, 0)


def ip_record_failure(ip: str | None) -> None:
    failures, _last = cache.get(_key(ip)) or (0, 0.0)
    cache.set(_key(ip), (failures + 1, time.time()), WINDOW_SECONDS)
