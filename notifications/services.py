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
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from notifications.models import ALWAYS_IMMEDIATE, Channel, Kind, Notification, Preference

logger = logging.getLogger(__name__)
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
                )
            )
    Notification.objects.bulk_create(rows)
    pending = [n.pk for n in rows if n.email == Notification.Email.PENDING]
    if pending:
        transaction.on_commit(lambda: enqueue_delivery(pending))
    return rows


def enqueue_delivery(notification_ids: list[int]) -> None:
    from notifications.tasks import deliver

    for notification_id in notification_ids:
        try:
            deliver.delay(notification_id)
        except Exception:  # a broker outage must not fail the user's action; the sweeper retries
            logger.warning("could not enqueue notification %s; the outbox sweeper will", notification_id)


def _portal_link() -> str:
    return f"{settings.PORTAL_BASE_URL}/notifications/"


def notification_deliver(*, notification_id: int) -> bool:
    """Send one pending notification's email. True if this call sent it."""
    with transaction.atomic():
        row = (
            Notification.objects.select_for_update()
            .select_related("user")
            .filter(pk=notification_id, email=Notification.Email.PENDING)
            .first()
        )
        if row is None:
            return False  # already sent (a redelivered task), or not to be emailed
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
    return True


def outbox_sweep(*, older_than_minutes: int = 3) -> int:
    """Enqueue again what has waited too long (broker outage, lost task)."""
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    stuck = list(
        Notification.objects.filter(email=Notification.Email.PENDING, created_at__lt=cutoff).values_list(
            "pk", flat=True
        )[:5000]
    )
    enqueue_delivery(stuck)
    return len(stuck)


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
