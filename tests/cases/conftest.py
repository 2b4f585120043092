"""Personas for case tests: the lead organisation, a partner it shares with, an outsider,
an NGO, a foreign police force, an industry partner, an international organisation, and a member
of both the lead and the NGO."""

from types import SimpleNamespace

import pytest
from django.test import Client

from cases.constants import TLP, AccessLevel, CrimeType
from cases.selectors import CaseAccess, case_access_for
from cases.services import case_create, case_share
from partners.models import Membership
from partners.roles import Role
from partners.services import membership_create
from tests.conftest import login_verified
from tests.factories import OrganisationFactory


def access_for(user, case, organisation=None) -> CaseAccess:
    membership = Membership.objects.select_related("organisation").get(
        user=user, active=True, **({"organisation": organisation} if organisation else {})
    )
    return case_access_for(membership=membership, case=case)


def client_for(user, organisation=None) -> Client:
    client = login_verified(Client(), user)
    if organisation is not None:
        membership = Membership.objects.get(user=user, organisation=organisation, active=True)
        client.post("/organisation/switch/", {"membership": str(membership.uuid)})
    return client


@pytest.fixture
def world(db, make_member):
    lead = OrganisationFactory(name="Lead police", short_code="lead", kind="police", country="NL")
    partner = OrganisationFactory(name="Partner police", short_code="partner", kind="police", country="NL")
    outsider_org = OrganisationFactory(name="Outsider police", short_code="outsider", kind="police", country="BE")
    ngo = OrganisationFactory(name="Hotline", short_code="hotline", kind="ngo", country="NL")
    foreign = OrganisationFactory(name="Foreign police", short_code="foreign", kind="foreign_police", country="PH")
    industry = OrganisationFactory(name="Hosting provider", short_code="host", kind="industry", country="NL")
    international = OrganisationFactory(name="Europol EC3", short_code="ec3", kind="international", country="NL")
    w = SimpleNamespace(
        lead=lead,
        partner=partner,
        outsider_org=outsider_org,
        ngo=ngo,
        foreign=foreign,
        industry=industry,
        international=international,
    )
    w.liaison = make_member(lead, role=Role.LIAISON, email="liaison@lead.example")
    w.colleague = make_member(lead, role=Role.LIAISON, email="colleague@lead.example")
    w.lead_admin = make_member(lead, role=Role.ORG_ADMIN, email="admin@lead.example")
    w.partner_liaison = make_member(partner, role=Role.LIAISON, email="liaison@partner.example")
    w.partner_analyst = make_member(partner, role=Role.ANALYST, email="analyst@partner.example")
    w.outsider = make_member(outsider_org, role=Role.LIAISON, email="liaison@outsider.example")
    w.ngo_worker = make_member(ngo, role=Role.NGO_CASEWORKER, email="worker@hotline.example")
    w.foreign_liaison = make_member(foreign, role=Role.LIAISON, email="liaison@foreign.example")
    w.industry_worker = make_member(industry, role=Role.NGO_CASEWORKER, email="abuse@host.example")
    w.international_liaison = make_member(international, role=Role.LIAISON, email="liaison@ec3.example")
    w.dual = make_member(lead, role=Role.ANALYST, email="dual@lead.example")
    membership_create(user=w.dual, organisation=ngo, role=Role.NGO_CASEWORKER)
    return w


@pytest.fixture
def new_case(world):
    def _new(tlp=TLP.AMBER, by=None, title="Operation Lighthouse", **extra):
        user = by or world.liaison
        membership = Membership.objects.select_related("organisation").get(user=user, active=True)
        return case_create(
            membership=membership, title=title, crime_type=CrimeType.DISTRIBUTION, tlp=tlp, countries="NL PH", **extra
        )

    return _new


@pytest.fixture
def shared_case(world, new_case):
    """An AMBER case of the lead, shared (view only) with the partner."""
    case = new_case(TLP.AMBER)
    case_share(
        access=access_for(world.liaison, case),
        organisation=world.partner,
        level=AccessLevel.VIEW,
        reason="joint investigation",
    )
    return case
