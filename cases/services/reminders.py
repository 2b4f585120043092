"""Daily reminders: tasks overdue, milestones due within a week or overdue. Each is told once."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Milestone, Task
from cases.services.common import notify_case_users, organisation_members
from notifications.models import Kind

OPEN_TASK_STATES = [Task.Status.OPEN, Task.Status.ACCEPTED, Task.Status.IN_PROGRESS, Task.Status.BLOCKED]


def reminders_send() -> dict[str, int]:
    today, now = timezone.localdate(), timezone.now()
    counts = {"tasks_overdue": 0, "milestones_due_soon": 0, "milestones_overdue": 0}
    tasks = Task.objects.filter(status__in=OPEN_TASK_STATES, due_date__lt=today, overdue_notified_at__isnull=True)
    for task in tasks.select_related("case", "assigned_organisation", "assignee"):
        with transaction.atomic():
            if Task.objects.filter(pk=task.pk, overdue_notified_at__isnull=True).update(overdue_notified_at=now):
                notify_case_users(
                    task.case,
                    [task.assignee] if task.assignee else organisation_members(task.assigned_organisation),
                    _("Task overdue on case %(ref)s") % {"ref": task.case.reference},
                    _("A task of your organisation on case %(ref)s is past its due date.")
                    % {"ref": task.case.reference},
                    kind=Kind.TASK_OVERDUE,
                )
                counts["tasks_overdue"] += 1
    open_milestones = Milestone.objects.filter(done_date__isnull=True, due_date__isnull=False).select_related(
        "case", "owner_organisation"
    )
    # Subject and body name the case reference and the kind of event only: the milestone's kind
    # and date are case content (a search or an arrest must never leave the portal by email).
    for field, filters, key, subject, body in (
        (
            "overdue_notified_at",
            {"due_date__lt": today},
            "milestones_overdue",
            _("Milestone overdue on case %(ref)s"),
            _("A milestone of your organisation on case %(ref)s is past its due date."),
        ),
        (
            "due_soon_notified_at",
            {"due_date__gte": today, "due_date__lte": today + timedelta(days=7)},
            "milestones_due_soon",
            _("Milestone due within a week on case %(ref)s"),
            _("A milestone of your organisation on case %(ref)s is due within a week."),
        ),
    ):
        for milestone in open_milestones.filter(**filters, **{f"{field}__isnull": True}):
            with transaction.atomic():
                if Milestone.objects.filter(pk=milestone.pk, **{f"{field}__isnull": True}).update(**{field: now}):
                    notify_case_users(
                        milestone.case,
                        organisation_members(milestone.owner_organisation),
                        subject % {"ref": milestone.case.reference},
                        body % {"ref": milestone.case.reference},
                        kind=Kind.MILESTONE_DUE,
                    )
                    counts[key] += 1
    return counts
