from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from icalendar import Calendar, Event

from audit.services import audit_record
from cases.forms import MilestoneAddForm, MilestoneUpdateForm
from cases.models import CalendarFeed, Milestone, MilestoneKind
from cases.selectors import case_get_for_user, cases_with_next_milestone, milestones_for_calendar
from cases.services import (
    calendar_feed_create,
    calendar_feed_revoke,
    milestone_add,
    milestone_set_apply,
    milestone_update,
)
from cases.views.common import message_from_error, require_case_permission
from partners.models import Organisation
from partners.selectors import memberships_active_for_user
from portal.utils.crypto import sha256_hex


@require_POST
def milestone_apply_view(request: HttpRequest, uuid) -> HttpResponse:
    access = case_get_for_user(request=request, uuid=uuid, audit_action=None)
    require_case_permission(request, access, "contribute_case")
    try:
        created = milestone_set_apply(access=access, request=request)
        messages.success(request, _("%(n)s standard milestones added.") % {"n": len(created)})
    except (ValidationError, PermissionDenied) as exc:
        message_from_error(request, exc)
    return redirect("cases:detail", uuid=uuid)


@require_POST
def milestone_add_view(request: HttpRequest, uuid) -> HttpResponse:
    access = case_get_for_user(request=request, uuid=uuid, audit_action=None)
    require_case_permission(request, access, "contribute_case")
    form = MilestoneAddForm(request.POST, organisations=Organisation.objects.filter(active=True))
    if form.is_valid():
        try:
            milestone_add(access=access, request=request, **form.cleaned_data)
            messages.success(request, _("Milestone added."))
        except (ValidationError, PermissionDenied) as exc:
            message_from_error(request, exc)
    else:
        messages.error(
            request,
            _("Check the milestone: %(e)s")
            % {
                "e": "; ".join(
                    f"{form.fields[f].label}: {' '.join(e)}" if f in form.fields else " ".join(e)
                    for f, e in form.errors.items()
                )
            },
        )
    return redirect("cases:detail", uuid=uuid)


@require_POST
def milestone_update_view(request: HttpRequest, uuid, milestone_uuid) -> HttpResponse:
    access = case_get_for_user(request=request, uuid=uuid, audit_action=None)
    require_case_permission(request, access, "contribute_case")
    milestone = Milestone.objects.filter(case=access.case, uuid=milestone_uuid).first()
    if milestone is None:
        raise Http404
    form = MilestoneUpdateForm(request.POST)
    if form.is_valid():
        try:
            milestone_update(access=access, milestone=milestone, request=request, **form.cleaned_data)
            messages.success(request, _("Milestone saved."))
        except (ValidationError, PermissionDenied) as exc:
            message_from_error(request, exc)
    else:
        messages.error(request, _("Use dates like 2026-12-31."))
    return redirect("cases:detail", uuid=uuid)


@require_GET
def upcoming_milestones_view(request: HttpRequest) -> HttpResponse:
    cases = cases_with_next_milestone(membership=request.membership)
    for case in cases:  # the milestone's name in the user's language, not its stored code
        case.next_kind_label = MilestoneKind(case.next_kind).label
    audit_record(action="case.list", request=request, details={"view": "milestones", "total": len(cases)})
    return render(request, "cases/milestones.html", {"cases": cases, "today": timezone.localdate()})


@never_cache
@require_http_methods(["GET", "POST"])
def calendar_settings_view(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    if membership is None:
        raise Http404
    feed_url = None
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            calendar_feed_revoke(membership=membership, request=request)
            messages.success(request, _("The calendar link no longer works."))
        else:
            token = calendar_feed_create(membership=membership, request=request)
            feed_url = request.build_absolute_uri(reverse("calendar_feed", kwargs={"token": token}))
    return render(
        request,
        "cases/calendar.html",
        {"feed_url": feed_url, "has_feed": CalendarFeed.objects.filter(membership=membership).exists()},
    )


@never_cache
@require_GET
def calendar_feed_view(request: HttpRequest, token: str) -> HttpResponse:
    """The secret-URL iCalendar feed: milestone due dates with the case reference and the
    milestone kind only. No RED case and no operational milestone ever appears in it."""
    feed = (
        CalendarFeed.objects.select_related("membership__organisation", "membership__user")
        .filter(token_hash=sha256_hex(token))
        .first()
    )
    if feed is None or not feed.membership.active or not feed.membership.user.is_active:
        raise Http404
    membership = feed.membership
    if not memberships_active_for_user(user=membership.user).filter(pk=membership.pk).exists():
        raise Http404
    calendar = Calendar()
    calendar.add("prodid", "-//Case Coordination Portal//milestones//EN")
    calendar.add("version", "2.0")
    for milestone in milestones_for_calendar(membership=membership):
        event = Event()
        event.add("uid", f"{milestone.uuid}@case-portal")
        event.add("summary", f"{milestone.case.reference} – {milestone.get_kind_display()}")
        event.add("dtstart", milestone.due_date)
        event.add("dtstamp", timezone.now())
        calendar.add_component(event)
    audit_record(
        action="calendar_feed.read", actor=membership.user, organisation=membership.organisation, request=request
    )
    return HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
