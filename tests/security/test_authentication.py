"""SECURITY.md lines 1-9: authentication."""

import logging
import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.test import Client

from accounts.models import BackupCode, TOTPDevice
from accounts.otp import backup_codes_replace, totp_secret_base32, totp_secret_bytes
from audit.models import AuditEvent
from portal.exemptions import PASSWORD_ONLY_URL_NAMES, PUBLIC_PATH_PREFIXES, PUBLIC_URL_NAMES
from tests.conftest import login_password_only, login_verified, totp_for
from tests.factories import PASSWORD, UserFactory
from tests.urlwalk import all_routes

pytestmark = pytest.mark.django_db


def _is_verified(client: Client) -> bool:
    return client.get("/").status_code == 200


# --- 1. Every URL refuses a session without the second factor -------------------------------


# Not a token the portal issued: a bearer header must open nothing by its mere presence (the
# middleware lets bearer requests to the API through to the token authentication).
NONSENSE_BEARER = "Bearer ccp_not-a-token-the-portal-ever-issued"


def test_sec_01_every_route_refuses_anonymous_and_password_only(member):
    routes = all_routes()
    assert len(routes) > 20  # the walk really found the project's routes
    password_only = login_password_only(Client(), member)
    checked = 0
    for route in routes:
        if route.view_name in PUBLIC_URL_NAMES:
            continue
        for method in ("get", "post"):
            anon = getattr(Client(), method)(route.path)
            assert anon.status_code in (302, 401), (route, method, anon.status_code)
            if anon.status_code == 302:
                assert anon["Location"].startswith("/accounts/login/"), (route, anon["Location"])
            bearer = getattr(Client(), method)(route.path, HTTP_AUTHORIZATION=NONSENSE_BEARER)
            assert bearer.status_code in (302, 401, 403), (route, method, bearer.status_code)
            if bearer.status_code == 302:
                assert bearer["Location"].startswith("/accounts/login/"), (route, bearer["Location"])
            if route.view_name in PASSWORD_ONLY_URL_NAMES:
                continue
            half = getattr(password_only, method)(route.path)
            assert half.status_code in (302, 401), (route, method, half.status_code)
            if half.status_code == 302:
                assert half["Location"] == "/accounts/verify/", (route, half["Location"])
            checked += 1
    assert checked > 20


def test_sec_01_exemption_registry_names_real_routes():
    names = {route.view_name for route in all_routes()}
    missing = (PUBLIC_URL_NAMES | PASSWORD_ONLY_URL_NAMES) - names
    assert missing == set()
    assert PUBLIC_PATH_PREFIXES == ("/static/",)


def test_sec_01_unknown_path_sends_anonymous_to_login():
    response = Client().get("/no/such/page/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- 2. A TOTP code is accepted once ------------------------------------------------------------


def test_sec_02_totp_replay_refused(member):
    code = totp_for(member)
    first = login_password_only(Client(), member)
    assert first.post("/accounts/verify/", {"code": code}).status_code == 302
    assert _is_verified(first)

    second = login_password_only(Client(), member)
    response = second.post("/accounts/verify/", {"code": code})
    assert response.status_code == 200
    assert "not valid" in response.content.decode()
    assert not _is_verified(second)


# --- 3. Codes outside the window are refused ------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [(0, True), (-30, True), (30, True), (-60, False), (-90, False), (60, False), (300, False)],
)
def test_sec_03_totp_window_is_one_step_either_side(member, offset, accepted):
    code = totp_for(member, at=time.time() + offset)
    client = login_password_only(Client(), member)
    client.post("/accounts/verify/", {"code": code})
    assert _is_verified(client) is accepted


# --- 4. Throttling, per device ------------------------------------------------------------------


def _wrong_code(user) -> str:
    window = {totp_for(user, at=time.time() + offset) for offset in (-60, -30, 0, 30, 60)}
    return next(f"{n:06d}" for n in range(1000) if f"{n:06d}" not in window)


def test_sec_04_wrong_codes_are_throttled_with_growing_delay(member):
    client = login_password_only(Client(), member)
    device = TOTPDevice.objects.get(user=member)
    delays = []
    for failures in (1, 2, 3):
        client.post("/accounts/verify/", {"code": _wrong_code(member)})
        device.refresh_from_db()
        assert device.throttling_failure_count == failures
        allowed, info = device.verify_is_allowed()
        assert not allowed
        delays.append((info["locked_until"] - device.throttling_failure_timestamp).total_seconds())
        # While throttled, even the right code is refused.
        response = client.post("/accounts/verify/", {"code": totp_for(member)})
        assert "Too many wrong codes" in response.content.decode()
        assert not _is_verified(client)
        # Let the delay pass before the next wrong code.
        TOTPDevice.objects.filter(pk=device.pk).update(
            throttling_failure_timestamp=device.throttling_failure_timestamp - timedelta(seconds=delays[-1] + 1)
        )
    assert delays == [1.0, 2.0, 4.0]
    client.post("/accounts/verify/", {"code": totp_for(member)})
    assert _is_verified(client)


def test_sec_04_throttled_authenticator_leaves_backup_codes_usable(member):
    codes = backup_codes_replace(user=member)
    client = login_password_only(Client(), member)
    for _ in range(5):
        client.post("/accounts/verify/", {"code": "000000"})
    client.post("/accounts/verify/", {"code": codes[0]})
    assert _is_verified(client)


# --- 5. Lockout after five failed passwords; IP floods slowed ---------------------------------


def _fail_login(client: Client, email: str, ip: str = "10.0.0.1"):
    return client.post("/accounts/login/", {"username": email, "password": "wrong-password"}, REMOTE_ADDR=ip)


def test_sec_05_fifth_failure_locks_until_admin_unlocks(member, org_admin):
    client = Client()
    for _ in range(4):
        _fail_login(client, member.email)
    member.refresh_from_db()
    assert member.locked_at is None
    _fail_login(client, member.email)
    member.refresh_from_db()
    assert member.locked_at is not None
    assert AuditEvent.objects.filter(action="auth.lockout", actor_id=member.pk, result="denied").count() == 1

    # A sixth attempt, now with the right password, is refused like any failure.
    response = Client().post("/accounts/login/", {"username": member.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "Sign-in failed" in response.content.decode()

    # The organisation admin unlocks through the members page. Nothing else is cleaned up: the
    # failures axes counted are still within its 15 minutes, so only the unlock service's reset
    # of them (together with clearing the portal's own lock) lets the right password in at once.
    admin = login_verified(Client(), org_admin)
    membership = member.memberships.get()
    unlock = admin.post(f"/organisation/members/{membership.uuid}/unlock/")
    assert unlock.status_code == 302
    member.refresh_from_db()
    assert member.locked_at is None
    assert AuditEvent.objects.filter(action="auth.unlock", object_id=str(member.uuid)).exists()
    unlocked = Client()
    response = unlocked.post("/accounts/login/", {"username": member.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/verify/"
    unlocked.post("/accounts/verify/", {"code": totp_for(member)})
    assert _is_verified(unlocked)


def test_sec_05_lock_outlasts_the_axes_cool_off(member):
    client = Client()
    for _ in range(5):
        _fail_login(client, member.email)
    # Fifteen minutes pass and axes forgets the failures; the account stays locked, because the
    # lock is the portal's (accounts.signals), lifted only by an organisation admin.
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.first().attempt_time - timedelta(minutes=16))
    response = Client().post("/accounts/login/", {"username": member.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "Sign-in failed" in response.content.decode()
    member.refresh_from_db()
    assert member.locked_at is not None


def test_sec_05_failures_older_than_fifteen_minutes_do_not_count(member):
    client = Client()
    for _ in range(4):
        _fail_login(client, member.email)
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.first().attempt_time - timedelta(minutes=16))
    _fail_login(client, member.email)
    member.refresh_from_db()
    assert member.locked_at is None


def test_sec_05_one_address_is_slowed_not_locked(settings, member):
    settings.LOGIN_IP_SLOWDOWN_AFTER = 3
    client = Client()
    others = [UserFactory() for _ in range(4)]
    for other in others:  # four different accounts, one failure each, from one address
        _fail_login(client, other.email, ip="192.0.2.7")
    response = client.post(
        "/accounts/login/", {"username": member.email, "password": PASSWORD}, REMOTE_ADDR="192.0.2.7"
    )
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    # Nobody was locked, and another address is not affected at all.
    assert all(o.__class__.objects.get(pk=o.pk).locked_at is None for o in others)
    other_ip = Client().post(
        "/accounts/login/", {"username": member.email, "password": PASSWORD}, REMOTE_ADDR="192.0.2.8"
    )
    assert other_ip.status_code == 302


# --- 6. Responses never reveal whether an account exists ------------------------------------


def _visible_text(response) -> str:
    import re

    html = response.content.decode()
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", re.sub(r'"X-CSRFToken": "[^"]+"', "", html))


def test_sec_06_login_failure_same_for_unknown_and_known_account(member):
    known = Client().post("/accounts/login/", {"username": member.email, "password": "nope"})
    unknown = Client().post("/accounts/login/", {"username": "nobody@example.org", "password": "nope"})
    assert known.status_code == unknown.status_code == 200
    assert _visible_text(known).replace(member.email, "X") == _visible_text(unknown).replace("nobody@example.org", "X")


def test_sec_06_lockout_response_same_for_unknown_and_known_account(member):
    for email in (member.email, "nobody@example.org"):
        client = Client()
        for _ in range(5):
            _fail_login(client, email)
    known = _fail_login(Client(), member.email)
    unknown = _fail_login(Client(), "nobody@example.org")
    assert known.status_code == unknown.status_code
    assert _visible_text(known).replace(member.email, "X") == _visible_text(unknown).replace("nobody@example.org", "X")


def test_sec_06_password_reset_same_for_unknown_and_known_account(member):
    known = Client().post("/accounts/password-reset/", {"email": member.email})
    unknown = Client().post("/accounts/password-reset/", {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert [m.to for m in mail.outbox] == [[member.email]]


# --- 7. Seeds and backup codes stored encrypted / hashed, never logged ------------------------


def test_sec_07_totp_seed_and_backup_codes_not_stored_in_clear(member, caplog):
    caplog.set_level(logging.DEBUG)
    device = TOTPDevice.objects.get(user=member)
    seed_hex = totp_secret_bytes(device).hex()
    assert seed_hex not in device.key_encrypted
    assert totp_secret_base32(device) not in device.key_encrypted
    codes = backup_codes_replace(user=member)
    stored = list(BackupCode.objects.filter(device__user=member).values_list("code_digest", flat=True))
    assert len(stored) == 10
    assert not any(code in digest or code.replace("-", "") in digest for code in codes for digest in stored)

    client = login_password_only(Client(), member)
    client.post("/accounts/verify/", {"code": totp_for(member)})
    logged = caplog.text
    assert seed_hex not in logged
    assert totp_secret_base32(device) not in logged
    assert not any(code in logged for code in codes)


# --- 8. Changing a second factor needs re-authentication and notifies ----------------------


def _digests(user) -> set[str]:
    return set(BackupCode.objects.filter(device__user=user).values_list("code_digest", flat=True))


def test_sec_08_backup_code_regeneration_needs_reauth(member, django_capture_on_commit_callbacks):
    old = backup_codes_replace(user=member)
    before = _digests(member)
    client = login_verified(Client(), member)
    with django_capture_on_commit_callbacks(execute=True):
        refused = client.post(
            "/accounts/security/", {"action": "backup_codes", "password": "wrong", "code": totp_for(member)}
        )
    assert refused.status_code == 200
    assert "Password or code is wrong" in refused.content.decode()
    assert _digests(member) == before
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        ok = client.post(
            "/accounts/security/", {"action": "backup_codes", "password": PASSWORD, "code": totp_for(member)}
        )
    assert ok.status_code == 302
    assert ok["Location"] == "/accounts/backup-codes/"
    shown = client.get("/accounts/backup-codes/").content.decode()
    assert old[0] not in shown
    assert _digests(member).isdisjoint(before)
    assert len(_digests(member)) == 10
    assert len(mail.outbox) == 1
    assert member.email in mail.outbox[0].to


def test_sec_08_replacing_authenticator_needs_reauth(member, django_capture_on_commit_callbacks):
    client = login_verified(Client(), member)
    # Without re-authentication, a verified user with a device cannot enrol another one.
    assert client.get("/accounts/enrol/")["Location"] == "/accounts/verify/"
    ok = client.post(
        "/accounts/security/", {"action": "replace_authenticator", "password": PASSWORD, "code": totp_for(member)}
    )
    assert ok["Location"] == "/accounts/enrol/"
    assert client.get("/accounts/enrol/").status_code == 200
    pending = TOTPDevice.objects.get(user=member, confirmed=False)
    from accounts.otp import totp_code_now

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post("/accounts/enrol/", {"code": totp_code_now(pending)})
    assert done["Location"] == "/accounts/backup-codes/"
    assert list(TOTPDevice.objects.filter(user=member).values_list("pk", flat=True)) == [pending.pk]
    assert any("authenticator app was replaced" in m.subject for m in mail.outbox)


# --- 9. System-use notice --------------------------------------------------------------------


def test_sec_09_system_use_notice_before_login():
    html = Client().get("/accounts/login/").content.decode()
    assert "Authorised use only" in html
    assert "recorded and may be audited" in html
    assert html.index("Authorised use only") < html.index('name="password"')
