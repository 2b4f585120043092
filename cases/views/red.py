"""The organisation admin's page for RED cases: name colleagues without reading the case."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from audit.services import audit_denied, audit_record
from cases.constants import AccessLevel
from cases.models import Case
from cases.selectors import red_cases_led_by
from cases.services import case_red_name_colleague
from partners.models import Membership
from partners.roles import Capability, role_can
from portal.utils.http import parse_uuid


@require_http_methods(["GET", "POST"])
def red_cases_view(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    if membership is None or not role_can(membership.role, Capability.NAME_RED_COLLEAGUES):
        audit_denied(request, action="case.red_admin")
        raise Http404
    organisation = membership.organisation
    if request.method == "POST":
        case = red_cases_led_by(organisation=organisation).filter(uuid=parse_uuid(request.POST.get("case"))).first()
        colleague = Membership.objects.filter(
            organisation=organisation, active=True, uuid=parse_uuid(request.POST.get("membership"))
        ).first()
        if case is None or colleague is None:
            audit_denied(request, action="case.red_name", object_id=request.POST.get("case", "")[:64])
            raise Http404
        try:
            case_red_name_colleague(
                admin=membership,
                case=case,
                membership=colleague,
                level=request.POST.get("level", AccessLevel.VIEW),
                reason=request.POST.get("reason", ""),
                request=request,
            )
            messages.success(
                request, _("%(who)s is named on %(ref)s.") % {"who": colleague.user, "ref": case.reference}
            )
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect("cases:red")
    cases: list[Case] = list(red_cases_led_by(organisation=organisation))
    audit_record(action="case.list", request=request, details={"view": "red-admin", "total": len(cases)})
    colleagues = (
        Membership.objects.filter(organisation=organisation, active=True, user__is_service_account=False)
        .select_related("user")
        .order_by("user__full_name")
    )
    return render(request, "cases/red.html", {"cases": cases, "colleagues": colleagues, "levels": AccessLevel.choices})
