"""SECURITY.md lines 19-21: the audit trail (foundation part: sign-in, membership, refusals)."""

import contextlib
import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from audit import services as audit_services
from audit.models import AppendOnlyError, AuditEvent
from audit.selectors import audit_chain_verify
from audit.services import audit_record
from partners.models import Membership
from partners.roles import Role
from partners.services import membership_create
from tests.conftest import login_password_only, totp_for
from tests.factories import UserFactory
from tests.threads import run_in_threads

pytestmark = pytest.mark.django_db


def test_sec_19_login_success_and_failures_are_audited(member):
    Client().post("/accounts/login/", {"username": member.email, "password": "wrong"}, REMOTE_ADDR="198.51.100.4")
    failure = AuditEvent.objects.get(action="auth.login", result="failure")
    assert failure.source_ip == "198.51.100.4"
    assert failure.details["username"] == member.email

    client = login_password_only(Client(), member)
    client.post("/accounts/verify/", {"code": totp_for(member)})
    success = AuditEvent.objects.get(action="auth.login", result="success")
    assert success.actor_id == member.pk
    assert success.actor_label == member.email
    assert success.organisation_id == member.memberships.get().organisation_id
    assert success.created_at.tzinfo is not None

    login_password_only(Client(), member).post("/accounts/verify/", {"code": "00000x"})
    otp_failure = AuditEvent.objects.get(action="auth.otp", result="failure")
    assert otp_failure.actor_id == member.pk


def test_sec_19_membership_changes_are_audited(organisation, org_admin):
    user = UserFactory()
    membership = membership_create(user=user, organisation=organisation, role=Role.ANALYST, by=org_admin)
    event = AuditEvent.objects.get(action="membership.create")
    assert (event.actor_id, event.organisation_id, event.object_id) == (
        org_admin.pk,
        organisation.pk,
        str(membership.uuid),
    )


def test_sec_20_application_cannot_change_or_delete_events():
    event = audit_record(action="test.event")
    event.action = "edited"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="edited")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()


@pytest.mark.postgres
def test_sec_20_database_trigger_refuses_update_and_delete():
    event = audit_record(action="test.event")
    for statement in (
        "UPDATE audit_auditevent SET action = 'x' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ):
        with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "test.event"


def _raw(statement: str, params=()) -> None:
    """Tamper the way an attacker with database access would (bypassing the trigger)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")
        cursor.execute(statement, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_append_only")


def _one_actor_chain(n: int = 5):
    actor = UserFactory()
    return [audit_record(action=f"test.{i}", actor=actor) for i in range(n)]


def test_sec_20_chain_verifies_and_command_says_ok(capsys):
    _one_actor_chain()
    assert audit_chain_verify() == []
    call_command("audit_verify")
    assert capsys.readouterr().out.startswith("OK: 5 events verified")


def test_sec_20_edited_event_is_detected():
    events = _one_actor_chain()
    _raw("UPDATE audit_auditevent SET result = 'success', action = 'test.quiet' WHERE id = %s", [events[2].pk])
    problems = audit_chain_verify()
    assert len(problems) == 1
    assert f"event id {events[2].pk}" in problems[0]
    assert "altered" in problems[0]
    with pytest.raises(CommandError, match="BROKEN"):
        call_command("audit_verify")


def test_sec_20_deleted_event_is_detected():
    events = _one_actor_chain()
    _raw("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    problems = audit_chain_verify()
    assert len(problems) == 1
    assert f"event id {events[2].pk}" in problems[0]


def test_sec_20_deleted_last_event_is_detected():
    events = _one_actor_chain()
    _raw("DELETE FROM audit_auditevent WHERE id = %s", [events[-1].pk])
    problems = audit_chain_verify()
    assert len(problems) == 1
    assert "head records seq 5" in problems[0]


def test_sec_20_inserted_event_is_detected():
    events = _one_actor_chain()
    _raw("UPDATE audit_auditevent SET seq = seq + 1000 WHERE chain = %s AND seq >= 3", [events[0].chain])
    forged = events[1]
    _raw(
        "INSERT INTO audit_auditevent (chain, seq, created_at, actor_id, actor_label, organisation_id, action, "
        "object_type, object_id, result, source_ip, details, prev_hash, hash) "
        "VALUES (%s, 3, %s, %s, %s, NULL, 'forged', '', '', 'success', NULL, '{}', %s, %s)",
        [forged.chain, forged.created_at, forged.actor_id, forged.actor_label, forged.hash, "f" * 64],
    )
    _raw("UPDATE audit_auditevent SET seq = seq - 999 WHERE chain = %s AND seq >= 1000", [events[0].chain])
    problems = audit_chain_verify()
    assert len(problems) == 1
    assert "altered" in problems[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sec_20_concurrent_writers_do_not_fork_a_chain():
    actors = [UserFactory() for _ in range(3)]
    barrier = threading.Barrier(6)

    def writer(actor):
        barrier.wait()
        for i in range(25):
            audit_record(action=f"test.concurrent.{i}", actor=actor)

    # Two threads per actor: both write to the same chain at the same time.
    assert run_in_threads(writer, [(actors[i % 3],) for i in range(6)]) == []
    assert AuditEvent.objects.filter(action__startswith="test.concurrent.").count() == 150
    assert audit_chain_verify() == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sec_20_two_writers_meeting_at_the_same_head_do_not_fork_a_chain(monkeypatch):
    """Deterministic, unlike the stress test above: each writer waits (up to a second) for the
    other right after reading the chain head. With the head locked the second writer cannot get
    there, so they never meet; without the lock both hold the same head and one append fails."""
    actor = UserFactory()
    audit_record(action="test.first", actor=actor)  # the chain head exists and is committed
    meet = threading.Barrier(2, timeout=1)
    read_head = audit_services._locked_head

    def head_then_wait(chain):
        head = read_head(chain)
        with contextlib.suppress(threading.BrokenBarrierError):  # the other never came: locked out
            meet.wait()
        return head

    monkeypatch.setattr(audit_services, "_locked_head", head_then_wait)
    assert run_in_threads(lambda: audit_record(action="test.meet", actor=actor), [(), ()]) == []
    assert AuditEvent.objects.filter(action="test.meet").count() == 2
    assert audit_chain_verify() == []


def test_sec_21_no_audit_event_means_no_action(organisation, org_admin, monkeypatch):
    def broken_append(*args, **kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(audit_services, "_append", broken_append)
    user = UserFactory()
    with pytest.raises(RuntimeError, match="audit store unavailable"):
        membership_create(user=user, organisation=organisation, role=Role.ANALYST, by=org_admin)
    assert not Membership.objects.filter(user=user).exists()
    assert not user.groups.exists()


def test_sec_21_refusals_cannot_be_written_inside_a_transaction_that_may_roll_back():
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(action="test.refused", result="denied", durable=True)


def test_sec_32_old_audit_segments_are_purged_and_the_chain_still_verifies():
    old = _one_actor_chain(3)
    system_old = audit_record(action="test.system")
    cutoff = timezone.now()
    recent = _one_actor_chain(1)[0]
    recent_same_chain = audit_record(action="test.recent")  # no actor: a random chain, as system_old

    purged = audit_services.audit_purge_before(cutoff=cutoff)

    assert purged >= 4
    assert not AuditEvent.objects.filter(pk__in=[e.pk for e in (*old, system_old)]).exists()
    assert AuditEvent.objects.filter(pk__in=[recent.pk, recent_same_chain.pk]).count() == 2
    assert audit_chain_verify() == []
    # The purge explains the gap it leaves, and appending afterwards still links.
    records = AuditEvent.objects.filter(action="audit.purge")
    assert sum(record.details["events"] for record in records) == purged
    old_chain = records.get(details__chain=old[0].chain)
    assert old_chain.details["through_seq"] >= old[-1].seq
    audit_record(action="test.after")
    assert audit_chain_verify() == []
    # Nothing after the cutoff goes when the job runs again.
    assert audit_services.audit_purge_before(cutoff=cutoff) == 0


@pytest.mark.postgres
def test_sec_32_purge_does_not_open_the_trigger_for_anything_else():
    audit_record(action="test.old")
    audit_services.audit_purge_before(cutoff=timezone.now())
    event = audit_record(action="test.kept")
    with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_sec_32_retention_job_purges_by_the_setting(settings, monkeypatch):
    settings.AUDIT_RETENTION_DAYS = 365
    event = audit_record(action="test.young")
    assert audit_services.audit_purge_expired() == 0
    assert AuditEvent.objects.filter(pk=event.pk).exists()
    # A day short of the setting it stays; a year and a day later it goes.
    real_now = timezone.now()
    monkeypatch.setattr(audit_services.timezone, "now", lambda: real_now + timedelta(days=364))
    assert audit_services.audit_purge_expired() == 0
    assert AuditEvent.objects.filter(pk=event.pk).exists()
    later = real_now + timedelta(days=366)
    monkeypatch.setattr(audit_services.timezone, "now", lambda: later)
    assert audit_services.audit_purge_expired() >= 1
    assert not AuditEvent.objects.filter(pk=event.pk).exists()
    assert audit_chain_verify() == []
