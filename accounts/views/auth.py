"""Sign-in: the password step, the second-factor step, sign-out."""

import time

from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from accounts.forms import GENERIC_LOGIN_ERROR, LoginForm, OTPForm
from accounts.middleware import SESSION_AUTH_AT, SESSION_SEEN_AT
from accounts.models import BackupCodeDevice, TOTPDevice
from accounts.otp import user_has_confirmed_device
from accounts.selectors import invitation_pending_exists
from accounts.services import enrolment_resume
from accounts.throttle import ip_record_failure, ip_wait_seconds
from audit.services import Result, audit_record
from partners.selectors import membership_active_get
from portal.utils.http import client_ip

NEXT_SESSION_KEY = "login_next"
# Set when an enrolment link was used in this session, or when an invitee resumes an abandoned
# enrolment with their password (_no_second_factor): the only ways to enrol a first device.
ENROL_ALLOWED_KEY = "enrol_allowed"


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(candidate, {request.get_host()}, request.is_secure()):
        return candidate
    return reverse("portal:home")


def _start_session_clock(request: HttpRequest) -> None:
    now = time.time()
    request.session[SESSION_AUTH_AT] = now
    request.session[SESSION_SEEN_AT] = now


def lockout_response(request: HttpRequest, credentials=None, *args, **kwargs) -> HttpResponse:
    """What django-axes answers for a locked username: the same page as any failed login."""
    form = LoginForm(request.POST or None)
    form.is_valid()
    form.errors.clear()
    form.add_error(None, GENERIC_LOGIN_ERROR)
    return render(request, "accounts/login.html", {"form": form}, status=200)


@never_cache
@sensitive_post_parameters("password")
@csrf_protect
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.user.is_verified():
        return redirect("portal:home")
    form = LoginForm(request.POST or None)
    if request.method == "GET":
        request.session[NEXT_SESSION_KEY] = _safe_next(request, request.GET.get("next"))
        return render(request, "accounts/login.html", {"form": form, "expired": request.GET.get("expired")})

    ip = client_ip(request)
    wait = ip_wait_seconds(ip)
    if wait:
        form.add_error(None, _("Too many failed sign-ins from your network. Try again in %(s)s seconds.") % {"s": wait})
        response = render(request, "accounts/login.html", {"form": form}, status=429)
        response["Retry-After"] = str(wait)
        return response

    user = None
    if form.is_valid():
        user = authenticate(request, username=form.cleaned_data["username"], password=form.cleaned_data["password"])
    if user is None:
        ip_record_failure(ip)
        audit_record(
            action="auth.login",
            result=Result.FAILURE,
            request=request,
            durable=True,
            details={"username": (request.POST.get("username") or "")[:254].lower()},
        )
        form.errors.clear()
        form.add_error(None, GENERIC_LOGIN_ERROR)
        return render(request, "accounts/login.html", {"form": form})

    next_url = request.session.get(NEXT_SESSION_KEY)
    login(request, user)  # rotates the session key
    request.session[NEXT_SESSION_KEY] = next_url
    _start_session_clock(request)
    audit_record(action="auth.password", request=request, actor=user)
    if not user_has_confirmed_device(user):
        return _no_second_factor(request)
    return redirect("accounts:otp_verify")


def _no_second_factor(request: HttpRequest) -> HttpResponse:
    """No device (a new account, or one whose second factor was reset): the enrolment link from
    the email sets one up. The password alone does only for an invitee who has never had a
    device, while the invitation's 72 hours last (see enrolment_resume)."""
    user = request.user
    if request.session.get(ENROL_ALLOWED_KEY) == user.pk:
        return redirect("accounts:enrol")
    if enrolment_resume(user=user, request=request):
        # The session key was rotated by login() at the password step; the OTP step rotates it
        # again when the new device is confirmed, as for enrolment straight from the link.
        request.session[ENROL_ALLOWED_KEY] = user.pk
        return redirect("accounts:enrol")
    link_pending = invitation_pending_exists(user=user)
    logout(request)
    if link_pending:
        message = _(
            "Your account has no second factor. Use the enrolment link your organisation admin "
            "sent you, or ask them for a new one."
        )
    else:
        message = _(
            "Your account has no second factor, and the time to set one up with your invitation "
            "has passed. Ask your organisation admin for a new enrolment link."
        )
    messages.error(request, message)
    return redirect("accounts:login")


def _verify_code(user, code: str):
    """Try the one kind of device the code looks like, so a wrong code throttles only that one."""
    cleaned = code.strip().replace(" ", "")
    if cleaned.isdigit():
        devices = TOTPDevice.objects.filter(user=user, confirmed=True)
    else:
        devices = BackupCodeDevice.objects.filter(user=user, confirmed=True)
    throttled = False
    for device in devices:
        if not device.verify_is_allowed()[0]:
            throttled = True
            continue
        if device.verify_token(cleaned):
            return device, False
    return None, throttled


def complete_second_factor(request: HttpRequest, device) -> None:
    """Mark the session verified and rotate its key (django-otp's login does not)."""
    otp_login(request, device)
    request.session.cycle_key()
    _start_session_clock(request)
    # The membership middleware ran before the session was verified; resolve it now so the
    # login event names the organisation the user starts acting for.
    request.membership = membership_active_get(user=request.user, membership_id=None)
    audit_record(
        action="auth.login", request=request, actor=request.user, details={"device": device.__class__.__name__}
    )


@never_cache
@sensitive_post_parameters("code")
@csrf_protect
@require_http_methods(["GET", "POST"])
def otp_verify_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.is_verified():
        return redirect("portal:home")
    if not user_has_confirmed_device(user):
        return _no_second_factor(request)
    form = OTPForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device, throttled = _verify_code(user, form.cleaned_data["code"])
        if device is not None:
            complete_second_factor(request, device)
            return HttpResponseRedirect(_safe_next(request, request.session.pop(NEXT_SESSION_KEY, None)))
        audit_record(
            action="auth.otp",
            result=Result.FAILURE,
            request=request,
            actor=user,
            durable=True,
            details={"throttled": throttled},
        )
        form.add_error(
            "code",
            _("Too many wrong codes: wait a little and try again.")
            if throttled
            else _("That code is not valid. Codes are valid for 30 seconds and can be used once."),
        )
    return render(request, "accounts/otp_verify.html", {"form": form})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        audit_record(action="auth.logout", request=request)
    logout(request)
    messages.info(request, _("You have been signed out."))
    return redirect("accounts:login")
