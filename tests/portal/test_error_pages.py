"""The friendly 500 page: an unexpected error answers with the portal's own page, no details."""

import pytest
from django.test import Client

import portal.urls
from tests.conftest import login_verified
from tests.portal import urls_server_error

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.portal.urls_server_error")]

FAILING_PATH = "/test-only/server-error/"


def test_the_test_urlconf_uses_the_portals_error_handlers():
    assert portal.urls.handler500 == "portal.views.error_500"
    assert urls_server_error.handler500 == "portal.views.error_500"


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_unexpected_error_answers_500_with_the_portals_own_page(member, method):
    client = login_verified(Client(raise_request_exception=False), member)
    response = getattr(client, method)(FAILING_PATH)
    assert response.status_code == 500  # an ordinary bug, not the 503 of a database outage
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "Something went wrong" in html
    assert "Nothing you submitted was half-saved" in html
    assert "Temporarily unavailable" not in html
    assert "/static/portal/portal.css" in html  # the portal's own layout, self-hosted
    for leak in (urls_server_error.SECRET_IN_THE_ERROR, "RuntimeError", "Traceback", "failing_view"):
        assert leak not in html


def test_the_500_page_speaks_the_users_language(member):
    client = login_verified(Client(raise_request_exception=False), member)
    response = client.get(FAILING_PATH, HTTP_ACCEPT_LANGUAGE="nl")
    assert response.status_code == 500
    html = response.content.decode()
    assert 'lang="nl"' in html
    assert "Er is iets misgegaan" in html
