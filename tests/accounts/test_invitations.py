import re
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from accounts.models import Invitation, TOTPDevice, User
from accounts.otp import totp_code_now, totp_secret_base32
from accounts.services import invitation_create, second_factor_reset
from audit.models import AuditEvent
from partners.models import Membership
from partners.roles import Role
from tests.conftest import login_verified, totp_for
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "A-long-new-passphrase-42"


def _invite(org_admin, organisation, capture, email="new.person@police-a.example", role=Role.INVESTIGATOR):
    with capture(execute=True):
        response = login_verified(Client(), org_admin).post(
            "/organisation/members/invite/", {"email": email, "full_name": "New Person", "role": role}
        )
    assert response.status_code == 302
    link = re.search(r"http://\S+/accounts/invite/(\S+)/", mail.outbox[-1].body)
    return link.group(1)


def test_invitation_email_enrolment_and_first_login(organisation, org_admin, django_capture_on_commit_callbacks):
    token = _invite(org_admin, organisation, django_capture_on_commit_callbacks)
    assert mail.outbox[-1].to == ["new.person@police-a.example"]
    invitation = Invitation.objects.get()
    assert token not in invitation.token_hash  # only the hash is stored

    client = Client()
    page = client.get(f"/accounts/invite/{token}/")
    assert page.status_code == 200
    assert "new.person@police-a.example" in page.content.decode()
    response = client.post(
        f"/accounts/invite/{token}/", {"full_name": "New Person", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response["Location"] == "/accounts/enrol/"
    user = User.objects.get(email="new.person@police-a.example")
    assert Membership.objects.get(user=user).role == Role.INVESTIGATOR
    assert user.groups.filter(pk=organisation.group_id).exists()

    # Enrolment: a QR code rendered on the server, a secret to type, then a confirmation code.
    html = client.get("/accounts/enrol/").content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert "<svg" in html
    assert totp_secret_base32(device) in html
    assert client.get("/accounts/enrol/qr.svg")["Content-Type"] == "image/svg+xml"
    done = client.post("/accounts/enrol/", {"code": totp_code_now(device)})
    assert done["Location"] == "/accounts/backup-codes/"
    codes_page = client.get("/accounts/backup-codes/").content.decode()
    assert len(re.findall(r"<li><code>[a-z0-9]{5}-[a-z0-9]{5}</code></li>", codes_page)) == 10
    # Shown once only.
    assert "<li><code>" not in client.get("/accounts/backup-codes/").content.decode()
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.filter(action="second_factor.enrol", actor_id=user.pk).exists()

    # A later login: password, then a fresh code.
    again = Client()
    again.post("/accounts/login/", {"username": user.email, "password": NEW_PASSWORD})
    assert again.get("/").status_code == 302
    again.post("/accounts/verify/", {"code": totp_for(user, at=time.time() + 30)})
    assert again.get("/").status_code == 200


def test_invitation_link_works_once(organisation, org_admin, django_capture_on_commit_callbacks):
    token = _invite(org_admin, organisation, django_capture_on_commit_callbacks)
    data = {"full_name": "New Person", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    assert Client().post(f"/accounts/invite/{token}/", data).status_code == 302
    second = Client().post(f"/accounts/invite/{token}/", data)
    assert second.status_code == 404
    assert "not valid" in second.content.decode()


def test_invitation_expires_after_72_hours(organisation, org_admin, django_capture_on_commit_callbacks):
    token = _invite(org_admin, organisation, django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get()
    assert abs((invitation.expires_at - invitation.created_at) - timedelta(hours=72)) < timedelta(seconds=1)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert Client().get(f"/accounts/invite/{token}/").status_code == 404
    assert not User.objects.filter(email="new.person@police-a.example").exists()


def test_weak_password_refused_and_nothing_created(organisation, org_admin, django_capture_on_commit_callbacks):
    token = _invite(org_admin, organisation, django_capture_on_commit_callbacks)
    response = Client().post(
        f"/accounts/invite/{token}/", {"full_name": "N", "password1": "short", "password2": "short"}
    )
    assert response.status_code == 200
    assert "too short" in response.content.decode()
    assert not User.objects.filter(email="new.person@police-a.example").exists()
    assert Invitation.objects.get().used_at is None


def test_only_org_admins_invite(organisation, member):
    with pytest.raises(PermissionDenied):
        invitation_create(email="x@example.org", full_name="X", organisation=organisation, role=Role.LIAISON, by=member)
    assert login_verified(Client(), member).post("/organisation/members/invite/", {}).status_code == 404


def test_operator_invites_only_a_first_admin():
    operator = UserFactory(is_platform_operator=True)
    organisation = OrganisationFactory()
    with pytest.raises(PermissionDenied):
        invitation_create(
            email="x@example.org", full_name="X", organisation=organisation, role=Role.LIAISON, by=operator
        )
    invitation, _token = invitation_create(
        email="boss@example.org", full_name="Boss", organisation=organisation, role=Role.ORG_ADMIN, by=operator
    )
    assert invitation.role == Role.ORG_ADMIN


def test_reset_second_factor_issues_new_link(organisation, org_admin, member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _inv, token = second_factor_reset(user=member, organisation=organisation, by=org_admin)
    assert not TOTPDevice.objects.filter(user=member).exists()
    assert {m.subject for m in mail.outbox} == {"Set up your second factor again", "Your second factor was reset"}
    client = Client()
    client.post(
        f"/accounts/invite/{token}/",
        {"full_name": member.full_name, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert client.get("/accounts/enrol/").status_code == 200
    assert client.get("/").status_code == 302  # not verified until the new device is confirmed


def test_admin_of_another_organisation_cannot_reset(member, make_member):
    other_admin = make_member(OrganisationFactory(), role=Role.ORG_ADMIN)
    with pytest.raises(PermissionDenied):
        second_factor_reset(user=member, organisation=other_admin.memberships.get().organisation, by=other_admin)
    assert TOTPDevice.objects.filter(user=member).exists()
