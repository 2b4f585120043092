from django.contrib.auth import login, logout
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from accounts.forms import SetPasswordForm
from accounts.selectors import invitation_get_by_token
from accounts.services import invitation_accept
from accounts.views.auth import ENROL_ALLOWED_KEY, _start_session_clock


@never_cache
@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    invitation = invitation_get_by_token(token=token)
    if invitation is None or not invitation.is_usable:
        return render(request, "accounts/invitation_invalid.html", status=404)
    form = SetPasswordForm(request.POST or None, initial={"full_name": invitation.full_name})
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_accept(
                invitation=invitation,
                password=form.cleaned_data["password1"],
                full_name=form.cleaned_data["full_name"],
                request=request,
            )
        except ValidationError as exc:
            form.add_error("password1" if hasattr(exc, "error_list") else None, exc)
        else:
            if request.user.is_authenticated:
                logout(request)
            login(request, user, backend="accounts.backends.PortalModelBackend")
            _start_session_clock(request)
            request.session[ENROL_ALLOWED_KEY] = user.pk
            return redirect("accounts:enrol")
    return render(request, "accounts/invitation_accept.html", {"form": form, "invitation": invitation})
