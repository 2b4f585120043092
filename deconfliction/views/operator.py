"""The platform operator's page of unusual registration volumes (the notice links here)."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from audit.services import audit_record
from deconfliction.models import VolumeFlag
from deconfliction.selectors import VOLUME_FLAG_PAGE, volume_flags_for_operator
from deconfliction.services import volume_flag_review
from partners.views.operator import operator_required


@operator_required
@require_http_methods(["GET", "POST"])
def volume_flags_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        flag_id = request.POST.get("flag", "")
        flag = VolumeFlag.objects.filter(pk=flag_id).first() if flag_id.isdigit() else None
        if flag is None:
            raise Http404
        volume_flag_review(flag=flag, by=request.user, request=request)
        messages.success(request, _("Marked as reviewed."))
        return redirect("deconfliction:volume_flags")
    include_reviewed = request.GET.get("all") == "1"
    flags = list(volume_flags_for_operator(include_reviewed=include_reviewed)[:VOLUME_FLAG_PAGE])
    audit_record(action="volume_flag.list", request=request, details={"total": len(flags), "all": include_reviewed})
    return render(request, "deconfliction/volume_flags.html", {"flags": flags, "include_reviewed": include_reviewed})
