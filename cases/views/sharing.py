from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit.services import audit_record
from cases.forms import HandoverForm, ReasonForm, ShareForm
from cases.models import CaseShare, LeadHandover
from cases.selectors import case_get_for_user, case_share_candidates, case_shares, shares_awaiting_approval
from cases.services import (
    case_handover_decide,
    case_handover_propose,
    case_share,
    case_share_decide,
    case_share_revoke,
)
from cases.views.common import form_errors_from, message_from_error, require_case_permission


@require_http_methods(["GET", "POST"])
def case_share_view(request: HttpRequest, uuid) -> HttpResponse:
    access = case_get_for_user(request=request, uuid=uuid, audit_action=None)
    require_case_permission(request, access, "share_case")
    organisations, memberships = case_share_candidates(access=access)
    if request.method == "GET":
        audit_record(action="case.view", request=request, obj=access.case, details={"page": "share"})
    form = ShareForm(request.POST or None, organisations=organisations, memberships=memberships)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            share = case_share(
                access=access,
                organisation=data["organisation"],
                membership=data["membership"],
                level=data["level"],
                reason=data["reason"],
                legal_basis=data["legal_basis"],
                expires_at=data["expires_at"],
                request=request,
            )
        except (ValidationError, PermissionDenied) as exc:
            form_errors_from(form, exc, request)
        else:
            if share.status == CaseShare.Status.PENDING:
                messages.info(request, _("The share waits for a second person of your organisation to approve it."))
            else:
                messages.success(request, _("Shared."))
            return redirect("cases:detail", uuid=uuid)
    return render(
        request,
        "cases/share.html",
        {"form": form, "access": access, "case": access.case, "shares": case_shares(case=access.case)},
        status=400 if form.errors else 200,
    )


def _share_of(access, share_uuid) -> CaseShare:
    share = CaseShare.objects.filter(case=access.case, uuid=share_uuid).first()
    if share is None:
        raise Http404
    return share


@require_POST
def share_decide_view(request: HttpRequest, uuid, share_uuid, decision: str) -> HttpResponse:
    access = case_get_for_user(request=request, uuid=uuid, audit_action=None)
    require_case_permission(request, access, "share_case")
    share = _share_of(access, share_uuid)
    try:
        if decision == "revoke":
            case_share_revoke(
                access=access, share=share, reason=ReasonForm(request.POST).data.get("reason", ""), request=request
            )
            messages.success(request, _("Access revoked."))
        elif decision in ("approve", "reject"):
            case_share_decide(access=access, share=share, approve=decision == "approve", request=request)
            messages.success(request, _("Share approved.") if decision == "approve" else _("Share rejected."))
        else:
            raise Http404
    except (ValidationError, PermissionDenied) as exc:
        message_from_error(request, exc)
    return redirect("cases:detail", uuid=uuid)


@require_POST
def handover_propose_view(request: HttpRequest, uuid) -> HttpResponse:
    access = case_get_for_user(request=request, uuid=uuid, audit_action=None)
    require_case_permission(request, access, "share_case")
    organisations, _members = case_share_candidates(access=access)
    form = HandoverForm(request.POST, organisations=organisations)
    if form.is_valid():
        try:
            case_handover_propose(
                access=access,
                organisation=form.cleaned_data["organisation"],
                reason=form.cleaned_data["reason"],
                request=request,
            )
            messages.success(request, _("The other organisation is asked to take over the lead."))
        except (ValidationError, PermissionDenied) as exc:
            message_from_error(request, exc)
    else:
        messages.error(request, _("Choose an organisation and give a reason."))
    return redirect("cases:detail", uuid=uuid)


@require_POST
def handover_decide_view(request: HttpRequest, uuid, handover_uuid, decision: str) -> HttpResponse:
    access = case_get_for_user(request=request, uuid=uuid, audit_action=None)
    handover = LeadHandover.objects.filter(case=access.case, uuid=handover_uuid).first()
    if handover is None or decision not in ("accept", "decline"):
        raise Http404
    try:
        case_handover_decide(access=access, handover=handover, accept=decision == "accept", request=request)
        messages.success(
            request, _("Your organisation now leads this case.") if decision == "accept" else _("Handover declined.")
        )
    except (ValidationError, PermissionDenied) as exc:
        message_from_error(request, exc)
    return redirect("cases:detail", uuid=uuid)


@require_GET
def approvals_view(request: HttpRequest) -> HttpResponse:
    audit_record(action="case.list", request=request, details={"view": "approvals"})
    return render(request, "cases/approvals.html", {"pending": shares_awaiting_approval(membership=request.membership)})
