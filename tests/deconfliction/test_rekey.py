"""``manage.py selectors_rekey`` after a normaliser change: no match lost, none missed."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core import mail
from django.core.management import call_command

from audit.models import AuditEvent
from deconfliction import normalisers
from deconfliction.models import Hit, Selector
from deconfliction.normalisers import SelectorError, SelectorKind
from deconfliction.selectors import hit_selectors, selector_raw_value
from deconfliction.services import RekeyProblem, hit_acknowledge, hit_coordinate, selector_register, selectors_rekey
from tests.cases.conftest import access_for, client_for
from tests.conftest import membership_of

pytestmark = pytest.mark.django_db

PHONE_V1 = normalisers._NORMALISERS[SelectorKind.PHONE]
# A stand-in for a new phonenumbers release (its numbering-plan metadata changes). Under
# version 2 the number the Belgian desk registered is the Dutch desk's subscriber, and a range
# version 1 accepted is withdrawn, so a stored value becomes one the rules refuse.
RENUMBERED = {"+32470123456": "+31612345678"}
WITHDRAWN = "+31687654321"


def _phone_v2(value, **kwargs):
    e164 = PHONE_V1(value, **kwargs)
    if e164 == WITHDRAWN:
        raise SelectorError(f"{value} is in a withdrawn range.")
    return RENUMBERED.get(e164, e164)


@pytest.fixture
def phone_rules_v2(monkeypatch):
    """Call to switch to version 2 of the phone rules (as NORMALISER_VERSIONS foresees)."""

    def switch():
        monkeypatch.setitem(normalisers._NORMALISERS, SelectorKind.PHONE, _phone_v2)
        monkeypatch.setitem(normalisers.NORMALISER_VERSIONS, SelectorKind.PHONE.value, 2)

    return switch


def register(user, case, value):
    return selector_register(access=access_for(user, case), kind="phone", value=value, reason="x")


def _state():
    """Everything re-keying could change, but the ciphertexts (re-encrypted on every run)."""
    selectors = list(
        Selector.objects.order_by("pk").values_list("pk", "digest", "key_version", "normaliser_version", "active")
    )
    hits = list(Hit.objects.order_by("pk").values_list("pk", "digest", "status", "last_registration_at"))
    links = sorted(Hit.selectors.through.objects.values_list("hit_id", "selector_id"))
    return selectors, hits, links


def test_after_a_normaliser_change_rekeying_raises_the_hits_the_new_rules_find(
    desks, case_of, phone_rules_v2, django_capture_on_commit_callbacks
):
    nl = register(desks["user_nl"], case_of(desks["user_nl"], "Operation Tulip"), "+31 6 12345678")
    be = register(desks["user_be"], case_of(desks["user_be"], "Operation Waffle"), "+32 470 12 34 56")
    withdrawn = register(desks["user_nl2"], case_of(desks["user_nl2"], "Team B"), "+31 6 87654321")
    assert nl.hits == be.hits == withdrawn.hits == []
    old_digest = withdrawn.selector.digest

    phone_rules_v2()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = selectors_rekey()

    hit = Hit.objects.get()
    assert {hit.organisation_a, hit.organisation_b} == {desks["nl"], desks["be"]}
    assert set(hit_selectors(hit)) == {nl.selector, be.selector}
    assert (result.rekeyed, result.hits_raised, result.hits_merged) == (1, 1, 0)
    # Both desks are told, as when a registration raises a hit.
    assert {"inv@nl.example", "liaison@be.example"} <= {m.to[0] for m in mail.outbox}
    nl_page = client_for(desks["user_nl"]).get(f"/deconfliction/hits/{hit.uuid}/").content.decode()
    assert "Belgian police" in nl_page and "+31 6 12345678" in nl_page
    # The refused value is reported by id, kind and organisation (never by value), and stays
    # on its old digest and versions, active and readable by its owners.
    assert result.refused == [RekeyProblem(selector=str(withdrawn.selector.uuid), kind="phone", organisation="nl-pol")]
    withdrawn.selector.refresh_from_db()
    assert (withdrawn.selector.digest, withdrawn.selector.normaliser_version) == (old_digest, 1)
    assert withdrawn.selector.active
    assert selector_raw_value(selector=withdrawn.selector, membership=membership_of(desks["user_nl2"])) == (
        "+31 6 87654321"
    )
    assert Selector.objects.get(pk=nl.selector.pk).normaliser_version == 2
    event = AuditEvent.objects.get(action="selector.rekey")
    assert event.details["refused_selectors"] == [str(withdrawn.selector.uuid)]
    assert "87654321" not in str(event.details)

    # A second run changes nothing (and reports the refused value again).
    before = _state()
    again = selectors_rekey()
    assert (again.rekeyed, again.hits_raised, again.hits_merged, again.deactivated) == (0, 0, 0, [])
    assert again.refused == result.refused
    assert _state() == before


def test_the_command_reports_refused_values_without_stopping_or_showing_them(desks, case_of, phone_rules_v2):
    register(desks["user_nl"], case_of(desks["user_nl"]), "+31 6 87654321")
    kept = register(desks["user_nl"], case_of(desks["user_nl"], "Second"), "+31 6 11112222")
    phone_rules_v2()
    out, err = io.StringIO(), io.StringIO()
    call_command("selectors_rekey", stdout=out, stderr=err)
    assert "refused: selector" in err.getvalue() and "nl-pol" in err.getvalue()
    assert "87654321" not in err.getvalue() + out.getvalue()
    assert "2 selectors re-encrypted" in out.getvalue() and "1 refused" in out.getvalue()
    assert Selector.objects.get(pk=kept.selector.pk).normaliser_version == 2  # the run went on


def test_open_hits_of_one_pair_that_come_to_share_a_digest_are_merged(desks, case_of, phone_rules_v2):
    nl_case, be_case = case_of(desks["user_nl"]), case_of(desks["user_be"])
    nl_first = register(desks["user_nl"], nl_case, "+31612345678")
    nl_second = register(desks["user_nl"], nl_case, "+32 470 12 34 56")
    be_first = register(desks["user_be"], be_case, "+31 6 1234 5678")
    be_second = register(desks["user_be"], be_case, "+32470123456")
    hit_x, hit_y = be_first.hits[0], be_second.hits[0]
    assert hit_x.pk != hit_y.pk
    hit_acknowledge(membership=membership_of(desks["user_be"]), hit=hit_x, note="seen by BE")
    hit_coordinate(membership=membership_of(desks["user_nl"]), hit=hit_y, note="NL leads")

    phone_rules_v2()
    result = selectors_rekey()

    assert result.hits_merged == 1
    hit = Hit.objects.get()  # one open hit per pair and digest: hit_one_open_per_pair holds
    assert hit.pk == hit_y.pk  # the one further along is kept ...
    assert hit.status == Hit.Status.COORDINATING
    assert hit.acknowledged_a_at and hit.acknowledged_b_at  # ... with both sides' acknowledgements
    assert "seen by BE" in hit.handling_note and "NL leads" in hit.handling_note
    assert set(hit_selectors(hit)) == {nl_first.selector, nl_second.selector, be_first.selector, be_second.selector}
    merge = AuditEvent.objects.get(action="hit.merge")
    assert (merge.object_id, merge.details["merged"]) == (str(hit.uuid), str(hit_x.uuid))
    # Each case held the one identifier twice: the later registration is deactivated
    # (selector_once_per_case), the earlier keeps matching.
    assert sorted(result.deactivated) == sorted([str(nl_second.selector.uuid), str(be_second.selector.uuid)])
    assert set(Selector.objects.filter(active=True)) == {nl_first.selector, be_first.selector}
    nl_page = client_for(desks["user_nl"]).get(f"/deconfliction/hits/{hit.uuid}/").content.decode()
    assert "+32 470 12 34 56" in nl_page  # the deactivated registration is still shown to its owners

    before = _state()
    again = selectors_rekey()
    assert (again.rekeyed, again.hits_raised, again.hits_merged, again.deactivated) == (0, 0, 0, [])
    assert _state() == before


def test_a_value_no_key_decrypts_is_reported_and_the_run_goes_on(desks, case_of):
    lost = register(desks["user_nl"], case_of(desks["user_nl"]), "+31 6 12345678")
    kept = register(desks["user_be"], case_of(desks["user_be"]), "+32 470 12 34 56")
    stranger = Fernet(Fernet.generate_key()).encrypt(b"+31 6 12345678").decode()
    Selector.objects.filter(pk=lost.selector.pk).update(raw_encrypted=stranger)
    result = selectors_rekey()
    assert [p.selector for p in result.unreadable] == [str(lost.selector.uuid)]
    assert result.reencrypted == 1
    assert Selector.objects.get(pk=lost.selector.pk).raw_encrypted == stranger  # left as it was
    assert Selector.objects.get(pk=kept.selector.pk).raw_encrypted != kept.selector.raw_encrypted


def test_a_key_rotation_does_not_bring_back_a_resolved_hit(desks, case_of, settings):
    import base64
    import secrets

    from deconfliction.services import hit_resolve
    from notifications.models import Notification

    nl = selector_register(
        access=access_for(desks["user_nl"], case_of(desks["user_nl"])), kind="email", value="a@b.nl", reason="x"
    )
    selector_register(
        access=access_for(desks["user_be"], case_of(desks["user_be"])), kind="email", value="A@B.nl", reason="x"
    )
    [hit] = Hit.objects.all()
    hit_resolve(membership=membership_of(desks["user_nl"]), hit=hit, outcome="no_conflict")
    told = Notification.objects.count()
    settings.SELECTOR_HMAC_KEYS = [
        "2:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        *settings.SELECTOR_HMAC_KEYS,
    ]
    selectors_rekey()
    nl.selector.refresh_from_db()
    assert nl.selector.key_version == 2
    assert list(Hit.objects.values_list("pk", "status", "digest")) == [(hit.pk, "resolved", nl.selector.digest)]
    assert Notification.objects.count() == told  # nobody is told of a "new" hit
