"""The platform operator's page of unusual registration volumes (the notice links here)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from deconfliction.selectors import volume_flags_for_operator
from deconfliction.services import volume_flag_review
from partners.views.operator import operator_required


@operator_required
@require_http_methods(["GET", "POST"])
def volume_flags_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        volume_flag_review(flag_id=request.POST.get("flag", ""), by=request.user, request=request)
        messages.success(request, _("Marked as reviewed."))
        return redirect("deconfliction:volume_flags")
    include_reviewed = request.GET.get("all") == "1"
    flags = volume_flags_for_operator(request=request, include_reviewed=include_reviewed)
    return render(request, "deconfliction/volume_flags.html", {"flags": flags, "include_reviewed": include_reviewed})
