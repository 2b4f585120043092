"""The append-only, hash-chained audit log.

Each event stores the SHA-256 of the previous event's hash plus its own canonical content, so
any edit, insertion or deletion breaks the chain at a place ``manage.py audit_verify`` reports.

The log is split into a fixed number of parallel chains (AUDIT_CHAINS). Appending locks only
the head row of one chain, so auditing every case read does not serialise the whole portal on
one lock, while each chain stays strictly linear. The number is fixed for the life of a
database: changing it would re-route events but never breaks verification of existing ones.
"""

from django.db import models
from django.utils import timezone

AUDIT_CHAINS = 8
GENESIS_HASH = "0" * 64


class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete an audit event through the application."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit events are append-only")

    def delete(self):
        raise AppendOnlyError("audit events are append-only")

    def _raw_delete(self, using):  # used by the ORM's fast delete path (cascades)
        raise AppendOnlyError("audit events are append-only")


class AuditEvent(models.Model):
    class Result(models.TextChoices):
        SUCCESS = "success"
        DENIED = "denied"
        FAILURE = "failure"

    chain = models.PositiveSmallIntegerField()
    seq = models.BigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    # Plain ids and a label rather than foreign keys: the log must outlive what it describes.
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(max_length=254, blank=True)
    organisation_id = models.BigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    result = models.CharField(max_length=16, choices=Result.choices)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="audit_event_chain_seq_unique")]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["actor_id", "created_at"]),
            models.Index(fields=["action", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.action} {self.result}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit events are append-only")


class AuditChainHead(models.Model):
    """The last sequence number and hash of one chain; locked while appending to it.

    ``base_seq``/``base_hash`` mark where the retained part of the chain starts after whole
    sealed segments were purged, so verification still links the first remaining event.
    """

    chain = models.PositiveSmallIntegerField(primary_key=True)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)
    base_seq = models.BigIntegerField(default=0)
    base_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self) -> str:
        return f"chain {self.chain} at {self.seq}"
