"""The portal's URLs plus one route whose view fails with an ordinary bug (test only)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from portal import urls as portal_urls

# The same error handlers as the real URLconf: Django looks them up on the root URLconf.
handler403 = portal_urls.handler403
handler404 = portal_urls.handler404
handler500 = portal_urls.handler500

SECRET_IN_THE_ERROR = "internal detail 7f3a that must not reach the browser"


def failing_view(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(SECRET_IN_THE_ERROR)


urlpatterns = [path("test-only/server-error/", failing_view, name="test_server_error"), *portal_urls.urlpatterns]
