import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from tests.conftest import totp_for

pytestmark = pytest.mark.django_db
NEW = "Another-long-passphrase-77"


def test_password_reset_still_requires_the_second_factor(member):
    Client().post("/accounts/password-reset/", {"email": member.email.upper()})
    link = re.search(r"http://\S+(/accounts/password-reset/\S+/\S+/)", mail.outbox[0].body).group(1)
    client = Client()
    form = client.get(link, follow=True)
    assert form.status_code == 200
    done = client.post(form.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW})
    assert done["Location"] == "/accounts/password-reset/done/"
    # Not signed in by the reset: password, then the second factor.
    assert client.get("/")["Location"].startswith("/accounts/login/")
    client.post("/accounts/login/", {"username": member.email, "password": NEW})
    assert client.get("/")["Location"] == "/accounts/verify/"
    client.post("/accounts/verify/", {"code": totp_for(member)})
    assert client.get("/").status_code == 200


def test_passwords_are_hashed_with_argon2_outside_tests():
    from portal.settings import base

    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert settings.AUTH_PASSWORD_VALIDATORS[1]["OPTIONS"]["min_length"] == 12


def test_times_are_shown_in_the_users_own_time_zone(member):
    import datetime as dt

    from django.test import Client
    from django.utils import timezone

    from audit.models import AuditEvent
    from notifications.models import Kind
    from notifications.services import notify
    from tests.conftest import login_verified

    [row] = notify(users=[member], kind=Kind.CASE_SHARED, subject="s", body="b")
    type(row).objects.filter(pk=row.pk).update(created_at=dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC))
    client = login_verified(Client(), member)
    assert "2026-06-01 14:00" in client.get("/notifications/").content.decode()  # Amsterdam, summer time
    client.post("/accounts/security/", {"action": "time_zone", "time_zone": "Asia/Manila"})
    assert "2026-06-01 20:00" in client.get("/notifications/").content.decode()
    assert AuditEvent.objects.filter(action="user.time_zone").exists()
    bad = client.post("/accounts/security/", {"action": "time_zone", "time_zone": "Mars/Olympus"}, follow=True)
    assert "Choose a time zone" in bad.content.decode()
    member.refresh_from_db()
    assert member.time_zone == "Asia/Manila"
    assert timezone.get_current_timezone_name() != "Asia/Manila"  # deactivated after the request
