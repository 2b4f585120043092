from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from notifications.models import ALWAYS_IMMEDIATE, Channel, Kind, Notification, Preference
from notifications.services import notifications_mark_read, preferences_set
from portal.utils.http import parse_uuid


@require_GET
def notification_list_view(request: HttpRequest) -> HttpResponse:
    rows = list(Notification.objects.filter(user=request.user)[:200])
    return render(request, "notifications/list.html", {"rows": rows})


@require_GET
def bell_view(request: HttpRequest) -> HttpResponse:
    """The unread count, polled in the background (it does not keep an idle session alive)."""
    return render(request, "notifications/_bell.html")


@require_POST
def mark_read_view(request: HttpRequest) -> HttpResponse:
    uuid = parse_uuid(request.POST.get("notification")) if request.POST.get("notification") else None
    notifications_mark_read(user=request.user, uuid=uuid)
    return redirect("notifications:list")


@require_http_methods(["GET", "POST"])
def preferences_view(request: HttpRequest) -> HttpResponse:
    kinds = [(k, label) for k, label in Kind.choices if k not in ALWAYS_IMMEDIATE]
    if request.method == "POST":
        preferences_set(user=request.user, choices={k: request.POST.get(k, "") for k, _label in kinds})
        messages.success(request, _("Your notification settings are saved."))
        return redirect("notifications:preferences")
    chosen = dict(Preference.objects.filter(user=request.user).values_list("kind", "channel"))
    rows = [(k, label, chosen.get(k, Channel.IMMEDIATE)) for k, label in kinds]
    return render(request, "notifications/preferences.html", {"rows": rows, "channels": Channel.choices})
