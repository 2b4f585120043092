"""Enrolling an authenticator app: QR code, confirmation, backup codes shown once."""

import time

import segno
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts.forms import EnrolConfirmForm
from accounts.models import TOTPDevice
from accounts.otp import totp_config_url, totp_device_create, totp_secret_base32, user_has_confirmed_device
from accounts.services import enrolment_confirm
from accounts.views.auth import ENROL_ALLOWED_KEY, complete_second_factor
from audit.services import Result, audit_record

PENDING_DEVICE_KEY = "enrol_device"
BACKUP_CODES_KEY = "fresh_backup_codes"
# Set by the re-authentication step on the security page: lets a verified user replace their
# authenticator within the next five minutes.
REAUTH_KEY = "reauth_at"
REAUTH_SECONDS = 5 * 60


def _may_enrol(request: HttpRequest) -> bool:
    """A first device only in a session the enrolment gate opened (an enrolment link, or the
    password of an invitee resuming within 72 hours: auth._no_second_factor); replacing one only
    within five minutes of re-authenticating. After a second-factor reset the password alone
    never enrols a device (it might be all an attacker has)."""
    if not user_has_confirmed_device(request.user):
        return request.session.get(ENROL_ALLOWED_KEY) == request.user.pk
    reauth_at = request.session.get(REAUTH_KEY)
    return request.user.is_verified() and reauth_at is not None and time.time() - reauth_at < REAUTH_SECONDS


def _pending_device(request: HttpRequest) -> TOTPDevice:
    device = TOTPDevice.objects.filter(
        user=request.user, confirmed=False, pk=request.session.get(PENDING_DEVICE_KEY)
    ).first()
    if device is None:
        device = totp_device_create(user=request.user)
        request.session[PENDING_DEVICE_KEY] = device.pk
    return device


@never_cache
@require_http_methods(["GET", "POST"])
def enrol_view(request: HttpRequest) -> HttpResponse:
    if not _may_enrol(request):
        return redirect("accounts:otp_verify")
    device = _pending_device(request)
    form = EnrolConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = enrolment_confirm(device=device, token=form.cleaned_data["code"], request=request)
        if codes is not None:
            request.session.pop(PENDING_DEVICE_KEY, None)
            request.session.pop(REAUTH_KEY, None)
            request.session.pop(ENROL_ALLOWED_KEY, None)
            complete_second_factor(request, device)
            request.session[BACKUP_CODES_KEY] = codes
            messages.success(request, _("Your authenticator app is set up."))
            return redirect("accounts:backup_codes")
        audit_record(action="second_factor.enrol", result=Result.FAILURE, request=request, durable=True)
        form.add_error("code", _("That code does not match. Check the time on your phone and try a new code."))
    return render(
        request,
        "accounts/enrol.html",
        {
            "form": form,
            "secret": totp_secret_base32(device),
            "qr_svg": segno.make(totp_config_url(device), error="m").svg_inline(scale=5, title="QR code"),
        },
    )


@never_cache
@require_GET
def enrol_qr_view(request: HttpRequest) -> HttpResponse:
    """The QR code as an SVG document (for clients that prefer an <img>)."""
    if not _may_enrol(request):
        return HttpResponse(status=404)
    device = _pending_device(request)
    svg = segno.make(totp_config_url(device), error="m").svg_inline(scale=5)
    return HttpResponse(svg, content_type="image/svg+xml")


@never_cache
@require_GET
def backup_codes_view(request: HttpRequest) -> HttpResponse:
    codes = request.session.pop(BACKUP_CODES_KEY, None)
    return render(request, "accounts/backup_codes.html", {"codes": codes})
