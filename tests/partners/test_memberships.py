import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client

from audit.models import AuditEvent
from partners.models import Membership, Organisation
from partners.roles import ROLE_CAPABILITIES, Capability, Role
from partners.services import membership_change_role, membership_create, membership_end, organisation_create
from tests.conftest import login_verified
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_group_follows_active_memberships(organisation, org_admin):
    user = UserFactory()
    first = membership_create(user=user, organisation=organisation, role=Role.ANALYST, by=org_admin)
    assert list(user.groups.all()) == [organisation.group]
    membership_end(membership=first, by=org_admin)
    assert not user.groups.exists()
    membership_create(user=user, organisation=organisation, role=Role.LIAISON, by=org_admin)
    assert list(user.groups.all()) == [organisation.group]
    assert Membership.objects.filter(user=user).count() == 2  # history is kept


def test_one_active_membership_per_organisation(organisation, member, org_admin):
    with pytest.raises(ValidationError):
        membership_create(user=member, organisation=organisation, role=Role.ANALYST, by=org_admin)
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=member, organisation=organisation, role=Role.ANALYST)


def test_unknown_role_refused_and_nothing_written(organisation, org_admin):
    user = UserFactory()
    with pytest.raises(ValidationError):
        membership_create(user=user, organisation=organisation, role="superhero", by=org_admin)
    assert not Membership.objects.filter(user=user).exists()


def test_role_change_is_audited(member, org_admin):
    membership = member.memberships.get()
    membership_change_role(membership=membership, role=Role.ANALYST, by=org_admin)
    event = AuditEvent.objects.get(action="membership.role_change")
    assert event.details == {"user": str(member.uuid), "from": Role.LIAISON, "to": Role.ANALYST}


def test_every_role_has_an_entry_in_the_capability_table():
    assert set(ROLE_CAPABILITIES) == set(Role.values)
    assert all(set(caps) <= set(Capability.values) for caps in ROLE_CAPABILITIES.values())
    # Ministry monitors see aggregates, not cases.
    assert Capability.VIEW_CASES not in ROLE_CAPABILITIES[Role.MINISTRY_MONITOR]


def test_switcher_changes_the_acting_organisation(member):
    ngo = OrganisationFactory(kind="ngo", name="Hotline")
    ngo_membership = membership_create(user=member, organisation=ngo, role=Role.NGO_CASEWORKER)
    client = login_verified(Client(), member)
    client.post(
        "/organisation/switch/", {"membership": str(member.memberships.get(organisation__name="Police Unit A").uuid)}
    )
    assert "Police Unit A" in client.get("/").content.decode().split("<h2>")[1]
    response = client.post("/organisation/switch/", {"membership": str(ngo_membership.uuid), "next": "/"})
    assert response["Location"] == "/"
    assert "Hotline" in client.get("/").content.decode().split("<h2>")[1]
    event = AuditEvent.objects.filter(action="membership.switch").latest("id")
    assert event.organisation_id == ngo.pk


def test_switcher_refuses_someone_elses_membership(member, make_member):
    stranger = make_member(OrganisationFactory(name="Elsewhere"))
    client = login_verified(Client(), member)
    client.post("/organisation/switch/", {"membership": str(stranger.memberships.get().uuid)})
    assert "Police Unit A" in client.get("/").content.decode().split("<h2>")[1]
    assert not AuditEvent.objects.filter(action="membership.switch").exists()


def test_member_pages_are_404_for_non_admins(member):
    client = login_verified(Client(), member)
    assert client.get("/organisation/members/").status_code == 404
    assert client.post(f"/organisation/members/{member.memberships.get().uuid}/unlock/").status_code == 404


def test_admin_sees_only_own_members(org_admin, member, make_member):
    outsider = make_member(OrganisationFactory(name="Elsewhere"))
    client = login_verified(Client(), org_admin)
    html = client.get("/organisation/members/").content.decode()
    assert member.email in html
    assert outsider.email not in html
    other = outsider.memberships.get()
    assert client.post(f"/organisation/members/{other.uuid}/deactivate/").status_code == 404
    other.refresh_from_db()
    assert other.active


def test_admin_changes_role_and_creates_service_account(org_admin, member):
    client = login_verified(Client(), org_admin)
    membership = member.memberships.get()
    client.post(f"/organisation/members/{membership.uuid}/role/", {"role": Role.PROSECUTOR})
    membership.refresh_from_db()
    assert membership.role == Role.PROSECUTOR
    client.post("/organisation/members/service-accounts/", {"name": "Case system"})
    service = Membership.objects.get(user__is_service_account=True).user
    assert not service.has_usable_password()
    response = Client().post("/accounts/login/", {"username": service.email, "password": ""})
    assert "Sign-in failed" in response.content.decode()


def test_operator_creates_organisation_with_first_admin_invitation(django_capture_on_commit_callbacks):
    from django.core import mail

    operator = UserFactory(is_platform_operator=True)
    client = login_verified(Client(), operator)
    data = {
        "name": "New Unit",
        "short_code": "new-unit",
        "kind": "police",
        "country": "nl",
        "desk_name": "Desk",
        "desk_phone": "+31 1",
        "desk_email": "desk@new.example",
        "admin_email": "boss@new.example",
        "admin_name": "Boss",
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/organisation/all/", data).status_code == 302
    organisation = Organisation.objects.get(short_code="new-unit")
    assert organisation.country == "NL"
    assert organisation.group.name == "org:new-unit"
    assert mail.outbox[0].to == ["boss@new.example"]
    # A duplicate short code is refused with a message, and nothing more is created.
    again = client.post("/organisation/all/", {**data, "name": "Other name"})
    assert again.status_code == 400
    assert Organisation.objects.filter(short_code="new-unit").count() == 1


def test_operator_pages_are_404_for_members(member):
    assert login_verified(Client(), member).get("/organisation/all/").status_code == 404


def test_organisation_create_validates_kind_and_country():
    with pytest.raises(ValidationError):
        organisation_create(
            name="X",
            short_code="x",
            kind="cartel",
            country="NL",
            desk_name="d",
            desk_phone="1",
            desk_email="d@x.example",
        )
    with pytest.raises(ValidationError):
        organisation_create(
            name="X",
            short_code="x",
            kind="police",
            country="NLD",
            desk_name="d",
            desk_phone="1",
            desk_email="d@x.example",
        )
    assert not Organisation.objects.filter(short_code="x").exists()
