"""An invitee who set a password and left before enrolling resumes with the password alone,
within the invitation's 72 hours, and only if the account never had a second factor."""

import re
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.models import BackupCodeDevice, Invitation, TOTPDevice, User
from accounts.otp import totp_code_now, totp_secret_base32
from accounts.services import second_factor_reset
from audit.models import AuditEvent
from partners.roles import Role
from tests.conftest import login_verified, totp_for

pytestmark = pytest.mark.django_db
EMAIL = "new.person@police-a.example"
NEW_PASSWORD = "A-long-new-passphrase-42"
NO_NEW_LINK = "Ask your organisation admin for a new enrolment link."
USE_THE_LINK = "Use the enrolment link your organisation admin sent you"


def _session_key(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _accept_and_abandon(org_admin, capture) -> User:
    """Invited, password set with the link, QR page opened, browser closed before the code."""
    with capture(execute=True):
        login_verified(Client(), org_admin).post(
            "/organisation/members/invite/", {"email": EMAIL, "full_name": "New Person", "role": Role.INVESTIGATOR}
        )
    token = re.search(r"/accounts/invite/(\S+)/", mail.outbox[-1].body).group(1)
    first = Client()
    response = first.post(
        f"/accounts/invite/{token}/", {"full_name": "New Person", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response["Location"] == "/accounts/enrol/"
    assert first.get("/accounts/enrol/").status_code == 200
    user = User.objects.get(email=EMAIL)
    assert TOTPDevice.objects.filter(user=user, confirmed=False).count() == 1  # the abandoned one
    mail.outbox.clear()
    return user


def _accepted_hours_ago(user: User, hours: float, *, sent_hours_before: float = 0) -> None:
    """Move the link's 72 hours back: accepted ``hours`` ago, sent ``sent_hours_before`` earlier."""
    now = timezone.now()
    sent = now - timedelta(hours=hours + sent_hours_before)
    Invitation.objects.filter(user=user).update(
        used_at=now - timedelta(hours=hours), expires_at=sent + timedelta(hours=settings.INVITATION_VALID_HOURS)
    )


def _password(client: Client, **extra):
    return client.post("/accounts/login/", {"username": EMAIL, "password": NEW_PASSWORD}, **extra)


def test_abandoned_enrolment_resumes_with_the_password_within_72_hours(
    organisation, org_admin, django_capture_on_commit_callbacks
):
    user = _accept_and_abandon(org_admin, django_capture_on_commit_callbacks)
    _accepted_hours_ago(user, 71.5)

    client = Client()
    client.get("/accounts/login/")
    anonymous_key = _session_key(client)
    response = _password(client)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/enrol/"
    password_key = _session_key(client)
    assert password_key != anonymous_key
    assert client.get("/").status_code == 302  # not verified until a device is confirmed

    # The QR page: an SVG made on the server, the secret to type, the QR as an image.
    html = client.get("/accounts/enrol/").content.decode()
    device = TOTPDevice.objects.filter(user=user, confirmed=False).latest("pk")
    assert "<svg" in html
    assert totp_secret_base32(device) in html
    assert client.get("/accounts/enrol/qr.svg")["Content-Type"] == "image/svg+xml"

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post("/accounts/enrol/", {"code": totp_code_now(device)})
    assert done["Location"] == "/accounts/backup-codes/"
    assert _session_key(client) not in (anonymous_key, password_key)  # rotated at the OTP step too
    codes_page = client.get("/accounts/backup-codes/").content.decode()
    assert len(re.findall(r"<li><code>[a-z0-9]{5}-[a-z0-9]{5}</code></li>", codes_page)) == 10
    assert "<li><code>" not in client.get("/accounts/backup-codes/").content.decode()  # shown once
    assert client.get("/").status_code == 200

    # One device: the one just confirmed. The abandoned one is gone, and is not reported to the
    # user as "your authenticator app was replaced".
    assert list(TOTPDevice.objects.filter(user=user).values_list("pk", "confirmed")) == [(device.pk, True)]
    assert BackupCodeDevice.objects.filter(user=user).count() == 1
    assert not any("replaced" in m.subject for m in mail.outbox)
    events = AuditEvent.objects.filter(actor_id=user.pk)
    assert events.filter(action="second_factor.enrol_resume", object_id=str(user.uuid)).count() == 1
    enrol = events.get(action="second_factor.enrol", result="success")
    assert enrol.details == {"replaced_devices": 0}
    assert events.filter(action="auth.login", result="success").exists()

    # From now on the password leads to the code, never to enrolment again.
    again = Client()
    assert _password(again)["Location"] == "/accounts/verify/"
    assert again.get("/accounts/enrol/")["Location"] == "/accounts/verify/"
    again.post("/accounts/verify/", {"code": totp_for(user, at=time.time() + 30)})
    assert again.get("/").status_code == 200


def test_abandoned_enrolment_after_72_hours_needs_a_new_link(
    organisation, org_admin, django_capture_on_commit_callbacks
):
    user = _accept_and_abandon(org_admin, django_capture_on_commit_callbacks)
    _accepted_hours_ago(user, 72.1)
    client = Client()
    response = _password(client, follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/")
    assert NO_NEW_LINK in response.content.decode()
    assert "_auth_user_id" not in client.session  # signed out again, not half signed in
    assert client.get("/accounts/enrol/")["Location"].startswith("/accounts/login/")
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    assert not AuditEvent.objects.filter(action="second_factor.enrol_resume").exists()


def test_a_reset_within_the_72_hours_leaves_only_the_new_link(
    organisation, org_admin, django_capture_on_commit_callbacks
):
    user = _accept_and_abandon(org_admin, django_capture_on_commit_callbacks)
    _accepted_hours_ago(user, 1)
    second_factor_reset(user=user, organisation=organisation, by=org_admin)
    # The reset made the password unusable; even if it were known again, it enrols nothing.
    user.set_password(NEW_PASSWORD)
    user.save()
    client = Client()
    response = _password(client, follow=True)
    assert USE_THE_LINK in response.content.decode()
    assert client.get("/accounts/enrol/")["Location"].startswith("/accounts/login/")
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not AuditEvent.objects.filter(action="second_factor.enrol_resume").exists()


def test_an_account_that_had_a_device_never_enrols_by_password(
    organisation, org_admin, django_capture_on_commit_callbacks
):
    user = _accept_and_abandon(org_admin, django_capture_on_commit_callbacks)
    _accepted_hours_ago(user, 1)
    client = Client()
    _password(client)
    client.get("/accounts/enrol/")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).latest("pk")
    client.post("/accounts/enrol/", {"code": totp_code_now(device)})
    assert client.get("/").status_code == 200
    # The device disappears some other way than a reset (say, deleted in the Django admin).
    TOTPDevice.objects.filter(user=user).delete()
    BackupCodeDevice.objects.filter(user=user).delete()
    later = Client()
    response = _password(later, follow=True)
    assert NO_NEW_LINK in response.content.decode()
    assert later.get("/accounts/enrol/")["Location"].startswith("/accounts/login/")
    assert not TOTPDevice.objects.filter(user=user).exists()


def test_the_window_ends_72_hours_after_the_link_was_sent_not_after_it_was_used(
    organisation, org_admin, django_capture_on_commit_callbacks
):
    user = _accept_and_abandon(org_admin, django_capture_on_commit_callbacks)
    _accepted_hours_ago(user, 2, sent_hours_before=71)  # used at hour 71 of its 72; now it is hour 73
    response = _password(Client(), follow=True)
    assert NO_NEW_LINK in response.content.decode()
    assert not AuditEvent.objects.filter(action="second_factor.enrol_resume").exists()


def test_an_account_without_a_second_factor_gets_no_password_reset_email(
    organisation, org_admin, django_capture_on_commit_callbacks
):
    """Else whoever reads the invitee's mailbox could choose the password and, within the 72
    hours, enrol their own authenticator with it."""
    _accept_and_abandon(org_admin, django_capture_on_commit_callbacks)
    response = Client().post("/accounts/password-reset/", {"email": EMAIL})
    assert response.status_code == 302  # the page answers as for anyone
    assert mail.outbox == []
    # With a confirmed device the reset works as before.
    user = User.objects.get(email=EMAIL)
    TOTPDevice.objects.filter(user=user).update(confirmed=True)
    Client().post("/accounts/password-reset/", {"email": EMAIL})
    assert len(mail.outbox) == 1 and "/accounts/password-reset/" in mail.outbox[0].body
