"""Writes for the action plan: progress updates and their review, indicator values, reminders."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from actionplan.metrics import SNAPSHOT, compute
from actionplan.models import (
    ActionPlan,
    Indicator,
    IndicatorValue,
    Measure,
    MeasureStatus,
    ProgressUpdate,
    UpdateReminder,
)
from audit.services import audit_record
from cases.services.common import notify_users
from notifications.models import Kind
from partners.models import Membership
from partners.roles import Capability, role_can
from partners.selectors import members_with_capability


def previous_quarter(today: date | None = None) -> tuple[int, int]:
    today = today or timezone.localdate()
    quarter = (today.month - 1) // 3 + 1
    return (today.year, quarter - 1) if quarter > 1 else (today.year - 1, 4)


def _require(membership: Membership | None, capability: str) -> None:
    if membership is None or not role_can(membership.role, capability):
        raise PermissionDenied(_("Your role may not do this."))


@transaction.atomic
def progress_submit(
    *,
    membership: Membership,
    measure: Measure,
    year: int,
    quarter: int,
    status: str,
    percent_done: int,
    narrative: str,
    request: HttpRequest | None = None,
) -> ProgressUpdate:
    """The owner organisation reports on its measure; a returned update can be submitted again."""
    _require(membership, Capability.REPORT_PROGRESS)
    if membership.organisation_id != measure.owner_organisation_id:
        raise PermissionDenied(_("Only the owner organisation reports on this measure."))
    if status not in MeasureStatus.values or not 0 <= percent_done <= 100 or quarter not in (1, 2, 3, 4):
        raise ValidationError(_("Check the status, the percentage (0 to 100) and the quarter."))
    if not narrative.strip():
        raise ValidationError({"narrative": _("Describe the progress.")})
    today = timezone.localdate()
    if (year, quarter) > (today.year, (today.month - 1) // 3 + 1):
        raise ValidationError({"quarter": _("You cannot report on a future quarter.")})
    update = ProgressUpdate.objects.select_for_update().filter(measure=measure, year=year, quarter=quarter).first()
    if update is not None and update.review != ProgressUpdate.Review.RETURNED:
        raise ValidationError(_("There is already an update for %(period)s.") % {"period": update.period})
    update = update or ProgressUpdate(measure=measure, year=year, quarter=quarter)
    update.status, update.percent_done, update.narrative = status, percent_done, narrative.strip()
    update.submitted_by, update.submitted_at = membership.user, timezone.now()
    update.review, update.reviewed_by, update.reviewed_at, update.review_comment = (
        ProgressUpdate.Review.SUBMITTED,
        None,
        None,
        "",
    )
    update.full_clean()
    update.save()
    audit_record(
        action="actionplan.update_submit",
        request=request,
        actor=membership.user,
        organisation=membership.organisation,
        obj=measure,
        details={"period": update.period},
    )
    return update


@transaction.atomic
def progress_review(
    *,
    membership: Membership,
    update: ProgressUpdate,
    accept: bool,
    comment: str = "",
    request: HttpRequest | None = None,
) -> ProgressUpdate:
    """The ministry accepts an update (the measure takes its status and percentage) or returns it."""
    _require(membership, Capability.REVIEW_PROGRESS)
    update = ProgressUpdate.objects.select_for_update().select_related("measure").get(pk=update.pk)
    if update.review != ProgressUpdate.Review.SUBMITTED:
        raise ValidationError(_("This update was already reviewed."))
    if not accept and not comment.strip():
        raise ValidationError({"comment": _("Say why you return the update.")})
    update.review = ProgressUpdate.Review.ACCEPTED if accept else ProgressUpdate.Review.RETURNED
    update.reviewed_by, update.reviewed_at, update.review_comment = membership.user, timezone.now(), comment.strip()
    update.save()
    if accept:
        latest = update.measure.updates.filter(review=ProgressUpdate.Review.ACCEPTED).order_by("-year", "-quarter")
        if latest.first() == update:
            Measure.objects.filter(pk=update.measure_id).update(status=update.status, percent_done=update.percent_done)
    audit_record(
        action="actionplan.update_accept" if accept else "actionplan.update_return",
        request=request,
        actor=membership.user,
        organisation=membership.organisation,
        obj=update.measure,
        details={"period": update.period},
    )
    if not accept:
        reporters = User.objects.filter(
            memberships__organisation_id=update.measure.owner_organisation_id, memberships__active=True
        ).distinct()
        notify_users(
            reporters,
            _("Progress update returned"),
            _("The ministry returned your update on measure %(code)s for %(period)s. See the comment in the portal.")
            % {"code": update.measure.code, "period": update.period},
            kind=Kind.ACTIONPLAN_UPDATE_DUE,
        )
    return update


@transaction.atomic
def indicator_value_set(
    *,
    membership: Membership,
    indicator: Indicator,
    year: int,
    quarter: int | None,
    value: float,
    request: HttpRequest | None = None,
) -> IndicatorValue:
    """An entered (not computed) figure, by the ministry."""
    _require(membership, Capability.REVIEW_PROGRESS)
    if indicator.source != Indicator.Source.MANUAL:
        raise ValidationError(_("This indicator is computed from cases; its values cannot be entered."))
    if quarter is not None and quarter not in (1, 2, 3, 4):
        raise ValidationError({"quarter": _("A quarter is 1 to 4.")})
    row, _created = IndicatorValue.objects.update_or_create(
        indicator=indicator,
        year=year,
        quarter=0 if indicator.yearly or quarter is None else quarter,
        organisation=None,
        defaults={"value": value, "case_count": None, "computed_at": timezone.now()},
    )
    audit_record(
        action="actionplan.value_set",
        request=request,
        actor=membership.user,
        organisation=membership.organisation,
        obj=indicator,
        details={"year": year, "quarter": quarter},
    )
    return row


@transaction.atomic
def indicators_refresh(*, plan: ActionPlan | None = None) -> int:
    """Recompute every computed indicator from the cases (per quarter, per lead organisation and
    national). The previous computed figures are replaced in the same transaction: all of them
    for metrics the cases give again for every quarter, only the quarters just computed for
    snapshots of "now" (metrics.SNAPSHOT), whose earlier quarters are their only history."""
    indicators = Indicator.objects.filter(source=Indicator.Source.COMPUTED)
    if plan is not None:
        indicators = indicators.filter(plan=plan)
    written = 0
    now = timezone.now()
    for indicator in indicators:
        rows, totals = compute(indicator.metric)
        values = [
            IndicatorValue(
                indicator=indicator, year=y, quarter=q, organisation_id=org, value=v, case_count=n, computed_at=now
            )
            for (y, q, org), (v, n) in rows.items()
        ]
        values += [
            IndicatorValue(
                indicator=indicator, year=y, quarter=q, organisation=None, value=v, case_count=n, computed_at=now
            )
            for (y, q), (v, n) in totals.items()
        ]
        old = IndicatorValue.objects.filter(indicator=indicator)
        if indicator.metric in SNAPSHOT:
            # Organisations without hits any more lose their figure of this quarter as well.
            periods = Q(pk__in=[])
            for year, quarter in totals:
                periods |= Q(year=year, quarter=quarter)
            old = old.filter(periods)
        old.delete()
        IndicatorValue.objects.bulk_create(values)
        written += len(values)
    audit_record(action="actionplan.refresh", details={"values": written})
    return written


def updates_remind_late(*, today: date | None = None) -> int:
    """Remind owners of measures without an update for the quarter that just ended (once)."""
    year, quarter = previous_quarter(today)
    sent = 0
    late = (
        Measure.objects.exclude(status=MeasureStatus.DONE)
        .exclude(updates__year=year, updates__quarter=quarter)
        .select_related("owner_organisation")
    )
    for measure in late:
        with transaction.atomic():
            _reminder, created = UpdateReminder.objects.get_or_create(measure=measure, year=year, quarter=quarter)
            if not created:
                continue
            owners = members_with_capability(
                organisation=measure.owner_organisation, capability=Capability.REPORT_PROGRESS
            )
            notify_users(
                owners,
                _("Progress update due: %(code)s") % {"code": measure.code},
                _("Please submit the update on measure %(code)s for %(year)s-Q%(q)s in the portal.")
                % {"code": measure.code, "year": year, "q": quarter},
                kind=Kind.ACTIONPLAN_UPDATE_DUE,
            )
            sent += 1
    return sent
