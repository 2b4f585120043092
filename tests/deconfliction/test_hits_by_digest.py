"""A hit's selectors and last registration are read by its digest, so registering a value that
many organisations hold writes nothing to their hits (issue 10: a value held by 1,000 cases may
cost no more than three fresh ones)."""

import base64
import secrets
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from deconfliction.models import Hit, Selector
from deconfliction.selectors import hit_selectors, hits_for_organisation, with_last_registration
from deconfliction.services import selector_register
from partners.roles import Role
from tests.cases.conftest import access_for, client_for
from tests.conftest import membership_of
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

VALUE = "suspect@example.org"


def register(user, case, value=VALUE):
    return selector_register(access=access_for(user, case), kind="email", value=value, reason="x")


def _hit_row(hit):
    return Hit.objects.filter(pk=hit.pk).values().get()


def test_registering_a_held_value_again_writes_nothing_to_its_hit_but_the_hit_shows_it(desks, case_of):
    tulip, canal = case_of(desks["user_nl"], "Operation Tulip"), case_of(desks["user_nl2"], "Operation Canal")
    first = register(desks["user_nl"], tulip)
    second = register(desks["user_be"], case_of(desks["user_be"], "Operation Waffle"))
    (hit,) = second.hits
    Hit.objects.filter(pk=hit.pk).update(last_registration_at=timezone.now() - timedelta(days=3))
    Selector.objects.filter(pk__in=[first.selector.pk, second.selector.pk]).update(
        registered_at=timezone.now() - timedelta(days=3)
    )
    before = _hit_row(hit)

    third = register(desks["user_nl2"], canal)

    # The same open hit is in the answer, untouched: no update, no link (the other hit is new:
    # NL's two cases hold the value).
    (within_nl,) = [h for h in third.hits if h.pk != hit.pk]
    assert within_nl.organisation_a_id == within_nl.organisation_b_id == desks["nl"].pk
    assert _hit_row(hit) == before
    assert not Hit.selectors.through.objects.exists()
    # ... and yet it holds the new selector and dates from it.
    assert set(hit_selectors(hit)) == {first.selector, second.selector, third.selector}
    annotated = with_last_registration(Hit.objects.filter(pk=hit.pk)).get()
    assert annotated.last_registration == third.selector.registered_at
    # The NL page of the hit lists both NL cases (each to the colleague who can see it); the
    # BE page neither.
    nl_page = client_for(desks["user_nl2"]).get(f"/deconfliction/hits/{hit.uuid}/").content.decode()
    assert canal.reference in nl_page
    be_response = client_for(desks["user_be"]).get(f"/deconfliction/hits/{hit.uuid}/")
    be_page = be_response.content.decode()
    assert be_response.status_code == 200 and "Dutch police" in be_page  # BE sees the hit ...
    assert tulip.reference not in be_page and canal.reference not in be_page  # ... not NL's cases
    api = client_for(desks["user_nl"]).get(f"/api/v1/hits/{hit.uuid}/").json()
    assert {s["uuid"] for s in api["own_selectors"]} == {str(first.selector.uuid), str(third.selector.uuid)}
    # The API gives the derived time.
    api = client_for(desks["user_be"]).get(f"/api/v1/hits/{hit.uuid}/").json()
    assert datetime.fromisoformat(api["last_registration_at"]) == third.selector.registered_at


def test_the_last_registration_ignores_withdrawn_selectors_and_never_goes_before_the_raise(desks, case_of):
    register(desks["user_nl"], case_of(desks["user_nl"]))
    second = register(desks["user_be"], case_of(desks["user_be"]))
    (hit,) = second.hits
    raised = Hit.objects.get(pk=hit.pk).last_registration_at
    later = register(desks["user_nl2"], case_of(desks["user_nl2"])).selector
    assert with_last_registration(Hit.objects.filter(pk=hit.pk)).get().last_registration == later.registered_at
    Selector.objects.filter(pk=later.pk).update(active=False)
    # The remaining registrations predate the hit's own time: that time is the floor.
    Selector.objects.filter(digest=hit.digest, active=True).update(registered_at=raised - timedelta(days=1))
    assert with_last_registration(Hit.objects.filter(pk=hit.pk)).get().last_registration == raised
    Selector.objects.filter(digest=hit.digest).update(active=False)
    assert with_last_registration(Hit.objects.filter(pk=hit.pk)).get().last_registration == raised


def test_the_desk_orders_by_the_derived_last_registration(desks, case_of):
    def hit_on(value):
        register(desks["user_nl"], case_of(desks["user_nl"]), value)
        return register(desks["user_be"], case_of(desks["user_be"]), value).hits[0]

    older, newer = hit_on("a@example.org"), hit_on("b@example.org")
    membership = membership_of(desks["user_be"])
    assert [h.pk for h in hits_for_organisation(membership=membership)] == [newer.pk, older.pk]
    register(desks["user_nl2"], case_of(desks["user_nl2"]), "a@example.org")  # the older hit's value again
    assert [h.pk for h in hits_for_organisation(membership=membership)] == [older.pk, newer.pk]


def test_the_case_selectors_page_shows_each_selectors_hits(desks, case_of):
    nl_case = case_of(desks["user_nl"], "Operation Tulip")
    register(desks["user_nl"], nl_case)
    register(desks["user_nl"], nl_case, "alone@example.org")
    hit = register(desks["user_be"], case_of(desks["user_be"])).hits[0]
    page = client_for(desks["user_nl"]).get(f"/deconfliction/cases/{nl_case.uuid}/selectors/").content.decode()
    rows = page.split("<tr>")[2:]
    (held,) = [row for row in rows if VALUE in row]
    (alone,) = [row for row in rows if "alone@example.org" in row]
    assert str(hit.uuid) in held and str(hit.uuid) not in alone


def test_registering_a_held_value_costs_the_same_queries_however_many_organisations_hold_it(
    desks, case_of, make_member
):
    """The flat cost of a held value, as a query count: 3 or 9 other holders, one statement set.
    Every audit chain head exists first: events without an actor (a hit being raised) go to a
    random chain, whose head is created on its first event, one statement more."""
    from audit.models import AUDIT_CHAINS, AuditChainHead

    AuditChainHead.objects.bulk_create([AuditChainHead(chain=c) for c in range(AUDIT_CHAINS)], ignore_conflicts=True)
    counts = []
    for holders, value in ((1, "warm-up@example.org"), (3, "three@example.org"), (9, "nine@example.org")):
        for _holder in range(holders):
            organisation = OrganisationFactory(kind="police", country="NL")
            user = make_member(organisation, role=Role.INVESTIGATOR)
            register(user, case_of(user), value)
        register(desks["user_nl"], case_of(desks["user_nl"]), value)  # raises the hits
        access = access_for(desks["user_nl2"], case_of(desks["user_nl2"]))
        with CaptureQueriesContext(connection) as ctx:
            result = selector_register(access=access, kind="email", value=value, reason="x")
        assert len(result.hits) == holders + 1  # one per other organisation, and one within NL
        counts.append([q["sql"] for q in ctx.captured_queries])
    assert len(counts[1]) == len(counts[2]), "\n".join(counts[1] + ["-----"] + counts[2])


def _rotate_key(settings):
    new_key = "2:" + base64.b64encode(secrets.token_bytes(32)).decode()
    settings.SELECTOR_HMAC_KEYS = [new_key, *settings.SELECTOR_HMAC_KEYS]


def test_during_a_key_rotation_selectors_under_the_old_key_are_linked(desks, case_of, settings, make_member):
    """Before re-keying, digests differ by key: what is not found by the hit's digest is linked."""
    old_holder = register(desks["user_nl"], case_of(desks["user_nl"]))
    held = register(desks["user_be"], case_of(desks["user_be"], "Operation Waffle"))
    (old_hit,) = held.hits  # stored under key 1
    _rotate_key(settings)

    # A new organisation registers under key 2: its new hit with NL links NL's key-1 selector.
    de_user = make_member(OrganisationFactory(kind="police", country="DE"), role=Role.INVESTIGATOR)
    de = register(de_user, case_of(de_user))
    de_nl = next(h for h in de.hits if desks["nl"].pk in (h.organisation_a_id, h.organisation_b_id))
    assert de_nl.digest == de.selector.digest != old_holder.selector.digest
    assert set(hit_selectors(de_nl)) == {old_holder.selector, de.selector}

    # NL registers again under key 2: the open NL-BE hit is still stored under key 1, so the
    # new selector is linked to it.
    canal = case_of(desks["user_nl2"], "Operation Canal")
    again = register(desks["user_nl2"], canal)
    assert old_hit.pk in [h.pk for h in again.hits]
    assert set(hit_selectors(old_hit)) == {old_holder.selector, held.selector, again.selector}
    nl_page = client_for(desks["user_nl2"]).get(f"/deconfliction/hits/{old_hit.uuid}/").content.decode()
    assert canal.reference in nl_page
    # Its last registration moves with it (its digest would not find the new selector).
    annotated = with_last_registration(Hit.objects.filter(pk=old_hit.pk)).get()
    assert annotated.last_registration == again.selector.registered_at


def test_a_resolved_hit_keeps_its_selectors_and_a_new_case_raises_a_new_hit(desks, case_of):
    """Registering a value again after the pair resolved its hit raises a new hit (a new case
    holds it); the resolved hit does not take in the new registration, nor move its date."""
    from deconfliction.services import hit_resolve

    first = register(desks["user_nl"], case_of(desks["user_nl"], "Operation Tulip"))
    second = register(desks["user_be"], case_of(desks["user_be"]))
    (resolved,) = second.hits
    resolved = hit_resolve(membership=membership_of(desks["user_be"]), hit=resolved, outcome=Hit.Outcome.NO_CONFLICT)
    before = with_last_registration(Hit.objects.filter(pk=resolved.pk)).get().last_registration

    canal = case_of(desks["user_nl2"], "Operation Canal")
    again = register(desks["user_nl2"], canal)
    (new_hit,) = [h for h in again.hits if h.organisation_a_id != h.organisation_b_id]
    assert new_hit.pk != resolved.pk and new_hit.status == Hit.Status.NEW
    assert set(hit_selectors(resolved)) == {first.selector, second.selector}
    assert set(hit_selectors(new_hit)) == {first.selector, second.selector, again.selector}
    assert with_last_registration(Hit.objects.filter(pk=resolved.pk)).get().last_registration == before
    # The case page of the new registration shows the new hit only.
    page = client_for(desks["user_nl2"]).get(f"/deconfliction/cases/{canal.uuid}/selectors/").content.decode()
    assert str(new_hit.uuid) in page and str(resolved.uuid) not in page


def test_a_registration_withdrawn_before_the_hit_is_not_part_of_it(desks, case_of):
    """The other side learns when the value was registered by them while the hit could see
    it: not a registration they had withdrawn before."""
    from deconfliction.services import selector_deactivate

    be_user = desks["user_be"]
    old_case = case_of(be_user, "Operation Waffle")
    withdrawn = register(be_user, old_case)
    selector_deactivate(access=access_for(be_user, old_case), selector=withdrawn.selector)
    Selector.objects.filter(pk=withdrawn.selector.pk).update(
        registered_at=timezone.now() - timedelta(days=400), deactivated_at=timezone.now() - timedelta(days=300)
    )
    current = register(be_user, case_of(be_user, "Operation Frites"))
    (hit,) = register(desks["user_nl"], case_of(desks["user_nl"])).hits
    assert withdrawn.selector not in set(hit_selectors(hit))
    api = client_for(desks["user_nl"]).get(f"/api/v1/hits/{hit.uuid}/").json()
    assert datetime.fromisoformat(api["other_first_registered"]) == current.selector.registered_at
    be_view = client_for(be_user).get(f"/api/v1/hits/{hit.uuid}/").json()
    assert {s["uuid"] for s in be_view["own_selectors"]} == {str(current.selector.uuid)}
