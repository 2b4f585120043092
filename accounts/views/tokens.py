"""API tokens, created only from a session that passed the second factor."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import ApiTokenForm
from accounts.models import ApiToken
from accounts.tokens import api_token_create, api_token_revoke
from cases.views.common import form_errors_from
from partners.models import Membership
from partners.roles import Capability, role_can


def _token_memberships(request: HttpRequest):
    """The caller's own active membership, plus the service accounts of an organisation they
    administer."""
    membership = request.membership
    if membership is None:
        return Membership.objects.none()
    own = Q(pk=membership.pk)
    if role_can(membership.role, Capability.MANAGE_MEMBERS):
        own |= Q(organisation=membership.organisation, user__is_service_account=True, active=True)
    return Membership.objects.filter(own).select_related("user", "organisation")


@never_cache
@require_http_methods(["GET", "POST"])
def tokens_view(request: HttpRequest) -> HttpResponse:
    if request.membership is None:
        raise Http404
    memberships = _token_memberships(request)
    form = ApiTokenForm(request.POST or None, memberships=memberships, initial={"membership": request.membership})
    secret = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            _token, secret = api_token_create(
                by=request.user,
                membership=data["membership"],
                name=data["name"],
                scopes=data["scopes"],
                days=data["days"],
                request=request,
            )
        except (ValidationError, PermissionDenied) as exc:
            form_errors_from(form, exc, request)
        else:
            form = ApiTokenForm(memberships=memberships, initial={"membership": request.membership})
    tokens = ApiToken.objects.filter(membership__in=memberships).select_related("user").order_by("-created_at")
    return render(
        request,
        "accounts/tokens.html",
        {"form": form, "tokens": tokens, "secret": secret},
        status=400 if form.errors else 200,
    )


@require_POST
def token_revoke_view(request: HttpRequest, uuid) -> HttpResponse:
    token = ApiToken.objects.filter(uuid=uuid, membership__in=_token_memberships(request)).first()
    if token is None:
        raise Http404
    api_token_revoke(by=request.user, token=token, request=request)
    messages.success(request, _("The token no longer works."))
    return redirect("accounts:tokens")
