"""Writing notifications and delivering their email exactly once (in effect).

``notify`` writes rows in the caller's transaction and, after commit, asks Celery to email the
ones whose owners want email at once. Enqueueing can fail (broker down): the row stays pending
and the sweeper enqueues it later, so the user's action never fails because of the broker.
``notification_deliver`` is idempotent: it locks the row, sends only while it is pending and
marks it sent in the same transaction. A crash between the mail server's acceptance and that
commit makes the task run again and send again, with the same Message-ID, so the duplicate is
recognisable.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from notifications.models import ALWAYS_IMMEDIATE, Channel, Kind, Notification, Preference
from portal.utils.bulk import insert_many

logger = logging.getLogger(__name__)

# A row whose task was handed to Celery within this time may still be in its retry backoff
# (notifications.deliver: 8 retries, backoff capped at 10 minutes, about 5 minutes in all with
# jitter), so the sweeper leaves it alone rather than start a second, parallel retry chain.
REQUEUE_AFTER = timedelta(minutes=20)
# Refusals by the mail server across all retry chains before a row is given up as failed
# (logged as an error for the operator) instead of being tried for ever.
MAX_EMAIL_ATTEMPTS = 20
_EMAIL_FOR_CHANNEL = {
    Channel.IMMEDIATE: Notification.Email.PENDING,
    Channel.DIGEST: Notification.Email.DIGEST,
    Channel.OFF: Notification.Email.OFF,
}


def notify(*, users, kind: str, subject: str, body: str) -> list[Notification]:
    """In-app always; email at once, in the daily digest or not at all, as each user prefers.

    Texts carry references and the kind of event only, never case content.
    """
    return notify_each(kind=kind, notices=[(users, subject, body)])


def notify_each(*, kind: str, notices: list[tuple[list, str, str]]) -> list[Notification]:
    """Several notices of one kind, each ``(users, subject, body)``, with one preference query
    and one insert: a registration that raises hits with 300 organisations tells each of them
    without 300 round trips."""
    prepared = [
        ({u.pk: u for u in users if u.is_active and not u.is_service_account}, subject, body)
        for users, subject, body in notices
    ]
    everyone = {user_id for recipients, _subject, _body in prepared for user_id in recipients}
    if not everyone:
        return []
    now = timezone.now()
    chosen = dict(Preference.objects.filter(user_id__in=everyone, kind=kind).values_list("user_id", "channel"))
    rows = []
    for recipients, subject, body in prepared:
        for user_id in sorted(recipients):
            channel = Channel.IMMEDIATE if kind in ALWAYS_IMMEDIATE else chosen.get(user_id, Channel.IMMEDIATE)
            rows.append(
                Notification(
                    user_id=user_id,
                    kind=kind,
                    subject=subject[:200],
                    body=body[:2000],
                    email=_EMAIL_FOR_CHANNEL[channel],
                    email_queued_at=now if channel == Channel.IMMEDIATE else None,
                )
            )
    # COPY on PostgreSQL: a value held by 326 organisations, registered by one more, tells
    # about 7,000 people at once, and bulk_create spent a second preparing their rows.
    insert_many(rows)
    pending = [n.pk for n in rows if n.email == Notification.Email.PENDING]
    if pending:
        transaction.on_commit(lambda: enqueue_delivery(pending))
    return rows


def enqueue_delivery(notification_ids: list[int]) -> int:
    """Hand each row to Celery; return how many were handed over.

    A broker outage must not fail the user's action, nor hold the request for one connection
    timeout per recipient: the first refusal stops the loop (no publish retries), and the rows
    left are marked not queued, for the sweeper.
    """
    from notifications.tasks import deliver

    for position, notification_id in enumerate(notification_ids):
        try:
            deliver.apply_async((notification_id,), retry=False)
        except Exception:
            left = notification_ids[position:]
            logger.warning("broker unreachable: %s notification(s) left to the outbox sweeper", len(left))
            Notification.objects.filter(pk__in=left).update(email_queued_at=None)
            return position
    return len(notification_ids)


def _portal_link() -> str:
    return f"{settings.PORTAL_BASE_URL}/notifications/"


def notification_deliver(*, notification_id: int) -> bool:
    """Send one pending notification's email. True if this call sent it."""
    try:
        with transaction.atomic():
            row = (
                Notification.objects.select_for_update()
                .select_related("user")
                .filter(pk=notification_id, email=Notification.Email.PENDING)
                .first()
            )
            if row is None:
                return False  # already sent (a redelivered task), given up, or not to be emailed
            row.email_attempts += 1
            message = EmailMessage(
                subject=row.subject,
                body=f"{row.body}\n\n{_('Open the portal')}: {_portal_link()}\n",
                to=[row.user.email],
                headers={"Message-ID": row.message_id},
            )
            message.send()
            row.email, row.email_sent_at = Notification.Email.SENT, timezone.now()
            row.save(update_fields=["email", "email_sent_at", "email_attempts"])
    except Exception:
        # The failed attempt rolled back with the lock; count it outside, so a mail server that
        # keeps refusing ends the retries instead of every sweep starting them again.
        _record_failed_attempt(notification_id)
        raise
    return True


def _record_failed_attempt(notification_id: int) -> None:
    pending = Notification.objects.filter(pk=notification_id, email=Notification.Email.PENDING)
    pending.update(email_attempts=F("email_attempts") + 1)
    if pending.filter(email_attempts__gte=MAX_EMAIL_ATTEMPTS).update(email=Notification.Email.FAILED):
        logger.error("notification %s given up after %s refused deliveries", notification_id, MAX_EMAIL_ATTEMPTS)


def outbox_sweep(*, older_than_minutes: int = 3) -> int:
    """Enqueue again what has waited too long: rows the broker refused (once they are a few
    minutes old) and rows whose task was lost (handed over longer ago than any retry chain)."""
    now = timezone.now()
    never_queued = Q(email_queued_at__isnull=True, created_at__lt=now - timedelta(minutes=older_than_minutes))
    with transaction.atomic():
        stuck = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(never_queued | Q(email_queued_at__lt=now - REQUEUE_AFTER), email=Notification.Email.PENDING)
            .order_by("pk")
            .values_list("pk", flat=True)[:5000]
        )
        Notification.objects.filter(pk__in=stuck).update(email_queued_at=now)
    return enqueue_delivery(stuck)


def digests_send() -> int:
    """One email per user with everything they chose to receive in the daily digest."""
    sent = 0
    user_ids = Notification.objects.filter(email=Notification.Email.DIGEST).values_list("user_id", flat=True).distinct()
    for user in User.objects.filter(pk__in=list(user_ids), is_active=True):
        with transaction.atomic():
            rows = list(
                Notification.objects.select_for_update()
                .filter(user=user, email=Notification.Email.DIGEST)
                .order_by("created_at")
            )
            if not rows:
                continue
            lines = [f"- {timezone.localtime(n.created_at):%Y-%m-%d %H:%M} {n.subject}" for n in rows]
            EmailMessage(
                subject=_("Daily digest: %(n)s notice(s)") % {"n": len(rows)},
                body="\n".join(lines) + f"\n\n{_('Open the portal')}: {_portal_link()}\n",
                to=[user.email],
                headers={"Message-ID": f"<digest-{rows[-1].uuid}@{settings.EMAIL_MESSAGE_ID_DOMAIN}>"},
            ).send()
            Notification.objects.filter(pk__in=[n.pk for n in rows]).update(
                email=Notification.Email.DIGESTED, email_sent_at=timezone.now()
            )
            sent += 1
    return sent


def notifications_mark_read(*, user: User, uuid=None) -> int:
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if uuid is not None:
        qs = qs.filter(uuid=uuid)
    return qs.update(read_at=timezone.now())


def preferences_set(*, user: User, choices: dict[str, str]) -> None:
    with transaction.atomic():
        for kind, channel in choices.items():
            if kind in Kind.values and channel in Channel.values and kind not in ALWAYS_IMMEDIATE:
                Preference.objects.update_or_create(user=user, kind=kind, defaults={"channel": channel})
