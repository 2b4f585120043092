"""Email delivery against the real Redis broker, a real Celery worker process and a real SMTP
server (aiosmtpd) on loopback: exactly once, after a broker outage, and the digest. The SIGKILL
mid-send tests are in tests/security/test_faults.py (SECURITY.md line 26)."""

import os
import time
from contextlib import contextmanager

import pytest
from django.db import transaction
from kombu import pools

from notifications.models import Kind, Notification
from notifications.services import notify, outbox_sweep
from portal.celery import app
from tests.notifications.conftest import committed_notification
from tests.smtp import message_ids as _message_ids
from tests.worker import celery_worker, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_notification_is_delivered_exactly_once(member, smtp):
    recorder = smtp()
    with celery_worker(env={"EMAIL_URL": recorder.url}):
        row = committed_notification(member)
        wait_for(lambda: Notification.objects.filter(pk=row.pk, email="sent").exists())
        app.send_task("notifications.deliver", args=[row.pk])  # a duplicate delivery request
        time.sleep(3)
    assert _message_ids(recorder) == [row.message_id]


def _use_broker(url: str) -> None:
    # Celery reads CELERY_BROKER_URL from the environment before its configuration, so both
    # change, or publishing would still reach the real broker and the outage would be no outage.
    os.environ["CELERY_BROKER_URL"] = app.conf.broker_url = url
    pools.reset()  # connections and producers are rebuilt for the new address
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def broker_down():
    good_url = os.environ["CELERY_BROKER_URL"]
    _use_broker("redis://127.0.0.1:1/0")  # nothing listens there
    try:
        with app.producer_or_acquire() as producer:
            assert producer.connection.as_uri().endswith("127.0.0.1:1/0")
        yield
    finally:
        _use_broker(good_url)


def test_broker_outage_leaves_the_event_committed_and_the_sweeper_delivers(member, smtp):
    recorder = smtp()
    with broker_down():
        row = committed_notification(member)  # commits; enqueueing after commit fails and is only logged
    assert Notification.objects.filter(pk=row.pk, email="pending", email_queued_at=None).exists()
    with celery_worker(env={"EMAIL_URL": recorder.url}):
        Notification.objects.filter(pk=row.pk).update(created_at=row.created_at.replace(year=2000))
        assert outbox_sweep() == 1
        wait_for(lambda: Notification.objects.filter(pk=row.pk, email="sent").exists())
    assert _message_ids(recorder) == [row.message_id]


def test_a_broker_outage_costs_one_refused_publish_not_one_per_recipient(
    member, make_member, organisation, monkeypatch
):
    from notifications.tasks import deliver

    colleagues = [make_member(organisation) for _ in range(30)]
    publishes = []
    publish = deliver.apply_async

    def counted(*args, **kwargs):
        publishes.append(args)
        return publish(*args, **kwargs)

    monkeypatch.setattr(deliver, "apply_async", counted)
    with broker_down(), transaction.atomic():
        rows = notify(users=[member, *colleagues], kind=Kind.CASE_SHARED, subject="Case shared", body="b")
    assert len(publishes) == 1  # the user's request waited for one refusal, not for 31
    left = Notification.objects.filter(pk__in=[r.pk for r in rows])
    assert left.count() == 31
    assert set(left.values_list("email", "email_queued_at")) == {("pending", None)}  # all for the sweeper


def test_digest_by_a_real_worker_follows_each_users_preference(member, make_member, organisation, smtp):
    from notifications.services import preferences_set

    colleague = make_member(organisation)
    preferences_set(user=member, choices={Kind.CASE_SHARED: "digest"})
    preferences_set(user=colleague, choices={Kind.CASE_SHARED: "off"})
    recorder = smtp()
    with celery_worker(env={"EMAIL_URL": recorder.url}):
        for n in (1, 2):
            with transaction.atomic():
                notify(
                    users=[member, colleague], kind=Kind.CASE_SHARED, subject=f"Case NL-2026-00000{n} shared", body="b"
                )
        time.sleep(2)
        assert recorder.messages == []  # nobody wanted these at once
        app.send_task("notifications.send_digests")
        wait_for(lambda: recorder.messages)
        time.sleep(1)
    [digest] = [m.decode() for m in recorder.messages]
    assert member.email in digest and colleague.email not in digest
    assert "NL-2026-000001 shared" in digest and "NL-2026-000002 shared" in digest
