"""Site-wide session rules: the second factor is mandatory, sessions time out."""

import time
import zoneinfo
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from portal.exemptions import (
    PASSWORD_ONLY_URL_NAMES,
    PUBLIC_PATH_PREFIXES,
    PUBLIC_URL_NAMES,
    TOKEN_AUTHENTICATED_PATH_PREFIXES,
)

SESSION_AUTH_AT = "auth_at"
SESSION_SEEN_AT = "seen_at"
# Last activity is written at most once a minute: the 30-minute idle timeout needs no finer
# clock, and writing it on every request made every page save the session (one more write).
SEEN_AT_PRECISION = 60
# Requests that carry this header (the notification bell, progress bars) are background
# polling: they are served, but they do not count as activity for the idle timeout.
BACKGROUND_HEADER = "HTTP_X_PORTAL_BACKGROUND"


def is_background(request: HttpRequest) -> bool:
    return request.META.get(BACKGROUND_HEADER) == "1"


def redirect_to_login(request: HttpRequest, url_name: str = "accounts:login") -> HttpResponse:
    """Send the browser to a sign-in step, the way the kind of request needs it."""
    url = reverse(url_name)
    if request.method == "GET" and url_name == "accounts:login" and not request.path.startswith("/api/"):
        url = f"{url}?{urlencode({'next': request.get_full_path()})}"
    if getattr(request, "htmx", False):
        # htmx would swap a login form into a fragment; tell it to navigate instead.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Authentication credentials were not provided."}, status=401)
    return HttpResponseRedirect(url)


class SessionTimeoutMiddleware:
    """30 minutes idle or 12 hours in total, whichever comes first, ends the session."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            auth_at = request.session.get(SESSION_AUTH_AT, now)
            seen_at = request.session.get(SESSION_SEEN_AT, auth_at)
            if now - seen_at > settings.SESSION_IDLE_TIMEOUT or now - auth_at > settings.SESSION_ABSOLUTE_TIMEOUT:
                logout(request)
                request.session_expired = True
            elif not is_background(request) and now - seen_at >= SEEN_AT_PRECISION:
                request.session[SESSION_SEEN_AT] = now
        return self.get_response(request)


class VerifiedSessionRequiredMiddleware:
    """Every route requires a session that passed the second factor, except the registry's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(PUBLIC_PATH_PREFIXES):
            return self.get_response(request)
        if request.path_info.startswith(TOKEN_AUTHENTICATED_PATH_PREFIXES) and request.META.get(
            "HTTP_AUTHORIZATION", ""
        ).startswith("Bearer "):
            return self.get_response(request)
        try:
            view_name = resolve(request.path_info).view_name
        except Resolver404:
            view_name = None
        if view_name in PUBLIC_URL_NAMES:
            return self.get_response(request)
        user = request.user
        if user.is_authenticated and user.is_verified():
            return self.get_response(request)
        if user.is_authenticated and view_name in PASSWORD_ONLY_URL_NAMES:
            return self.get_response(request)
        if user.is_authenticated:
            return redirect_to_login(request, "accounts:otp_verify")
        return redirect_to_login(request)


class UserTimeZoneMiddleware:
    """Show times in the user's own time zone (liaison officers work across time zones)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        zone = getattr(user, "time_zone", "") if user.is_authenticated else ""
        try:
            active = zoneinfo.ZoneInfo(zone) if zone else None
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            active = None
        # override() restores the default afterwards: nothing leaks into the next request.
        with timezone.override(active):
            return self.get_response(request)
