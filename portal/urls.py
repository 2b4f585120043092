from django.conf import settings
from django.urls import include, path
from django.views.i18n import set_language

from cases.views.milestones import calendar_feed_view
from portal import views
from portal.admin import admin_site

portal_patterns = (
    [
        path("", views.home, name="home"),
        path("healthz", views.healthz, name="healthz"),
    ],
    "portal",
)

urlpatterns = [
    path("", include(portal_patterns)),
    path("accounts/", include("accounts.urls")),
    path("organisation/", include("partners.urls")),
    path("cases/", include("cases.urls")),
    path("deconfliction/", include("deconfliction.urls")),
    path("actionplan/", include("actionplan.urls")),
    path("api/v1/", include("portal.api_urls")),
    path("notifications/", include("notifications.urls")),
    path("calendar/<str:token>.ics", calendar_feed_view, name="calendar_feed"),
    path("i18n/setlang/", set_language, name="set_language"),
    path(f"{settings.ADMIN_URL_PATH}/", admin_site.urls),
]

handler403 = "portal.views.error_403"
handler404 = "portal.views.error_404"
handler500 = "portal.views.error_500"
