import os
import time

import pytest
from django.db import connection
from django.test import Client
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY

from accounts.middleware import SESSION_AUTH_AT, SESSION_SEEN_AT
from accounts.models import TOTPDevice
from accounts.otp import totp_code_now
from partners.roles import Role
from tests.factories import PASSWORD, MembershipFactory, OrganisationFactory, UserFactory

REQUIRE_SERVICES = os.environ.get("PORTAL_REQUIRE_SERVICES") == "1"


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    # A test-client request with Accept-Language leaves that language active in the thread
    # (LocaleMiddleware activates it and nothing restores it), so a later test saw Dutch
    # messages depending on the order the tests ran in.
    yield
    translation.deactivate()


def pytest_runtest_setup(item):
    """Tests that need real services skip without them, except in CI, where they must run."""
    broker = bool(os.environ.get("CELERY_BROKER_URL"))
    postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
    missing = []
    if item.get_closest_marker("postgres") and not postgres:
        missing.append("PostgreSQL (DATABASE_URL)")
    if item.get_closest_marker("worker") and not broker:
        missing.append("a Celery broker (CELERY_BROKER_URL)")
    if item.get_closest_marker("e2e"):
        from tests.e2e.conftest import e2e_missing

        if e2e_missing():
            missing.append(e2e_missing())
    if missing:
        reason = "needs " + " and ".join(missing)
        if REQUIRE_SERVICES:
            pytest.fail(f"PORTAL_REQUIRE_SERVICES=1 but this test {reason}")
        pytest.skip(reason)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttling and login slow-down live in the cache; no test inherits another's counts."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _tasks_run_in_process(request):
    """Tasks run in the test's own process and transaction (on commit), even where a broker is
    configured; the tests marked ``worker`` use a real worker process instead."""
    from portal.celery import app

    if request.node.get_closest_marker("worker"):
        yield
        return
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def organisation(db):
    return OrganisationFactory(name="Police Unit A", short_code="police-a")


@pytest.fixture
def make_member(db):
    """make_member(organisation, role=...) -> a user with a confirmed TOTP device."""

    def _make(organisation=None, role=Role.LIAISON, **user_fields):
        user = UserFactory(**user_fields)
        MembershipFactory(user=user, organisation=organisation or OrganisationFactory(), role=role)
        return user

    return _make


@pytest.fixture
def member(organisation, make_member):
    return make_member(organisation, role=Role.LIAISON, email="member@police-a.example")


@pytest.fixture
def org_admin(organisation, make_member):
    return make_member(organisation, role=Role.ORG_ADMIN, email="admin@police-a.example")


def totp_for(user, *, at: float | None = None) -> str:
    """A valid code from the user's authenticator, as the app would show it."""
    return totp_code_now(TOTPDevice.objects.get(user=user, confirmed=True), at=at)


def login_password_only(client: Client, user) -> Client:
    response = client.post("/accounts/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    return client


def login_verified(client: Client, user) -> Client:
    """A session that passed both steps, without spending a real TOTP step."""
    client.force_login(user, backend="accounts.backends.PortalModelBackend")
    session = client.session
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[SESSION_AUTH_AT] = session[SESSION_SEEN_AT] = time.time()
    session.save()
    return client


@pytest.fixture
def verified_client(member):
    return login_verified(Client(), member)


@pytest.fixture
def admin_client_verified(org_admin):
    return login_verified(Client(), org_admin)


@pytest.fixture
def on_postgres():
    return connection.vendor == "postgresql"


def membership_of(user):
    """The user's one active membership, with its organisation (as the middleware loads it)."""
    from partners.models import Membership

    return Membership.objects.select_related("organisation").get(user=user, active=True)
