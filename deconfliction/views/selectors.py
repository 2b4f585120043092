from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from audit.services import audit_record
from cases.selectors import case_get_for_user
from cases.views.common import form_errors_from, message_from_error, require_case_permission
from deconfliction.forms import SelectorForm
from deconfliction.selectors import selector_of_case, selectors_of_case
from deconfliction.services import ALLOWED_KINDS, selector_deactivate, selector_register, selector_renew


@require_http_methods(["GET", "POST"])
def case_selectors_view(request: HttpRequest, uuid) -> HttpResponse:
    access = case_get_for_user(request=request, uuid=uuid, audit_action=None)
    form = SelectorForm(request.POST or None)
    if request.method == "POST":
        require_case_permission(request, access, "contribute_case")
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = selector_register(
                    access=access,
                    kind=data["kind"],
                    value=data["value"],
                    qualifier=data["qualifier"] or None,
                    note=data["note"],
                    reason=data["reason"],
                    request=request,
                )
            except (ValidationError, PermissionDenied) as exc:
                form_errors_from(form, exc, request)
            else:
                if result.status == "already_registered":
                    messages.info(request, _("This selector is already registered on this case."))
                elif result.hits:
                    messages.warning(request, _("Registered. It is also held elsewhere: see the hit(s) below."))
                else:
                    messages.success(request, _("Registered. No other case holds it."))
                return redirect("deconfliction:case_selectors", uuid=uuid)
    else:
        audit_record(action="case.view", request=request, obj=access.case, details={"page": "selectors"})
    own = selectors_of_case(access=access)
    return render(
        request,
        "deconfliction/case_selectors.html",
        {
            "access": access,
            "case": access.case,
            "form": form,
            "own": own,
            "may_register": access.can_contribute and bool(ALLOWED_KINDS.get(access.membership.organisation.kind)),
        },
        status=400 if form.errors else 200,
    )


@require_POST
def selector_action_view(request: HttpRequest, uuid, selector_uuid, action: str) -> HttpResponse:
    access = case_get_for_user(request=request, uuid=uuid, audit_action=None)
    require_case_permission(request, access, "contribute_case")
    if action not in ("renew", "deactivate"):
        raise Http404
    selector = selector_of_case(access=access, uuid=selector_uuid)
    try:
        if action == "renew":
            selector_renew(access=access, selector=selector, request=request)
            messages.success(request, _("Renewed for another year."))
        else:
            selector_deactivate(access=access, selector=selector, request=request)
            messages.success(request, _("The selector no longer matches."))
    except (ValidationError, PermissionDenied) as exc:
        message_from_error(request, exc)
    return redirect("deconfliction:case_selectors", uuid=uuid)
