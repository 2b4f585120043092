from datetime import timedelta
from smtplib import SMTPException

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from notifications.models import Kind, Notification, Preference
from notifications.services import (
    MAX_EMAIL_ATTEMPTS,
    digests_send,
    notification_deliver,
    notify,
    outbox_sweep,
    preferences_set,
)
from notifications.tasks import deliver
from tests.conftest import login_verified

pytestmark = pytest.mark.django_db


def test_delivered_once_with_a_message_id_derived_from_the_notification(member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        [row] = notify(
            users=[member],
            kind=Kind.CASE_SHARED,
            subject="Case NL-2026-000001 was shared with you",
            body="Case NL-2026-000001 is now visible to you in the portal.",
        )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.extra_headers["Message-ID"] == f"<notification-{row.uuid}@portal.invalid>"
    assert "NL-2026-000001" in message.body and "/notifications/" in message.body
    # The task delivered again (a redelivery after a crash) sends nothing more.
    assert deliver.apply(args=[row.pk]).get() is False
    assert notification_deliver(notification_id=row.pk) is False
    assert len(mail.outbox) == 1
    row.refresh_from_db()
    assert (row.email, row.email_attempts) == ("sent", 1)


def test_preferences_off_digest_and_always_immediate(member, django_capture_on_commit_callbacks):
    preferences_set(user=member, choices={Kind.TASK_ASSIGNED: "off", Kind.HIT_RAISED: "digest", Kind.ACCOUNT: "off"})
    assert not Preference.objects.filter(kind=Kind.ACCOUNT).exists()  # security notices cannot be turned off
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[member], kind=Kind.TASK_ASSIGNED, subject="New task on case X", body="b")
        notify(users=[member], kind=Kind.HIT_RAISED, subject="Deconfliction: 1 new hit(s)", body="b")
        notify(users=[member], kind=Kind.HIT_RAISED, subject="Deconfliction: 2 new hit(s)", body="b")
        notify(users=[member], kind=Kind.ACCOUNT, subject="Your backup codes were replaced", body="b")
    assert [m.subject for m in mail.outbox] == ["Your backup codes were replaced"]
    assert Notification.objects.filter(user=member).count() == 4  # in-app always
    assert digests_send() == 1
    digest = mail.outbox[-1]
    assert "Deconfliction: 1 new hit(s)" in digest.body and "Deconfliction: 2 new hit(s)" in digest.body
    assert "New task" not in digest.body
    assert digests_send() == 0
    assert len(mail.outbox) == 2


def _aged(row, *, created_minutes: int, queued_minutes: int | None) -> None:
    now = timezone.now()
    Notification.objects.filter(pk=row.pk).update(
        created_at=now - timedelta(minutes=created_minutes),
        email_queued_at=None if queued_minutes is None else now - timedelta(minutes=queued_minutes),
    )


def test_pending_rows_are_swept_again(member):
    [row] = notify(users=[member], kind=Kind.CASE_SHARED, subject="s", body="b")  # no commit: nothing enqueued
    _aged(row, created_minutes=60, queued_minutes=60)  # handed over long ago, and the task was lost
    assert mail.outbox == []
    assert outbox_sweep() == 1  # eager in the tests: the sweeper's enqueue delivers at once
    assert len(mail.outbox) == 1
    assert outbox_sweep() == 0


def test_the_sweeper_leaves_rows_whose_task_may_still_be_retrying(member):
    rows = notify(users=[member], kind=Kind.CASE_SHARED, subject="s", body="b")
    rows += notify(users=[member], kind=Kind.TASK_ASSIGNED, subject="t", body="b")
    rows += notify(users=[member], kind=Kind.HIT_RAISED, subject="h", body="b")
    retrying, refused_recently, refused_earlier = rows
    _aged(retrying, created_minutes=10, queued_minutes=10)  # within its retry chain
    _aged(refused_recently, created_minutes=1, queued_minutes=None)  # the broker refused it a minute ago
    _aged(refused_earlier, created_minutes=5, queued_minutes=None)
    assert outbox_sweep() == 1
    assert [m.subject for m in mail.outbox] == ["h"]
    _aged(retrying, created_minutes=30, queued_minutes=30)  # longer than any retry chain: lost
    assert outbox_sweep() == 1
    assert [m.subject for m in mail.outbox] == ["h", "s"]


def test_a_mail_server_that_keeps_refusing_ends_the_retries(member, smtp, settings):
    recorder = smtp(refuse=True)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", int(recorder.url.rsplit(":", 1)[1])
    [row] = notify(users=[member], kind=Kind.CASE_SHARED, subject="s", body="b")
    for attempt in range(1, MAX_EMAIL_ATTEMPTS + 1):
        with pytest.raises(SMTPException):
            notification_deliver(notification_id=row.pk)
        row.refresh_from_db()
        assert row.email_attempts == attempt  # counted although the attempt rolled back
    assert row.email == "failed"
    assert len(recorder.started) == MAX_EMAIL_ATTEMPTS
    _aged(row, created_minutes=600, queued_minutes=600)
    assert outbox_sweep() == 0  # given up: no sweep starts it again
    assert notification_deliver(notification_id=row.pk) is False
    assert len(recorder.started) == MAX_EMAIL_ATTEMPTS and recorder.messages == []


def test_bell_list_and_mark_read(member, make_member, organisation):
    [first] = notify(users=[member], kind=Kind.TASK_ASSIGNED, subject="New task on case NL-2026-000008", body="b")
    notify(users=[member], kind=Kind.CASE_SHARED, subject="Case NL-2026-000009 was shared with you", body="b")
    client = login_verified(Client(), member)
    assert 'class="bell-count">2<' in client.get("/").content.decode()
    # One notification marked read; someone else's is not theirs to mark.
    [others] = notify(users=[make_member(organisation)], kind=Kind.CASE_SHARED, subject="x", body="b")
    client.post("/notifications/read/", {"notification": str(first.uuid)})
    client.post("/notifications/read/", {"notification": str(others.uuid)})
    assert Notification.objects.get(pk=others.pk).read_at is None
    assert Notification.objects.get(pk=first.pk).read_at is not None
    assert 'class="bell-count">1<' in client.get("/").content.decode()
    bell = client.get("/notifications/bell/", HTTP_X_PORTAL_BACKGROUND="1", HTTP_HX_REQUEST="true")
    assert "bell-count" in bell.content.decode() and "data-background" in bell.content.decode()
    assert "NL-2026-000009" in client.get("/notifications/").content.decode()
    client.post("/notifications/read/")
    assert "bell-count" not in client.get("/").content.decode()


def test_preferences_page(member):
    client = login_verified(Client(), member)
    assert client.get("/notifications/preferences/").status_code == 200
    client.post("/notifications/preferences/", {Kind.TASK_UPDATED: "digest", Kind.HIT_RAISED: "bogus"})
    assert dict(Preference.objects.filter(user=member).values_list("kind", "channel")) == {Kind.TASK_UPDATED: "digest"}


def test_inactive_and_service_accounts_get_nothing(member, django_capture_on_commit_callbacks):
    from tests.factories import UserFactory

    service = UserFactory(is_service_account=True)
    gone = UserFactory(is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert notify(users=[service, gone], kind=Kind.CASE_SHARED, subject="s", body="b") == []
    assert mail.outbox == []


def test_notifications_are_per_user(member, make_member, organisation):
    other = make_member(organisation)
    notify(users=[other], kind=Kind.CASE_SHARED, subject="For the other one", body="b")
    assert "For the other one" not in login_verified(Client(), member).get("/notifications/").content.decode()


def test_an_operation_conflict_tells_both_sides_by_the_kind_of_event_only(desks, django_capture_on_commit_callbacks):
    from tests.deconfliction.conftest import plan_operation

    def plan(user, title):
        return plan_operation(user, hours=(24, 28), title=title)

    plan(desks["user_nl"], "Search at the Keizersgracht address")
    assert not Notification.objects.filter(kind=Kind.OPERATION_CONFLICT).exists()
    with django_capture_on_commit_callbacks(execute=True):
        plan(desks["user_be"], "Arrest of the courier")
    told = Notification.objects.filter(kind=Kind.OPERATION_CONFLICT)
    assert {desks["user_nl"].pk, desks["user_be"].pk} <= set(told.values_list("user_id", flat=True))
    emailed = {address for m in mail.outbox for address in m.to}
    assert {desks["user_nl"].email, desks["user_be"].email} <= emailed
    for message in mail.outbox:  # neither side's plans leave the portal by email
        assert "Keizersgracht" not in message.body + message.subject
        assert "courier" not in message.body + message.subject


def test_notices_to_hundreds_of_people_are_written_whole(organisation, make_member, django_capture_on_commit_callbacks):
    """Above 100 rows, on PostgreSQL, they go in by COPY (a hit raised with hundreds of
    organisations; CI runs this on PostgreSQL, SQLite takes bulk_create): every row is
    complete, has its id, and the immediate ones are handed over."""
    from notifications.services import notify_each

    users = [make_member(organisation) for _ in range(120)]
    Preference.objects.create(user=users[0], kind=Kind.HIT_RAISED, channel="digest")
    with django_capture_on_commit_callbacks(execute=True):
        rows = notify_each(
            kind=Kind.HIT_RAISED,
            notices=[(users[:70], "Deconfliction: 1 new hit(s)", "Open the desk."), (users[70:], "Other", "Body")],
        )
    assert len(rows) == 120 and all(row.pk for row in rows)
    stored = Notification.objects.filter(kind=Kind.HIT_RAISED)
    assert stored.count() == 120 and stored.filter(subject="Other").count() == 50
    assert stored.get(user=users[0]).email == Notification.Email.DIGEST
    assert stored.filter(read_at__isnull=True, uuid__isnull=False).count() == 120
    # The 119 immediate ones were delivered (eager tasks here), the digest one waits.
    assert stored.filter(email=Notification.Email.SENT).count() == 119
    assert len(mail.outbox) == 119
