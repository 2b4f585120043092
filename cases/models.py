"""Cases and everything that hangs off them.

Access is per object through django-guardian's *direct foreign-key* permission tables (one for
users, one for groups), so a grant row points straight at a case by its integer key and the
list query can go from grants to cases by index (../shared/PERFORMANCE.md, design B5).
``CaseShare`` is the record of why a grant exists (who, reason, legal basis, approval); the
grant rows are what access checks read.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from cases.constants import TLP, AccessLevel, CaseStatus, CrimeType, LegalBasis


def choice_label(choices: type[models.TextChoices], value: str) -> str:
    try:
        return choices(value).label
    except ValueError:  # not a current choice (the check constraints make this rare): as stored
        return value


class Case(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=32, unique=True, editable=False)
    title = models.CharField(
        _("codename / title"),
        max_length=200,
        help_text=_("A codename. Never a victim's or suspect's name."),
    )
    summary = models.TextField(_("summary"), blank=True, max_length=5000)
    crime_type = models.CharField(_("crime type"), max_length=32, choices=CrimeType.choices)
    status = models.CharField(_("status"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.INTAKE)
    tlp = models.CharField(_("TLP"), max_length=16, choices=TLP.choices, default=TLP.AMBER)
    lead_organisation = models.ForeignKey(
        "partners.Organisation", on_delete=models.PROTECT, related_name="led_cases", verbose_name=_("lead organisation")
    )
    # ISO 3166-1 alpha-2 codes separated by spaces ("NL PH"); two-letter codes separated by
    # spaces cannot match across a boundary, so a plain contains lookup filters correctly.
    countries = models.CharField(_("countries involved"), max_length=400, blank=True)
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    victims_identified = models.PositiveIntegerField(_("victims identified"), default=0)
    victims_safeguarded = models.PositiveIntegerField(_("victims safeguarded"), default=0)
    suspects_identified = models.PositiveIntegerField(_("suspects identified"), default=0)
    suspects_arrested = models.PositiveIntegerField(_("suspects arrested"), default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        permissions = [
            ("contribute_case", "Can add tasks, notes and milestone updates"),
            ("share_case", "Can share the case"),
        ]
        indexes = [
            models.Index(fields=["-opened_at", "-id"], name="case_opened_desc"),
            models.Index(fields=["status", "closed_at"], name="case_status_closed"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(tlp__in=TLP.values), name="case_tlp_valid"),
            models.CheckConstraint(condition=Q(status__in=CaseStatus.values), name="case_status_valid"),
            models.CheckConstraint(condition=Q(crime_type__in=CrimeType.values), name="case_crime_type_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    # Django's generated get_FOO_display rebuilds a dict of the lazily translated choices on
    # every call, translating each choice to hash it: the case list calls these 100 times a
    # page, which cost more CPU than its queries (issue 10's benchmark). An enum lookup
    # translates one label.
    def get_status_display(self) -> str:
        return choice_label(CaseStatus, self.status)

    def get_crime_type_display(self) -> str:
        return choice_label(CrimeType, self.crime_type)

    @property
    def country_list(self) -> list[str]:
        return self.countries.split()


class CaseReferenceCounter(models.Model):
    """The last number issued per (prefix, year); the row lock makes references race-free."""

    prefix = models.CharField(max_length=2)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "year"], name="case_ref_counter_unique")]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.last}"


class CaseUserObjectPermission(UserObjectPermissionBase):
    """A named grant. It is given for the user acting for one organisation (``membership``):
    it counts only while they act for it, and lapses when that membership ends."""

    content_object = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="user_grants")
    membership = models.ForeignKey("partners.Membership", on_delete=models.CASCADE, related_name="case_grants")
    expires_at = models.DateTimeField(null=True, blank=True)
    # The case's own opened_at (never changed after opening), copied so that the grants are the
    # case list's access table: see CaseGroupObjectPermission. Written by the sharing service
    # (cases.services.core._grant); a grant without it is refused by the database.
    opened_at = models.DateTimeField()

    class Meta(UserObjectPermissionBase.Meta):
        abstract = False
        indexes = [
            # The member's named grants newest first, expiry included: the list's page and
            # count are index-only scans of this (issue 10's benchmark).
            models.Index(
                fields=["user", "membership", "permission", "-opened_at", "-content_object"],
                include=["expires_at"],
                name="case_user_grant_newest",
            ),
        ]


class CaseGroupObjectPermission(GroupObjectPermissionBase):
    """An organisation grant (each organisation has exactly one auth Group)."""

    content_object = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="group_grants")
    expires_at = models.DateTimeField(null=True, blank=True)
    # The case's opened_at, copied when the grant is written (cases.services.core._grant; a
    # case's opened_at never changes). With it the grant rows are the maintained access table
    # of design D (../shared/PERFORMANCE.md): an organisation's first page of cases, newest
    # first, is the first 50 entries of the index below, whether it sees 50 cases or 10,000,
    # instead of a walk over every case to find the ones it may see.
    opened_at = models.DateTimeField()

    class Meta(GroupObjectPermissionBase.Meta):
        abstract = False
        indexes = [
            # Covers the list: newest first for the page, expiry included for both the page
            # and the count (an organisation's grants are spread over the whole table, and
            # without the expiry PostgreSQL visits one heap page per grant).
            models.Index(
                fields=["group", "permission", "-opened_at", "-content_object"],
                include=["expires_at"],
                name="case_group_grant_newest",
            ),
        ]


class CaseShare(models.Model):
    """Why access exists: one row per share decision, with its lifecycle."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting approval")
        ACTIVE = "active", _("Active")
        REJECTED = "rejected", _("Rejected")
        REVOKED = "revoked", _("Revoked")
        EXPIRED = "expired", _("Expired")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="shares")
    organisation = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.CASCADE,
        related_name="case_shares",
        help_text=_("The recipient organisation (for a named share: the one the person acts for)."),
    )
    membership = models.ForeignKey(
        "partners.Membership",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="case_shares",
        help_text=_("Set for a named share: the person, acting for the organisation."),
    )
    level = models.CharField(max_length=16, choices=AccessLevel.choices)
    reason = models.CharField(_("reason"), max_length=500)
    legal_basis = models.CharField(_("legal basis"), max_length=32, choices=LegalBasis.choices, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices)
    is_lead = models.BooleanField(default=False, help_text=_("The lead organisation's own grant."))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    requested_by_organisation = models.ForeignKey(
        "partners.Organisation", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [models.Index(fields=["case", "status"])]
        constraints = [
            models.CheckConstraint(condition=Q(level__in=AccessLevel.values), name="share_level_valid"),
            # One live share per recipient: change the level by revoking and sharing again.
            models.UniqueConstraint(
                fields=["case", "organisation"],
                condition=Q(status__in=["pending", "active"], membership__isnull=True),
                name="share_one_live_per_org",
            ),
            models.UniqueConstraint(
                fields=["case", "membership"],
                condition=Q(status__in=["pending", "active"], membership__isnull=False),
                name="share_one_live_per_member",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case.reference} → {self.membership or self.organisation} ({self.level}, {self.status})"

    @property
    def is_named(self) -> bool:
        return self.membership_id is not None


class LeadHandover(models.Model):
    """A proposal to hand the lead to another organisation that has the case; it needs that
    organisation's consent."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting consent")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="handovers")
    from_organisation = models.ForeignKey("partners.Organisation", on_delete=models.CASCADE, related_name="+")
    to_organisation = models.ForeignKey("partners.Organisation", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=500)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(status="pending"), name="handover_one_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.case.reference}: {self.from_organisation} → {self.to_organisation} ({self.status})"


class TimelineEntry(models.Model):
    """One line in a case's timeline: a note, or a record of something that happened."""

    class Kind(models.TextChoices):
        NOTE = "note", _("Note")
        CREATED = "created", _("Case opened")
        STATUS = "status", _("Status change")
        UPDATED = "updated", _("Details changed")
        SHARE = "share", _("Sharing")
        LEAD = "lead", _("Lead organisation")
        MILESTONE = "milestone", _("Milestone")
        TASK = "task", _("Task")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    body = models.TextField(max_length=10000)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    organisation = models.ForeignKey("partners.Organisation", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["case", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.created_at:%Y-%m-%d}"


class MilestoneKind(models.TextChoices):
    REPORT_RECEIVED = "report_received", _("Report received")
    INVESTIGATION_OPENED = "investigation_opened", _("Investigation opened")
    SUSPECT_IDENTIFIED = "suspect_identified", _("Suspect identified")
    VICTIM_IDENTIFIED = "victim_identified", _("Victim identified")
    VICTIM_SAFEGUARDED = "victim_safeguarded", _("Victim safeguarded")
    SEARCH_ARREST = "search_arrest", _("Search / arrest")
    SEIZURE = "seizure", _("Seizure")
    MLA_SENT = "mla_sent", _("Mutual legal assistance request sent")
    MLA_ANSWERED = "mla_answered", _("Mutual legal assistance request answered")
    EUROPOL_REFERRAL = "europol_referral", _("Europol referral")
    INTERPOL_REFERRAL = "interpol_referral", _("Interpol referral")
    CHARGES_FILED = "charges_filed", _("Charges filed")
    FIRST_HEARING = "first_hearing", _("First hearing")
    VERDICT = "verdict", _("Verdict")
    APPEAL = "appeal", _("Appeal")


# Operational milestones reveal planned actions: they never leave the portal (no calendar feed).
OPERATIONAL_MILESTONES = frozenset({MilestoneKind.SEARCH_ARREST, MilestoneKind.SEIZURE})


class Milestone(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="milestones")
    kind = models.CharField(_("milestone"), max_length=32, choices=MilestoneKind.choices)
    owner_organisation = models.ForeignKey(
        "partners.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("owner")
    )
    due_date = models.DateField(_("due"), null=True, blank=True)
    done_date = models.DateField(_("done"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=1000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # When the owner was told it is due soon / overdue (each once).
    due_soon_notified_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["done_date", "due_date"])]
        constraints = [
            models.UniqueConstraint(fields=["case", "kind"], name="milestone_one_per_kind"),
            models.CheckConstraint(condition=Q(kind__in=MilestoneKind.values), name="milestone_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"

    DUE_SOON_DAYS = 7

    @property
    def is_overdue(self) -> bool:
        return self.done_date is None and self.due_date is not None and self.due_date < timezone.localdate()

    @property
    def is_due_soon(self) -> bool:
        if self.done_date is not None or self.due_date is None or self.is_overdue:
            return False
        return (self.due_date - timezone.localdate()).days <= self.DUE_SOON_DAYS


class Task(models.Model):
    class Priority(models.TextChoices):
        LOW = "low", _("Low")
        NORMAL = "normal", _("Normal")
        HIGH = "high", _("High")
        URGENT = "urgent", _("Urgent")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACCEPTED = "accepted", _("Accepted")
        IN_PROGRESS = "in_progress", _("In progress")
        BLOCKED = "blocked", _("Blocked")
        DONE = "done", _("Done")
        DECLINED = "declined", _("Declined")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=5000)
    requesting_organisation = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT, related_name="+")
    assigned_organisation = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.PROTECT,
        related_name="assigned_tasks",
        verbose_name=_("assigned organisation"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
        verbose_name=_("assigned person"),
    )
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    due_date = models.DateField(_("due"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OPEN)
    decline_reason = models.CharField(_("reason for declining"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "-created_at"]
        indexes = [
            models.Index(fields=["assigned_organisation", "status"]),
            models.Index(fields=["requesting_organisation", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["open", "accepted", "in_progress", "blocked", "done", "declined"]),
                name="task_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(decline_reason=""), name="task_decline_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_overdue(self) -> bool:
        open_states = {self.Status.OPEN, self.Status.ACCEPTED, self.Status.IN_PROGRESS, self.Status.BLOCKED}
        return self.status in open_states and self.due_date is not None and self.due_date < timezone.localdate()


class CalendarFeed(models.Model):
    """A secret, revocable URL with the milestone due dates a member sees for one organisation."""

    membership = models.OneToOneField("partners.Membership", on_delete=models.CASCADE, related_name="calendar_feed")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"calendar feed of membership {self.membership_id}"
