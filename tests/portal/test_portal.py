import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import BackupCode, TOTPDevice, User
from audit.models import AuditEvent
from partners.models import Membership, Organisation
from partners.roles import Role
from portal import demo
from tests.conftest import login_password_only, login_verified
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_healthz_reports_database():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_seed_demo_is_idempotent_and_covers_every_role(capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    counts = [m.objects.count() for m in (Organisation, User, Membership, TOTPDevice, BackupCode, AuditEvent)]
    call_command("seed_demo")
    second = capsys.readouterr().out
    assert [m.objects.count() for m in (Organisation, User, Membership, TOTPDevice, BackupCode, AuditEvent)] == counts
    assert "0 object(s) created" in second
    assert set(Membership.objects.values_list("role", flat=True)) == set(Role.values)
    assert Organisation.objects.count() == len(demo.ORGANISATIONS)
    assert {kind for _c, _n, kind, *_ in demo.ORGANISATIONS} == set(Organisation.objects.values_list("kind", flat=True))
    # Every demo login is printed with its password and a second factor.
    for email, *_ in demo.PEOPLE:
        assert email in out
    assert demo.DEMO_PASSWORD in out
    assert "TOTP secret" in out
    assert "otpauth://totp/" in out


def test_demo_login_works_end_to_end():
    call_command("seed_demo", quiet=True)
    from accounts.otp import totp_code_now

    client = Client()
    client.post("/accounts/login/", {"username": "liaison@tbkk.politie.example", "password": demo.DEMO_PASSWORD})
    device = TOTPDevice.objects.get(user__email="liaison@tbkk.politie.example")
    client.post("/accounts/verify/", {"code": totp_code_now(device)})
    assert client.get("/").status_code == 200
    # A printed backup code works as a second factor too.
    backup = Client()
    backup.post("/accounts/login/", {"username": "monitor@jenv.example", "password": demo.DEMO_PASSWORD})
    backup.post("/accounts/verify/", {"code": demo.demo_backup_codes("monitor@jenv.example")[0].upper()})
    assert backup.get("/").status_code == 200


def test_admin_requires_second_factor_and_exposes_no_audit():
    from portal.admin import admin_site

    staff = UserFactory(is_staff=True, is_platform_operator=True)
    half = login_password_only(Client(), staff)
    response = half.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/verify/"
    assert login_verified(Client(), staff).get("/admin/").status_code == 200
    registered = {model._meta.label for model in admin_site._registry}
    assert registered == {"accounts.User", "partners.Organisation", "partners.Membership"}
