"""SECURITY.md lines 28, 30, 31 and 32 (selectors and cases; audit segments follow with the
retention of the audit log)."""

import contextlib
import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import Case
from cases.services import cases_purge_retained
from deconfliction.models import Hit, Selector
from deconfliction.selectors import hit_selectors
from deconfliction.services import selector_register, selectors_expire_due
from tests.cases.conftest import access_for
from tests.threads import run_in_threads

pytestmark = pytest.mark.django_db


def _register_in_threads(accesses, value: str, before=None) -> list[BaseException]:
    """Each access registers ``value`` in a thread of its own (a connection of its own); the
    errors they raised, for the test to report."""

    def run(access):
        if before is not None:
            before()
        selector_register(access=access, kind="email", value=value, reason="race")

    return run_in_threads(run, [(access,) for access in accesses])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sec_28_concurrent_registration_produces_the_hit_for_both(desks, case_of):
    accesses = [
        access_for(desks["user_nl"], case_of(desks["user_nl"])),
        access_for(desks["user_be"], case_of(desks["user_be"])),
    ]
    barrier = threading.Barrier(2)
    errors = _register_in_threads(accesses, "race@example.org", before=barrier.wait)
    assert errors == []
    hit = Hit.objects.get()
    assert {hit.organisation_a, hit.organisation_b} == {desks["nl"], desks["be"]}
    assert hit_selectors(hit).count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sec_28_registrations_meeting_before_the_lookup_still_produce_the_hit(desks, case_of, monkeypatch):
    """Deterministic, unlike the race above: each registration waits (up to a second) for the
    other just before it looks for other holders. With the digest locked the second one cannot
    get there, so they never meet; without the lock neither sees the other and no hit is raised."""
    from deconfliction.services import registration

    accesses = [
        access_for(desks["user_nl"], case_of(desks["user_nl"])),
        access_for(desks["user_be"], case_of(desks["user_be"])),
    ]
    meet = threading.Barrier(2, timeout=1)
    raise_hits = registration._raise_hits

    def wait_then_raise_hits(**kwargs):
        with contextlib.suppress(threading.BrokenBarrierError):  # the other never came: locked out
            meet.wait()
        return raise_hits(**kwargs)

    monkeypatch.setattr(registration, "_raise_hits", wait_then_raise_hits)
    errors = _register_in_threads(accesses, "meet@example.org")
    assert errors == []
    hit = Hit.objects.get()
    assert {hit.organisation_a, hit.organisation_b} == {desks["nl"], desks["be"]}


def test_sec_30_registration_is_limited_by_kind_rate_and_flagged(desks, case_of, settings):
    from django.core.exceptions import PermissionDenied, ValidationError

    from deconfliction.models import VolumeFlag
    from deconfliction.services import ALLOWED_KINDS, SelectorItem, selectors_register_batch

    assert ALLOWED_KINDS.get("ministry") is None and ALLOWED_KINDS.get("industry") is None
    assert ALLOWED_KINDS["ngo"] == {"url", "file_hash"}  # URLs and file hashes only (issue 4)
    # The service applies the table: a ministry member with every case right still cannot register.
    from cases.selectors import CaseAccess
    from partners.models import Membership
    from partners.roles import Role
    from tests.factories import MembershipFactory, UserFactory

    ministry = MembershipFactory(user=UserFactory(), organisation=desks["ministry"], role=Role.INVESTIGATOR)
    ministry = Membership.objects.select_related("organisation").get(pk=ministry.pk)
    rights = frozenset({"view_case", "contribute_case"})
    as_ministry = CaseAccess(case=case_of(desks["user_nl"]), membership=ministry, permissions=rights)
    with pytest.raises(PermissionDenied, match="do not register"):
        selector_register(access=as_ministry, kind="url", value="https://example.com/", reason="x")
    settings.SELECTOR_RATE_USER_PER_HOUR, settings.SELECTOR_FLAG_USER_PER_HOUR = 3, 2
    access = access_for(desks["user_nl"], case_of(desks["user_nl"]))
    selectors_register_batch(
        access=access, reason="x", items=[SelectorItem(kind="ip", value=f"192.0.2.{i}") for i in range(3)]
    )
    assert VolumeFlag.objects.count() == 1
    with pytest.raises(ValidationError):
        selector_register(access=access, kind="ip", value="192.0.2.200", reason="x")
    assert Selector.objects.count() == 3


def test_sec_31_rotating_both_keys_keeps_matches_and_values(desks, case_of, settings):
    import base64
    import secrets

    from cryptography.fernet import Fernet
    from django.core.management import call_command

    from deconfliction.selectors import selector_raw_value
    from portal.utils import crypto

    first = selector_register(
        access=access_for(desks["user_nl"], case_of(desks["user_nl"])), kind="phone", value="+31 6 55556666", reason="x"
    ).selector
    settings.SELECTOR_HMAC_KEYS = ["9:" + base64.b64encode(secrets.token_bytes(32)).decode()]
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *settings.FIELD_ENCRYPTION_KEYS]
    # With only the new HMAC key the old digest no longer matches until re-keyed ...
    assert (
        selector_register(
            access=access_for(desks["user_be"], case_of(desks["user_be"])),
            kind="phone",
            value="0031655556666",
            reason="x",
        ).hits
        == []
    )
    call_command("selectors_rekey")
    settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[:1]  # the old encryption key is gone
    crypto._fernet.cache_clear()
    first.refresh_from_db()
    assert selector_raw_value(selector=first, membership=desks["user_nl"].memberships.get()) == "+31 6 55556666"
    # ... and after re-keying every value matches again.
    third = selector_register(
        access=access_for(desks["user_nl2"], case_of(desks["user_nl2"])), kind="phone", value="+31655556666", reason="x"
    )
    assert len(third.hits) == 2


def test_sec_32_retention_removes_closed_cases_and_expired_raw_values(desks, case_of, settings):
    settings.CASE_RETENTION_DAYS = 10
    case = case_of(desks["user_nl"])
    selector = selector_register(
        access=access_for(desks["user_nl"], case), kind="ip", value="192.0.2.9", reason="x"
    ).selector
    other = case_of(desks["user_nl"], "still open")
    kept = selector_register(
        access=access_for(desks["user_nl"], other), kind="ip", value="192.0.2.10", reason="x"
    ).selector
    Selector.objects.filter(pk=kept.pk).update(active=False, expires_at=timezone.now() - timedelta(days=31))
    Case.objects.filter(pk=case.pk).update(status="closed", closed_at=timezone.now() - timedelta(days=11))
    assert cases_purge_retained() == 1
    assert selectors_expire_due()["purged"] == 1
    assert not Selector.objects.filter(pk=selector.pk).exists()  # went with its case
    assert Selector.objects.get(pk=kept.pk).raw_encrypted == ""
    from audit.selectors import audit_chain_verify

    assert audit_chain_verify() == []
