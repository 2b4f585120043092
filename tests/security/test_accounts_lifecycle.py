"""SECURITY.md line 29 (foundation part) and line 27: accounts by invitation, no superuser in
production, admin behind the second factor; a clear 503 when the database is gone."""

import pytest
from django.test import Client
from django.urls import Resolver404, resolve

from accounts.models import User
from tests.conftest import login_password_only
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_sec_29_no_self_registration_route():
    for path in ("/accounts/signup/", "/accounts/register/", "/register/", "/signup/"):
        with pytest.raises(Resolver404):
            resolve(path)


def test_sec_29_superuser_cannot_log_in_with_production_rule(settings):
    superuser = UserFactory(is_superuser=True, is_staff=True)
    settings.ALLOW_SUPERUSER_LOGIN = False
    response = Client().post("/accounts/login/", {"username": superuser.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "Sign-in failed" in response.content.decode()
    settings.ALLOW_SUPERUSER_LOGIN = True
    assert login_password_only(Client(), superuser)


def test_sec_29_production_settings_forbid_superuser_login():
    from tests.security.test_sessions import production_settings

    result = production_settings("print(s.ALLOW_SUPERUSER_LOGIN, s.IS_PRODUCTION, s.DEBUG)")
    assert result.stdout.split() == ["False", "True", "False"], result.stderr


def test_sec_29_admin_needs_second_factor():
    staff = UserFactory(is_staff=True, is_platform_operator=True)
    client = login_password_only(Client(), staff)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/verify/"
    # Defence in depth: the admin site refuses a password-only session even without the middleware.
    from django.test import RequestFactory

    from portal.admin import admin_site

    request = RequestFactory().get("/admin/")
    request.user = staff
    staff.is_verified = lambda: False  # what django-otp's middleware sets for a password-only session
    assert not admin_site.has_permission(request)


def test_sec_29_service_account_has_no_interactive_login():
    service = UserFactory(is_service_account=True)
    response = Client().post("/accounts/login/", {"username": service.email, "password": PASSWORD})
    assert "Sign-in failed" in response.content.decode()
    assert User.objects.get(pk=service.pk).last_login is None


def test_sec_29_platform_operator_has_no_membership_and_no_case_capability():
    from django.core.management import call_command

    call_command("seed_demo", quiet=True)
    operator = User.objects.get(email="operator@platform.example")
    assert not operator.memberships.exists()
    assert not operator.groups.exists()
