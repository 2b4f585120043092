"""Organisation admins manage their own members: invite, change role, deactivate, unlock,
reset a second factor, create service accounts."""

from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import services as account_services
from audit.services import audit_denied
from partners.forms import InviteForm, RoleForm, ServiceAccountForm
from partners.roles import Capability, role_can
from partners.selectors import members_of_organisation, membership_get_in_organisation
from partners.services import membership_change_role


def member_admin_required(view):
    """Only an org admin acting for the organisation; to anyone else the pages do not exist."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        membership = request.membership
        if membership is None or not role_can(membership.role, Capability.MANAGE_MEMBERS):
            audit_denied(request, action="members.access")
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _apply(request: HttpRequest, action, success: str) -> None:
    try:
        action()
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, success)


@member_admin_required
@require_GET
def member_list_view(request: HttpRequest) -> HttpResponse:
    organisation = request.membership.organisation
    return render(
        request,
        "partners/members.html",
        {
            "organisation": organisation,
            "members": members_of_organisation(organisation=organisation),
            "invite_form": InviteForm(),
            "service_form": ServiceAccountForm(),
            "role_form": RoleForm(),
        },
    )


@member_admin_required
@require_http_methods(["POST"])
def member_invite_view(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST)
    if not form.is_valid():
        organisation = request.membership.organisation
        return render(
            request,
            "partners/members.html",
            {
                "organisation": organisation,
                "members": members_of_organisation(organisation=organisation),
                "invite_form": form,
                "service_form": ServiceAccountForm(),
                "role_form": RoleForm(),
            },
            status=400,
        )
    _apply(
        request,
        lambda: account_services.invitation_create(
            organisation=request.membership.organisation, by=request.user, request=request, **form.cleaned_data
        ),
        _("Invitation sent to %(email)s. The link is valid for 72 hours.") % {"email": form.cleaned_data["email"]},
    )
    return redirect("partners:members")


@member_admin_required
@require_POST
def member_action_view(request: HttpRequest, uuid, action: str) -> HttpResponse:
    organisation = request.membership.organisation
    membership = membership_get_in_organisation(organisation=organisation, uuid=uuid)
    target = membership.user
    common = {"organisation": organisation, "by": request.user, "request": request}
    if action == "deactivate":
        _apply(
            request,
            lambda: account_services.user_deactivate(user=target, **common),
            _("%(name)s no longer has access through %(org)s.") % {"name": target, "org": organisation},
        )
    elif action == "unlock":
        _apply(
            request,
            lambda: account_services.user_unlock(user=target, **common),
            _("%(name)s is unlocked.") % {"name": target},
        )
    elif action == "reset-second-factor":
        _apply(
            request,
            lambda: account_services.second_factor_reset(user=target, **common),
            _("A new enrolment link was sent to %(email)s.") % {"email": target.email},
        )
    elif action == "role":
        form = RoleForm(request.POST)
        if form.is_valid():
            _apply(
                request,
                lambda: membership_change_role(
                    membership=membership, role=form.cleaned_data["role"], by=request.user, request=request
                ),
                _("Role changed."),
            )
        else:
            messages.error(request, _("Choose a valid role."))
    else:
        raise Http404
    return redirect("partners:members")


@member_admin_required
@require_POST
def service_account_create_view(request: HttpRequest) -> HttpResponse:
    form = ServiceAccountForm(request.POST)
    if form.is_valid():
        _apply(
            request,
            lambda: account_services.service_account_create(
                organisation=request.membership.organisation,
                name=form.cleaned_data["name"],
                by=request.user,
                request=request,
            ),
            _("Service account created. Create an API token for it to connect a system."),
        )
    else:
        messages.error(request, _("Give the system a name."))
    return redirect("partners:members")
