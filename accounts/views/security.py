"""The user's own security page: replacing the authenticator or the backup codes.

Both need a fresh re-authentication (password and a current code) and tell the user by email.
"""

import time

from django.contrib import messages
from django.contrib.auth import authenticate
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from accounts.forms import ReauthForm, TimeZoneForm
from accounts.models import TOTPDevice
from accounts.otp import backup_codes_remaining
from accounts.services import backup_codes_regenerate, user_time_zone_set
from accounts.views.enrol import BACKUP_CODES_KEY, REAUTH_KEY
from audit.services import Result, audit_record


def _reauthenticated(request: HttpRequest, form: ReauthForm) -> bool:
    user = request.user
    # Through authenticate(), so wrong passwords count towards the account lockout too.
    if authenticate(request, username=user.email, password=form.cleaned_data["password"]) is None:
        return False
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device is not None and device.verify_token(form.cleaned_data["code"])


@never_cache
@sensitive_post_parameters("password", "code")
@require_http_methods(["GET", "POST"])
def security_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and request.POST.get("action") == "time_zone":
        tz_form = TimeZoneForm(request.POST)
        if tz_form.is_valid():
            user_time_zone_set(user=request.user, time_zone=tz_form.cleaned_data["time_zone"], request=request)
            messages.success(
                request, _("Times are now shown in %(zone)s.") % {"zone": tz_form.cleaned_data["time_zone"]}
            )
            return redirect("accounts:security")
        messages.error(request, _("Choose a time zone from the list."))
    form = ReauthForm(request.POST or None)
    action = request.POST.get("action")
    if request.method == "POST" and action in {"backup_codes", "replace_authenticator"} and form.is_valid():
        if not _reauthenticated(request, form):
            audit_record(action="auth.reauth", result=Result.FAILURE, request=request, durable=True)
            form.add_error(None, _("Password or code is wrong."))
        elif action == "backup_codes":
            request.session[BACKUP_CODES_KEY] = backup_codes_regenerate(user=request.user, request=request)
            return redirect("accounts:backup_codes")
        else:
            request.session[REAUTH_KEY] = time.time()
            messages.info(request, _("Scan the new QR code with your authenticator app and confirm it."))
            return redirect("accounts:enrol")
    return render(
        request,
        "accounts/security.html",
        {
            "form": form,
            "devices": TOTPDevice.objects.filter(user=request.user, confirmed=True),
            "backup_codes_left": backup_codes_remaining(user=request.user),
            "tz_form": TimeZoneForm(initial={"time_zone": request.user.time_zone}),
        },
    )
