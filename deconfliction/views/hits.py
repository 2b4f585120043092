from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from audit.services import audit_record
from cases.views.common import message_from_error
from deconfliction.forms import HitActionForm
from deconfliction.selectors import conflicts_of, hit_get_for_member, hits_for_organisation
from deconfliction.services import hit_acknowledge, hit_coordinate, hit_resolve


@require_GET
def desk_view(request: HttpRequest) -> HttpResponse:
    """The organisation's deconfliction desk: open hits, overdue first."""
    show_all = request.GET.get("all") == "1"
    hits = list(hits_for_organisation(membership=request.membership, open_only=not show_all)[:500])
    audit_record(action="hit.list", request=request, details={"total": len(hits), "all": show_all})
    org_id = request.membership.organisation_id if request.membership else None
    rows = [(hit, hit.other_organisation(org_id), hit.acknowledged_by(org_id)) for hit in hits]
    conflicts = conflicts_of(membership=request.membership)
    return render(request, "deconfliction/desk.html", {"rows": rows, "show_all": show_all, "conflicts": conflicts})


@require_GET
def hit_detail_view(request: HttpRequest, uuid) -> HttpResponse:
    view = hit_get_for_member(request=request, uuid=uuid)
    return render(request, "deconfliction/hit.html", {"view": view, "hit": view.hit, "form": HitActionForm()})


@require_POST
def hit_action_view(request: HttpRequest, uuid, action: str) -> HttpResponse:
    view = hit_get_for_member(request=request, uuid=uuid, audit_action=None)
    form = HitActionForm(request.POST)
    if action not in ("acknowledge", "coordinate", "resolve") or not form.is_valid():
        raise Http404
    data = form.cleaned_data
    try:
        if action == "acknowledge":
            hit_acknowledge(membership=request.membership, hit=view.hit, note=data["note"], request=request)
        elif action == "coordinate":
            hit_coordinate(membership=request.membership, hit=view.hit, note=data["note"], request=request)
        else:
            hit_resolve(
                membership=request.membership, hit=view.hit, outcome=data["outcome"], note=data["note"], request=request
            )
        messages.success(request, _("Saved. Both sides see the new status."))
    except (ValidationError, PermissionDenied) as exc:
        message_from_error(request, exc)
    return redirect("deconfliction:hit", uuid=uuid)
