"""In-app notifications, which double as the outbox for email.

A notification row is written in the same transaction as the event it reports. Email delivery
reads the row after commit (a Celery task), so an event is never lost to a broker outage and a
rolled-back event never sends mail.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    HIT_RAISED = "hit_raised", _("Deconfliction hit raised")
    HIT_OVERDUE = "hit_overdue", _("Hit acknowledgement overdue")
    OPERATION_CONFLICT = "operation_conflict", _("Operation conflict")
    CASE_SHARED = "case_shared", _("Case shared with your organisation")
    SHARE_REVOKED = "share_revoked", _("Share revoked")
    SHARE_APPROVAL = "share_approval", _("Share awaiting your approval")
    TASK_ASSIGNED = "task_assigned", _("Task assigned")
    TASK_UPDATED = "task_updated", _("Task updated")
    TASK_OVERDUE = "task_overdue", _("Task overdue")
    MILESTONE_DUE = "milestone_due", _("Milestone due soon or overdue")
    ACTIONPLAN_UPDATE_DUE = "actionplan_update_due", _("Action-plan update due")
    SELECTOR_EXPIRING = "selector_expiring", _("Selectors expiring")
    ACCOUNT = "account", _("Your account and second factor")
    PLATFORM = "platform", _("Platform operation")


# Security notices always go by email at once: the user cannot turn them off.
ALWAYS_IMMEDIATE = frozenset({Kind.ACCOUNT})


class Channel(models.TextChoices):
    IMMEDIATE = "immediate", _("Email at once")
    DIGEST = "digest", _("Daily digest")
    OFF = "off", _("No email (in the portal only)")


class Notification(models.Model):
    class Email(models.TextChoices):
        PENDING = "pending", _("To send")
        SENT = "sent", _("Sent")
        DIGEST = "digest", _("For the digest")
        DIGESTED = "digested", _("Sent in a digest")
        OFF = "off", _("Not emailed")
        FAILED = "failed", _("Not delivered: the mail server kept refusing it")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    subject = models.CharField(max_length=200)
    body = models.TextField(max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    email = models.CharField(max_length=12, choices=Email.choices)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    # When delivery was last handed to Celery; cleared when the broker refused it. The sweeper
    # leaves alone a row whose task may still be retrying, so retries never run in parallel.
    email_queued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at"], name="notification_unread"),
            models.Index(fields=["email", "created_at"], name="notification_outbox"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"

    @property
    def message_id(self) -> str:
        """The same for every attempt, so a rare resend after a crash is recognisable."""
        return f"<notification-{self.uuid}@{settings.EMAIL_MESSAGE_ID_DOMAIN}>"


class Preference(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    channel = models.CharField(max_length=12, choices=Channel.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="preference_once")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: {self.channel}"
