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
