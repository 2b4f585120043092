"""Email delivery against the real Redis broker, a real Celery worker process and a real SMTP
server (aiosmtpd) on loopback: exactly once, after a SIGKILL mid-send, and after a broker outage."""

import time

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
    app.conf.broker_url = url
    pools.reset()  # connections and producers are rebuilt for the new address
    app._pool = None
    app.amqp._producer_pool = None


def test_broker_outage_leaves_the_event_committed_and_the_sweeper_delivers(member, smtp):
    recorder = smtp()
    good_url = app.conf.broker_url
    _use_broker("redis://127.0.0.1:1/0")  # nothing listens there: the broker is down
    try:
        row = committed_notification(member)  # commits; enqueueing after commit fails and is only logged
    finally:
        _use_broker(good_url)
    assert Notification.objects.get(pk=row.pk).email == "pending"
    with celery_worker(env={"EMAIL_URL": recorder.url}):
        Notification.objects.filter(pk=row.pk).update(created_at=row.created_at.replace(year=2000))
        assert outbox_sweep() == 1
        wait_for(lambda: Notification.objects.filter(pk=row.pk, email="sent").exists())
    assert _message_ids(recorder) == [row.message_id]


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
