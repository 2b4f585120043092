"""SECURITY.md lines 10-13: sessions."""

import base64
import os
import secrets
import subprocess
import sys
import time

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.test import Client

from accounts.middleware import SESSION_AUTH_AT, SESSION_SEEN_AT
from partners.models import Membership
from partners.services import membership_end
from tests.conftest import login_password_only, login_verified, totp_for

pytestmark = pytest.mark.django_db


def _session_key(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_sec_10_session_key_rotates_at_login_and_at_otp_step(member):
    client = Client()
    client.get("/accounts/login/")  # an anonymous session exists (it stores ?next=)
    anonymous_key = _session_key(client)
    login_password_only(client, member)
    password_key = _session_key(client)
    client.post("/accounts/verify/", {"code": totp_for(member)})
    verified_key = _session_key(client)
    assert len({anonymous_key, password_key, verified_key}) == 3


def _age_session(client: Client, *, seen_ago: float, auth_ago: float | None = None) -> None:
    session = client.session
    now = time.time()
    session[SESSION_SEEN_AT] = now - seen_ago
    session[SESSION_AUTH_AT] = now - (auth_ago if auth_ago is not None else seen_ago)
    session.save()


def test_sec_11_idle_thirty_minutes_needs_full_reauthentication(member):
    client = login_verified(Client(), member)
    _age_session(client, seen_ago=29 * 60)
    assert client.get("/").status_code == 200
    _age_session(client, seen_ago=31 * 60)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    # Both factors are needed again, not just the OTP step.
    assert client.get("/accounts/verify/")["Location"].startswith("/accounts/login/")


def test_sec_11_twelve_hours_ends_an_active_session(member):
    client = login_verified(Client(), member)
    _age_session(client, seen_ago=60, auth_ago=12 * 3600 + 1)
    assert client.get("/")["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session  # signed out, not only sent away


def test_sec_11_background_polling_is_not_activity(member):
    client = login_verified(Client(), member)
    _age_session(client, seen_ago=20 * 60)
    assert client.get("/", HTTP_X_PORTAL_BACKGROUND="1").status_code == 200
    assert client.session[SESSION_SEEN_AT] < time.time() - 19 * 60  # unchanged by the poll
    _age_session(client, seen_ago=31 * 60, auth_ago=31 * 60)
    assert client.get("/", HTTP_X_PORTAL_BACKGROUND="1")["Location"].startswith("/accounts/login/")


def test_sec_11_htmx_request_with_expired_session_gets_hx_redirect(member):
    client = login_verified(Client(), member)
    _age_session(client, seen_ago=31 * 60)
    response = client.get("/", HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/accounts/login/")


def test_sec_12_disabling_user_ends_session_at_once(member):
    client = login_verified(Client(), member)
    assert client.get("/").status_code == 200
    type(member).objects.filter(pk=member.pk).update(is_active=False)
    assert client.get("/")["Location"].startswith("/accounts/login/")


def test_sec_12_removing_last_membership_ends_session(member, org_admin):
    client = login_verified(Client(), member)
    assert client.get("/").status_code == 200
    admin = login_verified(Client(), org_admin)
    membership = Membership.objects.get(user=member)
    assert admin.post(f"/organisation/members/{membership.uuid}/deactivate/").status_code == 302
    assert client.get("/")["Location"].startswith("/accounts/login/")
    member.refresh_from_db()
    assert member.is_active is False


def test_sec_12_ending_the_last_membership_ends_session_even_without_disabling(member):
    """The membership middleware ends the session by itself, not only through the disabled
    account: memberships also end without the account being disabled (membership_end)."""
    client = login_verified(Client(), member)
    assert client.get("/").status_code == 200
    membership_end(membership=Membership.objects.get(user=member), by=None)
    member.refresh_from_db()
    assert member.is_active is True
    assert client.get("/")["Location"].startswith("/accounts/login/")


PRODUCTION_ENV = {
    "PORTAL_ENV": "production",
    "DJANGO_SETTINGS_MODULE": "portal.settings.production",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "SELECTOR_HMAC_KEYS": "2:" + base64.b64encode(secrets.token_bytes(32)).decode(),
    "ALLOWED_HOSTS": "portal.example",
    "DATABASE_URL": "",
}


def production_settings(code: str, **extra_env) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SESSION_COOKIE_SECURE"}}
    env.update(PRODUCTION_ENV)
    env.update(extra_env)
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); from django.conf import settings as s; {code}"],
        env=env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        timeout=60,
    )


def test_sec_13_production_cookies_secure_httponly_samesite():
    result = production_settings(
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.CSRF_COOKIE_HTTPONLY,"
        " s.SESSION_COOKIE_SAMESITE, s.CSRF_COOKIE_SAMESITE, s.SESSION_COOKIE_NAME)"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "True", "True", "Lax", "Lax", "__Host-portal_session"]
