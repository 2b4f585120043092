from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partners.selectors import memberships_active_for_user
from partners.services import membership_activate_for_session
from portal.utils.http import parse_uuid


@require_POST
def switch_view(request: HttpRequest) -> HttpResponse:
    membership = (
        memberships_active_for_user(user=request.user).filter(uuid=parse_uuid(request.POST.get("membership"))).first()
    )
    if membership is None:
        messages.error(request, _("You cannot act for that organisation."))
    else:
        try:
            membership_activate_for_session(request=request, membership=membership)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.success(request, _("You now act for %(org)s.") % {"org": membership.organisation})
    target = request.POST.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect("portal:home")
