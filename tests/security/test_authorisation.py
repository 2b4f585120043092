"""SECURITY.md lines 14-17 and 33: authorisation on cases (the full route matrix is built with
the API; these prove each rule on the pages that exist)."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from icalendar import Calendar

from cases.constants import TLP, AccessLevel, LegalBasis
from cases.models import CaseShare, Milestone, MilestoneKind
from cases.services import calendar_feed_create, case_share, case_share_decide, case_share_revoke
from tests.cases.conftest import access_for, client_for
from tests.urlwalk import all_routes

pytestmark = pytest.mark.django_db


def test_sec_14_outsider_gets_404_on_every_case_route_and_sees_no_trace(world, shared_case, new_case):
    # The outsider has a case of its own, so its list is not empty by accident.
    own = new_case(TLP.GREEN, by=world.outsider, title="Outsider's own")
    routes = [r for r in all_routes() if r.path.startswith("/cases/" + "00000000")]
    assert len(routes) >= 10
    client = client_for(world.outsider)
    for route in routes:
        path = route.path.replace("00000000-0000-4000-8000-000000000001", str(shared_case.uuid), 1)
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            assert response.status_code in (404, 405), (path, method, response.status_code)
    for path in ("/cases/", "/cases/?text=Lighthouse", "/cases/export.csv", "/cases/milestones/", "/cases/tasks/"):
        assert shared_case.reference not in client.get(path).content.decode()
    assert own.reference in client.get("/cases/").content.decode()


def test_sec_15_revoking_a_share_takes_effect_on_the_next_request(world, shared_case):
    client = client_for(world.partner_liaison)
    assert client.get(f"/cases/{shared_case.uuid}/").status_code == 200
    share = CaseShare.objects.get(case=shared_case, organisation=world.partner)
    case_share_revoke(access=access_for(world.liaison, shared_case), share=share, reason="done")
    assert client.get(f"/cases/{shared_case.uuid}/").status_code == 404


def test_sec_16_tlp_rules_at_share_export_and_calendar(world, new_case):
    red, strict = new_case(TLP.RED, title="Red one"), new_case(TLP.AMBER_STRICT, title="Strict one")
    for case, target in (
        (red, {"organisation": world.partner}),
        (strict, {"organisation": world.partner}),
        (strict, {"membership": world.ngo_worker.memberships.get()}),
        (red, {"membership": world.ngo_worker.memberships.get()}),  # only the NGO rule refuses this one
    ):
        with pytest.raises(ValidationError) as refused:
            case_share(access=access_for(world.liaison, case), level=AccessLevel.VIEW, reason="x", **target)
        assert "RED" in str(refused.value) or "AMBER+STRICT" in str(refused.value) or "NGO" in str(refused.value)
    export = client_for(world.liaison).get("/cases/export.csv").content.decode()
    assert red.reference not in export and strict.reference in export
    Milestone.objects.create(
        case=red,
        kind=MilestoneKind.VERDICT,
        owner_organisation=world.lead,
        due_date=timezone.localdate() + timedelta(days=3),
    )
    feed = client_for(world.liaison).get(
        f"/calendar/{calendar_feed_create(membership=world.liaison.memberships.get())}.ics"
    )
    assert red.reference not in feed.content.decode()
    assert Calendar.from_ical(feed.content) is not None
    # Access follows the active organisation only (GREEN: no TLP rule hides it from the NGO side).
    assert client_for(world.dual, world.ngo).get(f"/cases/{strict.uuid}/").status_code == 404
    green = new_case(TLP.GREEN, title="Green one")
    assert client_for(world.dual, world.lead).get(f"/cases/{green.uuid}/").status_code == 200
    assert client_for(world.dual, world.ngo).get(f"/cases/{green.uuid}/").status_code == 404


def test_sec_17_other_side_never_sees_case_or_raw_value_after_a_hit(desks, case_of):
    from deconfliction.services import selector_register

    nl_case = case_of(desks["user_nl"], "Operation Hidden Heron")
    selector_register(access=access_for(desks["user_nl"], nl_case), kind="phone", value="+31 6 11112222", reason="x")
    be_case = case_of(desks["user_be"], "Belgian case")
    hit = selector_register(
        access=access_for(desks["user_be"], be_case), kind="phone", value="0031 611 112 222", reason="x"
    ).hits[0]
    client = client_for(desks["user_be"])
    reachable = [
        r.path
        for r in all_routes()
        if "<" not in r.path
        and "sample" not in r.path
        and "00000000" not in r.path
        and r.view_name not in ("accounts:logout",)
    ]
    reachable += [
        f"/deconfliction/hits/{hit.uuid}/",
        f"/cases/{be_case.uuid}/",
        f"/deconfliction/cases/{be_case.uuid}/selectors/",
    ]
    for path in reachable:
        body = client.get(path).content.decode(errors="replace")
        for secret in (nl_case.reference, "Hidden Heron", "+31 6 11112222"):
            assert secret not in body, (path, secret)


def test_sec_33_cross_border_share_needs_legal_basis_and_second_approver(world, shared_case):
    with pytest.raises(ValidationError, match="legal basis"):
        case_share(
            access=access_for(world.liaison, shared_case),
            organisation=world.foreign,
            level=AccessLevel.VIEW,
            reason="x",
        )
    share = case_share(
        access=access_for(world.liaison, shared_case),
        organisation=world.foreign,
        level=AccessLevel.VIEW,
        reason="x",
        legal_basis=LegalBasis.MLA,
    )
    foreign = client_for(world.foreign_liaison)
    assert foreign.get(f"/cases/{shared_case.uuid}/").status_code == 404
    with pytest.raises(PermissionDenied, match="second person"):
        case_share_decide(access=access_for(world.liaison, shared_case), share=share, approve=True)
    case_share_decide(access=access_for(world.colleague, shared_case), share=share, approve=True)
    assert foreign.get(f"/cases/{shared_case.uuid}/").status_code == 200
    assert CaseShare.objects.get(pk=share.pk).legal_basis == LegalBasis.MLA
