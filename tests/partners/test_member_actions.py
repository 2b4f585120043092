"""Organisation admins act on their members through the portal's members page."""

import re

import pytest
from django.core import mail
from django.test import Client

from accounts.models import BackupCodeDevice, Invitation, TOTPDevice
from accounts.otp import backup_codes_replace
from audit.models import AuditEvent
from partners.roles import Role
from tests.conftest import login_verified
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def _reset_url(member) -> str:
    return f"/organisation/members/{member.memberships.get().uuid}/reset-second-factor/"


def test_org_admin_resets_a_members_second_factor(organisation, org_admin, member, django_capture_on_commit_callbacks):
    backup_codes_replace(user=member)
    members_session = login_verified(Client(), member)
    admin = login_verified(Client(), org_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(_reset_url(member))
    assert response.status_code == 302
    assert response["Location"] == "/organisation/members/"

    assert not TOTPDevice.objects.filter(user=member).exists()
    assert not BackupCodeDevice.objects.filter(user=member).exists()
    # A new enrolment link, by email to the member, that works.
    invitation = Invitation.objects.get(user=member)
    assert invitation.purpose == Invitation.Purpose.RESET_SECOND_FACTOR
    assert invitation.created_by == org_admin
    link_mail = next(m for m in mail.outbox if m.subject == "Set up your second factor again")
    assert link_mail.to == [member.email]
    token = re.search(r"/accounts/invite/(\S+)/", link_mail.body).group(1)
    assert Client().get(f"/accounts/invite/{token}/").status_code == 200
    assert any(m.subject == "Your second factor was reset" and m.to == [member.email] for m in mail.outbox)
    # Audited as the admin's action on the member, for the admin's organisation.
    event = AuditEvent.objects.get(action="second_factor.reset")
    assert (event.actor_id, event.organisation_id, event.object_id, event.result) == (
        org_admin.pk,
        organisation.pk,
        str(member.uuid),
        "success",
    )
    # The member's own session ends (the reset also made the password unusable).
    assert members_session.get("/")["Location"].startswith("/accounts/login/")


def test_reset_route_is_404_to_an_admin_of_another_organisation(
    member, make_member, django_capture_on_commit_callbacks
):
    other_admin = make_member(OrganisationFactory(), role=Role.ORG_ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        response = login_verified(Client(), other_admin).post(_reset_url(member))
    assert response.status_code == 404
    assert TOTPDevice.objects.filter(user=member, confirmed=True).exists()
    assert not Invitation.objects.exists()
    assert mail.outbox == []
    assert not AuditEvent.objects.filter(action="second_factor.reset").exists()


def test_reset_route_is_404_to_a_colleague_who_is_not_an_admin(organisation, member, make_member):
    colleague = make_member(organisation, role=Role.INVESTIGATOR)
    response = login_verified(Client(), colleague).post(_reset_url(member))
    assert response.status_code == 404
    assert TOTPDevice.objects.filter(user=member, confirmed=True).exists()
    assert not Invitation.objects.exists()
