"""The national action plan: measures, progress updates and indicators.

Nothing here points at a single case. Indicator values computed from cases store the figure and
the number of cases behind it; suppression of small numbers happens when figures are read
(actionplan.suppression), so the rule can never be skipped by a page that forgets it.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ActionPlan(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("until"))
    owner_organisation = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(period_end__gt=models.F("period_start")), name="plan_period_ordered")
        ]

    def __str__(self) -> str:
        return self.title


class MeasureStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    DELAYED = "delayed", _("Delayed")
    DONE = "done", _("Done")


# RAG colour per status; templates always print the status text next to the colour.
RAG = {"not_started": "grey", "on_track": "green", "at_risk": "amber", "delayed": "red", "done": "blue"}


class Measure(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    plan = models.ForeignKey(ActionPlan, on_delete=models.CASCADE, related_name="measures")
    code = models.CharField(_("code"), max_length=16)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=5000)
    owner_organisation = models.ForeignKey(
        "partners.Organisation", on_delete=models.PROTECT, related_name="owned_measures", verbose_name=_("owner")
    )
    contributors = models.ManyToManyField(
        "partners.Organisation",
        blank=True,
        related_name="contributed_measures",
        verbose_name=_("contributing organisations"),
    )
    start = models.DateField(_("start"))
    deadline = models.DateField(_("deadline"))
    status = models.CharField(
        _("status"), max_length=16, choices=MeasureStatus.choices, default=MeasureStatus.NOT_STARTED
    )
    percent_done = models.PositiveSmallIntegerField(_("percent done"), default=0, validators=[MaxValueValidator(100)])

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="measure_code_per_plan"),
            models.CheckConstraint(condition=Q(percent_done__lte=100), name="measure_percent_range"),
            models.CheckConstraint(condition=Q(deadline__gte=models.F("start")), name="measure_dates_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def rag(self) -> str:
        return RAG[self.status]


class ProgressUpdate(models.Model):
    """A quarterly update by the owner organisation, accepted or returned by the ministry."""

    class Review(models.TextChoices):
        SUBMITTED = "submitted", _("Awaiting review")
        ACCEPTED = "accepted", _("Accepted")
        RETURNED = "returned", _("Returned")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="updates")
    year = models.PositiveSmallIntegerField()
    quarter = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(4)])
    status = models.CharField(_("status"), max_length=16, choices=MeasureStatus.choices)
    percent_done = models.PositiveSmallIntegerField(_("percent done"), validators=[MaxValueValidator(100)])
    narrative = models.TextField(_("narrative"), max_length=5000)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(default=timezone.now)
    review = models.CharField(max_length=12, choices=Review.choices, default=Review.SUBMITTED)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.CharField(_("comment"), max_length=1000, blank=True)

    class Meta:
        ordering = ["-year", "-quarter"]
        constraints = [
            models.UniqueConstraint(fields=["measure", "year", "quarter"], name="update_once_per_quarter"),
            models.CheckConstraint(condition=Q(quarter__gte=1, quarter__lte=4), name="update_quarter_range"),
            models.CheckConstraint(condition=Q(percent_done__lte=100), name="update_percent_range"),
        ]

    def __str__(self) -> str:
        return f"{self.measure.code} {self.year}-Q{self.quarter}"

    @property
    def period(self) -> str:
        return f"{self.year}-Q{self.quarter}"


class UpdateReminder(models.Model):
    """One reminder per measure and quarter, so the daily job never sends it twice."""

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    quarter = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["measure", "year", "quarter"], name="reminder_once")]

    def __str__(self) -> str:
        return f"reminder {self.measure_id} {self.year}-Q{self.quarter}"


class Metric(models.TextChoices):
    """Indicators the portal computes from case data."""

    CASES_OPENED = "cases_opened", _("Cases opened")
    VICTIMS_IDENTIFIED = "victims_identified", _("Victims identified")
    VICTIMS_SAFEGUARDED = "victims_safeguarded", _("Victims safeguarded")
    SUSPECTS_ARRESTED = "suspects_arrested", _("Suspects arrested")
    CHARGES_FILED = "charges_filed", _("Cases with charges filed")
    MEDIAN_DAYS_TO_FIRST_MILESTONE = "median_days_first_milestone", _("Median days from report to first milestone")
    HITS_PAST_DEADLINE = "hits_past_deadline", _("Open deconfliction hits past their deadline")


class Indicator(models.Model):
    class Direction(models.TextChoices):
        UP = "up", _("Higher is better")
        DOWN = "down", _("Lower is better")

    class Source(models.TextChoices):
        MANUAL = "manual", _("Entered")
        COMPUTED = "computed", _("Computed from cases")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    plan = models.ForeignKey(ActionPlan, on_delete=models.CASCADE, related_name="indicators")
    code = models.CharField(_("code"), max_length=16)
    name = models.CharField(_("name"), max_length=200)
    unit = models.CharField(_("unit"), max_length=40)
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices, default=Direction.UP)
    target = models.FloatField(_("target"), null=True, blank=True)
    target_date = models.DateField(_("target date"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    metric = models.CharField(_("computed as"), max_length=32, choices=Metric.choices, blank=True)
    yearly = models.BooleanField(
        _("yearly figures"), default=False, help_text=_("Values per year instead of per quarter.")
    )

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "code"], name="indicator_code_per_plan"),
            models.CheckConstraint(condition=Q(source="manual") | ~Q(metric=""), name="computed_has_metric"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class IndicatorValue(models.Model):
    """One figure: national (organisation empty) or for one organisation, per quarter or year.

    ``case_count`` is how many cases (or hits) the figure is built from; None for entered values.
    """

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="values")
    year = models.PositiveSmallIntegerField()
    quarter = models.PositiveSmallIntegerField(default=0)  # 0: the whole year
    organisation = models.ForeignKey(
        "partners.Organisation", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    value = models.FloatField()
    case_count = models.PositiveIntegerField(null=True, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # Two partial constraints instead of NULLS NOT DISTINCT, which SQLite lacks.
            models.UniqueConstraint(
                fields=["indicator", "year", "quarter"],
                condition=Q(organisation__isnull=True),
                name="indicator_value_once_national",
            ),
            models.UniqueConstraint(
                fields=["indicator", "year", "quarter", "organisation"],
                condition=Q(organisation__isnull=False),
                name="indicator_value_once_per_org",
            ),
            models.CheckConstraint(condition=Q(quarter__gte=0, quarter__lte=4), name="indicator_value_quarter"),
        ]
        indexes = [models.Index(fields=["indicator", "year", "quarter"])]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.year}-{self.quarter or 'Y'}: {self.value}"
