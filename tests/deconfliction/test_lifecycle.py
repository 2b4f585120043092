import time
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from deconfliction.digests import hmac_keys
from deconfliction.models import Hit, Selector
from deconfliction.selectors import selector_raw_value
from deconfliction.services import (
    SelectorItem,
    add_working_days,
    hit_acknowledge,
    hit_coordinate,
    hit_resolve,
    hits_escalate_overdue,
    selector_register,
    selectors_expire_due,
    selectors_register_batch,
)
from partners.roles import Role
from portal.utils import crypto
from tests.cases.conftest import access_for, client_for
from tests.conftest import membership_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def hit(desks, case_of):
    selector_register(
        access=access_for(desks["user_nl"], case_of(desks["user_nl"])), kind="phone", value="+31612345678", reason="x"
    )
    second = selector_register(
        access=access_for(desks["user_be"], case_of(desks["user_be"])), kind="phone", value="+31 6 12345678", reason="x"
    )
    return second.hits[0]


def test_lifecycle_new_acknowledged_coordinating_resolved(desks, hit):
    assert hit.status == Hit.Status.NEW
    hit = hit_acknowledge(membership=membership_of(desks["user_nl"]), hit=hit)
    assert hit.status == Hit.Status.NEW  # one side acknowledged; waiting for the other
    hit = hit_acknowledge(membership=membership_of(desks["user_be"]), hit=hit, note="Our desk will call yours")
    assert hit.status == Hit.Status.ACKNOWLEDGED
    with pytest.raises(ValidationError):
        hit_coordinate(membership=membership_of(desks["user_nl"]), hit=hit, note="")
    hit = hit_coordinate(membership=membership_of(desks["user_nl"]), hit=hit, note="Call held; NL leads")
    assert hit.status == Hit.Status.COORDINATING
    with pytest.raises(ValidationError):
        hit_resolve(membership=membership_of(desks["user_be"]), hit=hit, outcome="whatever")
    hit = hit_resolve(
        membership=membership_of(desks["user_be"]), hit=hit, outcome=Hit.Outcome.ONE_LEADS, note="BE defers"
    )
    assert (hit.status, hit.outcome) == ("resolved", "one_leads")
    assert "be-pol: Our desk will call yours" in hit.handling_note and "nl-pol: Call held" in hit.handling_note
    # Both sides see the same status.
    for user in (desks["user_nl"], desks["user_be"]):
        assert "Resolved" in client_for(user).get(f"/deconfliction/hits/{hit.uuid}/").content.decode()
    from audit.models import AuditEvent

    assert AuditEvent.objects.filter(object_id=str(hit.uuid), action__startswith="hit.").count() >= 5


def test_lifecycle_through_the_pages(desks, hit):
    client = client_for(desks["user_be"])
    client.post(f"/deconfliction/hits/{hit.uuid}/acknowledge/", {"note": ""})
    client.post(f"/deconfliction/hits/{hit.uuid}/resolve/", {"outcome": "no_conflict", "note": "different person"})
    hit.refresh_from_db()
    assert hit.status == "resolved"
    assert hit.acknowledged_by(desks["be"].pk)


def test_only_hit_handlers_of_either_side_act(desks, hit, make_member):
    monitor = make_member(desks["nl"], role=Role.ORG_ADMIN)
    with pytest.raises(PermissionDenied):
        hit_acknowledge(membership=membership_of(monitor), hit=hit)
    with pytest.raises(PermissionDenied):
        hit_acknowledge(membership=membership_of(desks["user_outsider"]), hit=hit)


def test_deadline_is_two_working_days_and_escalates_once(desks, hit, make_member, django_capture_on_commit_callbacks):
    friday = timezone.now().replace(year=2026, month=11, day=27, hour=10)
    assert add_working_days(friday, 2).day == 1  # Friday + 2 working days = Tuesday
    nl_admin = make_member(desks["nl"], role=Role.ORG_ADMIN, email="admin@nl.example")
    hit_acknowledge(membership=membership_of(desks["user_be"]), hit=hit)
    Hit.objects.filter(pk=hit.pk).update(ack_deadline=timezone.now() - timedelta(minutes=1))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert hits_escalate_overdue() == 1  # only the side that did not acknowledge
    assert [m.to for m in mail.outbox] == [[nl_admin.email]]
    assert hits_escalate_overdue() == 0
    desk = client_for(desks["user_nl"]).get("/deconfliction/").content.decode()
    assert "overdue" in desk and "not acknowledged by us" in desk


def test_expiry_warns_deactivates_and_purges_raw_values(desks, case_of, settings, django_capture_on_commit_callbacks):
    case = case_of(desks["user_nl"])
    soon = selector_register(access=access_for(desks["user_nl"], case), kind="ip", value="192.0.2.1", reason="x")
    gone = selector_register(access=access_for(desks["user_nl"], case), kind="ip", value="192.0.2.2", reason="x")
    old = selector_register(access=access_for(desks["user_nl"], case), kind="ip", value="192.0.2.3", reason="x")
    now = timezone.now()
    Selector.objects.filter(pk=soon.selector.pk).update(expires_at=now + timedelta(days=3))
    Selector.objects.filter(pk=gone.selector.pk).update(expires_at=now - timedelta(hours=1))
    Selector.objects.filter(pk=old.selector.pk).update(
        expires_at=now - timedelta(days=31), active=False, deactivated_at=now - timedelta(days=31)
    )
    with django_capture_on_commit_callbacks(execute=True):
        counts = selectors_expire_due()
    assert counts == {"warned": 1, "expired": 1, "purged": 1}
    assert any("expire within a week" in m.subject for m in mail.outbox)
    assert Selector.objects.get(pk=gone.selector.pk).active is False
    purged = Selector.objects.get(pk=old.selector.pk)
    assert purged.raw_encrypted == "" and purged.digest  # the digest row stays for the audit trail
    assert selectors_expire_due() == {"warned": 0, "expired": 0, "purged": 0}
    # An expired selector no longer matches.
    result = selector_register(
        access=access_for(desks["user_be"], case_of(desks["user_be"])), kind="ip", value="192.0.2.2", reason="x"
    )
    assert result.hits == []


def test_rotating_both_keys_keeps_every_match_and_raw_value(desks, case_of, settings):
    nl_case = case_of(desks["user_nl"])
    first = selector_register(
        access=access_for(desks["user_nl"], nl_case), kind="email", value="Someone@Example.org", reason="x"
    )
    old_digest = first.selector.digest
    # A new HMAC key and a new encryption key, old ones kept for reading.
    import base64
    import secrets

    settings.SELECTOR_HMAC_KEYS = [
        "2:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        *settings.SELECTOR_HMAC_KEYS,
    ]
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *settings.FIELD_ENCRYPTION_KEYS]
    assert hmac_keys()[0][0] == 2
    # Before the re-key, a new registration under key 2 still matches the key-1 digest.
    be = selector_register(
        access=access_for(desks["user_be"], case_of(desks["user_be"])),
        kind="email",
        value="someone@example.org",
        reason="x",
    )
    assert len(be.hits) == 1
    call_command("selectors_rekey")
    first.selector.refresh_from_db()
    assert first.selector.digest != old_digest and first.selector.key_version == 2
    assert (
        selector_raw_value(selector=first.selector, membership=membership_of(desks["user_nl"])) == "Someone@Example.org"
    )
    # Now drop the old keys entirely: everything still reads and matches.
    settings.SELECTOR_HMAC_KEYS = settings.SELECTOR_HMAC_KEYS[:1]
    settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[:1]
    crypto._fernet.cache_clear()
    assert (
        selector_raw_value(selector=first.selector, membership=membership_of(desks["user_nl"])) == "Someone@Example.org"
    )
    third = selector_register(
        access=access_for(desks["user_nl2"], case_of(desks["user_nl2"])),
        kind="email",
        value="SOMEONE@example.org",
        reason="x",
    )
    assert {h.organisation_b_id for h in third.hits} | {h.organisation_a_id for h in third.hits} == {
        desks["nl"].pk,
        desks["be"].pk,
    }
    hit = Hit.objects.get(pk=be.hits[0].pk)
    assert hit.digest == first.selector.digest  # the open hit followed its digest


def test_batch_query_count_is_flat(desks, case_of):
    case = case_of(desks["user_nl"])
    counts = []
    for size, base in ((50, 0), (400, 1000)):
        items = [SelectorItem(kind="device", value=f"49015420{base + i:06d}") for i in range(size)]
        with CaptureQueriesContext(connection) as ctx:
            results = selectors_register_batch(access=access_for(desks["user_nl"], case), items=items, reason="x")
        assert all(r.status == "registered" for r in results)
        # SQLite splits a bulk insert into chunks of its variable limit; PostgreSQL does not.
        inserts = 'INSERT INTO "deconfliction_selector"'
        counts.append(
            sum(
                1 for q in ctx.captured_queries if connection.vendor == "postgresql" or not q["sql"].startswith(inserts)
            )
        )
    assert counts[0] == counts[1]


@pytest.mark.postgres
def test_batch_of_10000_on_postgresql(desks, case_of):
    nl_case, be_case = case_of(desks["user_nl"]), case_of(desks["user_be"])
    selectors_register_batch(
        access=access_for(desks["user_be"], be_case),
        reason="x",
        items=[SelectorItem(kind="ip", value=f"10.0.{i // 256}.{i % 256}") for i in range(500)],
    )
    items = [SelectorItem(kind="ip", value=f"10.{i // 65536}.{(i // 256) % 256}.{i % 256}") for i in range(10_000)]
    started = time.perf_counter()
    results = selectors_register_batch(access=access_for(desks["user_nl"], nl_case), items=items, reason="bulk")
    elapsed = time.perf_counter() - started
    assert sum(r.status == "registered" for r in results) == 10_000
    assert Hit.objects.filter(organisation_a__in=[desks["nl"], desks["be"]]).count() == 500
    print(f"\nbatch of 10,000 selectors with 500 hits: {elapsed:.2f} s")
    again = selectors_register_batch(access=access_for(desks["user_nl"], nl_case), items=items, reason="bulk")
    assert all(r.status == "already_registered" for r in again)


def test_renewing_moves_expiry_a_year_on_is_audited_and_only_for_the_registering_organisation(
    desks, case_of, make_member
):
    from audit.models import AuditEvent
    from cases.services import case_share
    from deconfliction.services import selector_renew

    liaison = make_member(desks["nl"], role=Role.LIAISON)
    case = case_of(liaison, "Joint case")
    selector = selector_register(access=access_for(liaison, case), kind="ip", value="192.0.2.7", reason="x").selector
    Selector.objects.filter(pk=selector.pk).update(
        expires_at=timezone.now() + timedelta(days=3), expiry_warned_at=timezone.now()
    )
    selector.refresh_from_db()
    before = timezone.now()
    selector_renew(access=access_for(liaison, case), selector=selector)
    stored = Selector.objects.get(pk=selector.pk)
    assert before + timedelta(days=365) <= stored.expires_at <= timezone.now() + timedelta(days=365)
    assert stored.expiry_warned_at is None  # warned again a week before the new date
    event = AuditEvent.objects.get(action="selector.renew")
    assert (event.object_id, event.actor_id, event.organisation_id) == (str(selector.uuid), liaison.pk, desks["nl"].pk)

    # The Belgian partner contributes to the case, but the registration is not theirs to renew.
    case_share(access=access_for(liaison, case), organisation=desks["be"], level="contribute", reason="joint work")
    with pytest.raises(PermissionDenied):
        selector_renew(access=access_for(desks["user_be"], case), selector=stored)
    page = client_for(desks["user_be"]).post(f"/deconfliction/cases/{case.uuid}/selectors/{selector.uuid}/renew/")
    assert page.status_code == 404
    assert Selector.objects.get(pk=selector.pk).expires_at == stored.expires_at
    assert AuditEvent.objects.filter(action="selector.renew").count() == 1

    # Through the page, for its own organisation; an expired selector is registered again instead.
    client_for(liaison).post(f"/deconfliction/cases/{case.uuid}/selectors/{selector.uuid}/renew/")
    assert AuditEvent.objects.filter(action="selector.renew").count() == 2
    Selector.objects.filter(pk=selector.pk).update(active=False)
    with pytest.raises(ValidationError, match="register it again"):
        selector_renew(access=access_for(liaison, case), selector=Selector.objects.get(pk=selector.pk))


def test_the_desk_lists_overdue_hits_first(desks, case_of):
    def hit_on(value):
        selector_register(
            access=access_for(desks["user_nl"], case_of(desks["user_nl"])), kind="ip", value=value, reason="x"
        )
        return selector_register(
            access=access_for(desks["user_be"], case_of(desks["user_be"])), kind="ip", value=value, reason="x"
        ).hits[0]

    overdue, recent, acknowledged = hit_on("192.0.2.1"), hit_on("192.0.2.2"), hit_on("192.0.2.3")
    now = timezone.now()
    # The overdue hit is the oldest: newest-first alone would list it last.
    Hit.objects.filter(pk=overdue.pk).update(
        ack_deadline=now - timedelta(hours=1), last_registration_at=now - timedelta(days=5)
    )
    Hit.objects.filter(pk=acknowledged.pk).update(
        status=Hit.Status.ACKNOWLEDGED, ack_deadline=now - timedelta(hours=2), last_registration_at=now
    )
    for user in (desks["user_nl"], desks["user_be"]):
        page = client_for(user).get("/deconfliction/").content.decode()
        order = sorted((overdue, recent, acknowledged), key=lambda hit: page.index(str(hit.uuid)))
        # Past its deadline but acknowledged is not overdue: it sorts by time with the rest.
        assert order == [overdue, acknowledged, recent], user


def test_volume_flags_have_a_page_for_the_operator_and_the_notice_links_to_it(
    desks, case_of, settings, django_capture_on_commit_callbacks
):
    from audit.models import AuditEvent
    from deconfliction.models import VolumeFlag
    from notifications.models import Notification
    from tests.factories import UserFactory

    operator = UserFactory(is_platform_operator=True, is_staff=True, email="operator@example.org")
    settings.SELECTOR_FLAG_USER_PER_HOUR = 2
    items = [SelectorItem(kind="ip", value=f"192.0.2.{i}") for i in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        selectors_register_batch(
            access=access_for(desks["user_nl"], case_of(desks["user_nl"])), items=items, reason="x"
        )
    notice = Notification.objects.get(user=operator)
    link = settings.PORTAL_BASE_URL + "/deconfliction/volume-flags/"
    assert link in notice.body

    flag = VolumeFlag.objects.get()
    client = client_for(operator)
    page = client.get("/deconfliction/volume-flags/").content.decode()
    assert "Dutch police" in page and "inv@nl.example" in page and "Mark reviewed" in page
    assert client.post("/deconfliction/volume-flags/", {"flag": str(flag.pk)}).status_code == 302
    flag.refresh_from_db()
    assert flag.reviewed_at is not None
    assert AuditEvent.objects.filter(action="volume_flag.review", actor_id=operator.pk).exists()
    assert "inv@nl.example" not in client.get("/deconfliction/volume-flags/").content.decode()  # reviewed: hidden
    assert "inv@nl.example" in client.get("/deconfliction/volume-flags/?all=1").content.decode()
    # Members, whatever their role, do not reach it.
    for user in (desks["user_nl"], desks["user_be"]):
        assert client_for(user).get("/deconfliction/volume-flags/").status_code == 404
        assert client_for(user).post("/deconfliction/volume-flags/", {"flag": str(flag.pk)}).status_code == 404
