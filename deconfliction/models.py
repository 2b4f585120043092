"""Selectors (keyed digests of identifiers), blind hits between their holders, operations.

A hit is stored per (digest, pair of organisations), not per pair of cases: a file hash held
by 500 cases in 20 organisations costs one row per organisation pair that actually holds it,
and a new registration touches one row per organisation holding the digest.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deconfliction.normalisers import SelectorKind


class Selector(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="selectors")
    # No index of its own: ``selector_org_time`` starts with it. Every index of this table is
    # written by every registration, at random places for a 10-million-row table (docs/PERFORMANCE.md).
    organisation = models.ForeignKey(
        "partners.Organisation", on_delete=models.PROTECT, related_name="selectors", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=20, choices=SelectorKind.choices)
    digest = models.CharField(max_length=64)
    key_version = models.PositiveSmallIntegerField()
    normaliser_version = models.PositiveSmallIntegerField()
    # Fernet token of the value as typed; readable only by the registering organisation, and
    # emptied 30 days after the selector expires (the digest row stays for the audit trail).
    raw_encrypted = models.TextField(blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    reason = models.CharField(_("reason"), max_length=500)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    registered_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    active = models.BooleanField(default=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    expiry_warned_at = models.DateTimeField(null=True, blank=True)
    raw_purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # Matching (by digest), a hit's selectors (digest and one of its two organisations,
            # withdrawn ones included: a hit's page shows them) and a hit's last registration
            # (the newest of those) are all ranges of this index.
            models.Index(fields=["digest", "organisation", "-registered_at"], name="selector_digest_org"),
            models.Index(fields=["organisation", "registered_at"], name="selector_org_time"),
            models.Index(fields=["active", "expires_at"], name="selector_expiry"),
        ]
        constraints = [
            # The same identifier once per case: registering it again (a re-imported file)
            # finds the existing row instead of adding one.
            models.UniqueConstraint(fields=["case", "digest"], condition=Q(active=True), name="selector_once_per_case"),
            models.CheckConstraint(condition=Q(kind__in=SelectorKind.values), name="selector_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} selector {self.uuid}"


class Hit(models.Model):
    """Two organisations (or two cases of one) hold the same selector."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        COORDINATING = "coordinating", _("Coordinating")
        RESOLVED = "resolved", _("Resolved")

    class Outcome(models.TextChoices):
        JOINT_OPERATION = "joint_operation", _("Joint operation")
        ONE_LEADS = "one_leads", _("One side leads")
        OTHER_DEFERS = "other_defers", _("Other side defers")
        NO_CONFLICT = "no_conflict", _("No conflict")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=20, choices=SelectorKind.choices)
    digest = models.CharField(max_length=64)
    # organisation_a has the lower primary key; a == b for two cases of one organisation.
    organisation_a = models.ForeignKey("partners.Organisation", on_delete=models.CASCADE, related_name="+")
    organisation_b = models.ForeignKey("partners.Organisation", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    handling_note = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # When the hit was raised (or, after a merge, the later of two hits' values). The last
    # registration shown is the later of this and the newest active selector of the pair with
    # the digest (deconfliction.selectors.with_last_registration): nothing to update per hit.
    last_registration_at = models.DateTimeField(default=timezone.now)
    ack_deadline = models.DateTimeField()
    acknowledged_a_at = models.DateTimeField(null=True, blank=True)
    acknowledged_b_at = models.DateTimeField(null=True, blank=True)
    escalated_a_at = models.DateTimeField(null=True, blank=True)
    escalated_b_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A hit's selectors are its two organisations' selectors with its digest
    # (deconfliction.selectors.hit_selectors): registering a value again writes nothing to the
    # hits it already has, however many organisations hold it. Links are kept only for
    # selectors whose stored digest is not the hit's: one registered under an older key that
    # matched through it, or left behind when re-keying moved the hit to a new digest.
    selectors = models.ManyToManyField(Selector, related_name="linked_hits")

    class Meta:
        indexes = [
            models.Index(fields=["organisation_a", "status"], name="hit_org_a_status"),
            models.Index(fields=["organisation_b", "status"], name="hit_org_b_status"),
            models.Index(fields=["digest"], name="hit_digest"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["digest", "organisation_a", "organisation_b"],
                condition=~Q(status="resolved"),
                name="hit_one_open_per_pair",
            ),
            models.CheckConstraint(
                condition=Q(organisation_a__lte=models.F("organisation_b")), name="hit_pair_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"hit {self.uuid} ({self.kind}, {self.status})"

    def side(self, organisation_id: int) -> str:
        """'a', 'b' or 'both' (two cases of one organisation)."""
        if self.organisation_a_id == self.organisation_b_id == organisation_id:
            return "both"
        return "a" if self.organisation_a_id == organisation_id else "b"

    def other_organisation(self, organisation_id: int):
        return self.organisation_b if self.organisation_a_id == organisation_id else self.organisation_a

    def acknowledged_by(self, organisation_id: int) -> bool:
        side = self.side(organisation_id)
        if side == "both":
            return self.acknowledged_a_at is not None
        return (self.acknowledged_a_at if side == "a" else self.acknowledged_b_at) is not None

    @property
    def is_overdue(self) -> bool:
        return self.status == self.Status.NEW and self.ack_deadline < timezone.now()


class VolumeFlag(models.Model):
    """Unusual registration volume, for the platform operator to look at (not a block)."""

    organisation = models.ForeignKey("partners.Organisation", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    reviewed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.count} registrations by {self.user_id} since {self.window_start:%Y-%m-%d %H:%M}"


class RegistrationCount(models.Model):
    """New selectors registered per user and per organisation in one minute.

    The hourly rate check sums at most 60 of these rows per subject. Counting the selector
    table's last hour instead cost time in proportion to that hour's volume (and to rows
    deleted since, until vacuum): 8 ms of a 16 ms registration in issue 10's benchmark.
    Rows older than two hours are pruned by the daily expiry job.
    """

    class Scope(models.TextChoices):
        USER = "user", "user"
        ORGANISATION = "organisation", "organisation"

    scope = models.CharField(max_length=12, choices=Scope.choices)
    subject_id = models.BigIntegerField()
    minute = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "subject_id", "minute"], name="registration_count_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.count} by {self.scope} {self.subject_id} at {self.minute:%H:%M}"


class Operation(models.Model):
    """A planned action in the field or online, deconflicted by time and place."""

    class Kind(models.TextChoices):
        SEARCH = "search", _("Search")
        ARREST = "arrest", _("Arrest")
        UNDERCOVER_MEETING = "undercover_meeting", _("Undercover meeting")
        ONLINE_OPERATION = "online_operation", _("Online operation")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        CANCELLED = "cancelled", _("Cancelled")
        DONE = "done", _("Done")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT, related_name="operations")
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    title = models.CharField(_("codename"), max_length=200)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    radius_m = models.PositiveIntegerField(_("radius (metres)"), null=True, blank=True)
    country = models.CharField(_("country"), max_length=2)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLANNED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["status", "starts_at", "ends_at"], name="operation_window")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="operation_ends_after_start"),
            models.CheckConstraint(
                condition=(
                    Q(latitude__isnull=True, longitude__isnull=True, radius_m__isnull=True)
                    | Q(
                        latitude__gte=-90,
                        latitude__lte=90,
                        longitude__gte=-180,
                        longitude__lte=180,
                        radius_m__isnull=False,
                    )
                ),
                name="operation_location_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_kind_display()})"

    @property
    def has_point(self) -> bool:
        return self.latitude is not None


class OperationConflict(models.Model):
    """Two organisations plan actions that overlap in time and place (blue-on-blue risk)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RESOLVED = "resolved", _("Resolved")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    operation_a = models.ForeignKey(Operation, on_delete=models.CASCADE, related_name="+")
    operation_b = models.ForeignKey(Operation, on_delete=models.CASCADE, related_name="+")
    distance_m = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    note = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["operation_a", "operation_b"], name="conflict_once_per_pair"),
            models.CheckConstraint(condition=Q(operation_a__lt=models.F("operation_b")), name="conflict_ordered"),
        ]

    def __str__(self) -> str:
        return f"conflict {self.uuid} ({self.status})"


class ImportJob(models.Model):
    """A CSV of selectors (kind,value[,note]) registered on a case by a Celery task."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey("partners.Membership", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=500)
    # The uploaded file holds raw selector values: it is kept encrypted, and emptied when done.
    content_encrypted = models.TextField(blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    # The uploader's language: the worker writes the refused rows' reasons in it, since they are
    # stored as text and read by that person.
    language = models.CharField(max_length=10, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    registered = models.PositiveIntegerField(default=0)
    already_registered = models.PositiveIntegerField(default=0)
    hits = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)  # [{"line": n, "reason": "..."}]
    failure = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(default=timezone.now)  # last progress; stuck jobs are re-queued
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"import {self.uuid} ({self.status})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0
