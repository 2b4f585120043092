import ipaddress
import uuid

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address, trusting exactly TRUSTED_PROXY_COUNT reverse proxies."""
    if request is None:
        return None
    raw = request.META.get("REMOTE_ADDR") or ""
    proxies = getattr(settings, "AXES_IPWARE_PROXY_COUNT", None) or 0
    if proxies:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= proxies:
            raw = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        return None


def parse_uuid(value) -> uuid.UUID | None:
    """A UUID from untrusted input, or None (so a lookup answers 404 instead of crashing)."""
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None
