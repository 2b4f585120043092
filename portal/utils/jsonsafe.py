"""Make untrusted text storable in a PostgreSQL ``jsonb`` column.

``jsonb`` refuses two things Python strings may hold: the NUL character (``\\u0000``) and
unpaired UTF-16 surrogates. Both arrive easily in query strings and uploaded files, and the
places that store such text verbatim (audit details, import error lists) must never fail
because of it: an audit write that raises turns a harmless bad request into a 500 and loses
the record of it. Each offending character becomes U+FFFD, so the record still shows that
something odd was sent.
"""

from __future__ import annotations

import json
import re
from typing import Any

REPLACEMENT = "\ufffd"


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def jsonb_text(value: str) -> str:
    # One regular-expression pass (the text of every audit event goes through here).
    return _UNSTORABLE.sub(REPLACEMENT, value)


def jsonb_safe(value: Any) -> Any:
    """A JSON-compatible copy of ``value`` (``str()`` for anything else) that ``jsonb`` accepts."""
    plain = json.loads(json.dumps(value, default=str))
    return _clean(plain)


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return jsonb_text(value)
    if isinstance(value, list):
        return [_clean(item) for item in value]
    if isinstance(value, dict):
        return {jsonb_text(key): _clean(item) for key, item in value.items()}
    return value
