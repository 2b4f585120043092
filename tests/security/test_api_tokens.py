"""SECURITY.md line 34 (and the token part of line 1): API tokens."""

import hashlib

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from rest_framework.request import Request

from accounts.models import ApiToken
from accounts.tokens import BearerTokenAuthentication, api_token_create
from partners.services import membership_end
from tests.conftest import login_password_only

pytestmark = pytest.mark.django_db


def _token(user):
    return api_token_create(by=user, membership=user.memberships.get(), name="system", scopes=["read"], days=10)


def test_sec_34_token_is_a_sha256_of_a_high_entropy_secret_checked_in_one_lookup(member):
    _obj, secret = _token(member)
    assert len(secret) >= 40  # 32 random bytes, url-safe base64, plus the prefix
    stored = ApiToken.objects.get().token_hash
    assert stored == hashlib.sha256(secret.encode()).hexdigest()
    request = Request(RequestFactory().get("/api/v1/cases/", HTTP_AUTHORIZATION=f"Bearer {secret}"))
    with CaptureQueriesContext(connection) as ctx:
        user, token = BearerTokenAuthentication().authenticate(request)
    assert user == member
    lookups = [q for q in ctx.captured_queries if "accounts_apitoken" in q["sql"] and q["sql"].startswith("SELECT")]
    assert len(lookups) == 1 and "token_hash" in lookups[0]["sql"]


def test_sec_34_disabled_user_or_ended_membership_token_fails_at_once(member, make_member, organisation):
    _obj, secret = _token(member)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    assert Client().get("/api/v1/organisations/", **headers).status_code == 200
    membership_end(membership=member.memberships.get(), by=None)
    assert Client().get("/api/v1/organisations/", **headers).status_code == 401
    other = make_member(organisation)
    _obj, secret = _token(other)
    type(other).objects.filter(pk=other.pk).update(is_active=False)
    assert Client().get("/api/v1/organisations/", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401


def test_sec_01_tokens_only_from_a_verified_session(member):
    response = login_password_only(Client(), member).post(
        "/accounts/tokens/",
        {"name": "x", "scopes": ["read"], "days": 5, "membership": str(member.memberships.get().uuid)},
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/verify/"
    assert not ApiToken.objects.exists()
    # A token cannot mint tokens: there is no API route for it, and the page refuses bearer auth.
    _obj, secret = _token(member)
    page = Client().post(
        "/accounts/tokens/", {"name": "x", "scopes": ["read"], "days": 5}, HTTP_AUTHORIZATION=f"Bearer {secret}"
    )
    assert page.status_code == 302 and page["Location"].startswith("/accounts/login/")
    assert ApiToken.objects.count() == 1
