"""Tasks across organisations."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record
from cases.models import Task, TimelineEntry, choice_label
from cases.selectors import CaseAccess, organisation_sees_case
from cases.services.common import (
    notify_case_users,
    organisation_members,
    require_capability,
    require_permission,
    timeline_add,
)
from notifications.models import Kind
from partners.models import Membership, Organisation
from partners.roles import Capability

# Which status may follow which (done and declined are final).
TRANSITIONS: dict[str, set[str]] = {
    Task.Status.OPEN: {Task.Status.ACCEPTED, Task.Status.IN_PROGRESS, Task.Status.DECLINED},
    Task.Status.ACCEPTED: {Task.Status.IN_PROGRESS, Task.Status.BLOCKED, Task.Status.DONE, Task.Status.DECLINED},
    Task.Status.IN_PROGRESS: {Task.Status.BLOCKED, Task.Status.DONE},
    Task.Status.BLOCKED: {Task.Status.IN_PROGRESS, Task.Status.DONE, Task.Status.DECLINED},
    Task.Status.DONE: set(),
    Task.Status.DECLINED: set(),
}


@transaction.atomic
def task_create(
    *,
    access: CaseAccess,
    title: str,
    assigned_organisation: Organisation,
    description: str = "",
    assignee: User | None = None,
    priority: str = Task.Priority.NORMAL,
    due_date: date | None = None,
    request: HttpRequest | None = None,
) -> Task:
    """Ask an organisation (optionally one person in it) to do something on a case it can see."""
    require_capability(access.membership, Capability.HANDLE_TASKS)
    require_permission(access, "contribute_case")
    if not organisation_sees_case(organisation=assigned_organisation, case=access.case, user=assignee):
        raise ValidationError(
            {
                "assigned_organisation": _("%(org)s cannot see this case. Share the case with it first.")
                % {"org": assigned_organisation}
            }
        )
    if (
        assignee is not None
        and not Membership.objects.filter(user=assignee, organisation=assigned_organisation, active=True).exists()
    ):
        raise ValidationError(
            {"assignee": _("That person is not a member of %(org)s.") % {"org": assigned_organisation}}
        )
    task = Task(
        case=access.case,
        title=title.strip(),
        description=description.strip(),
        requesting_organisation=access.membership.organisation,
        assigned_organisation=assigned_organisation,
        assignee=assignee,
        priority=priority,
        due_date=due_date,
        created_by=access.membership.user,
    )
    task.full_clean()
    task.save()
    timeline_add(
        access.case,
        TimelineEntry.Kind.TASK,
        _("Task for %(org)s: %(title)s") % {"org": assigned_organisation, "title": task.title},
        access.membership.user,
        access.membership.organisation,
    )
    audit_record(
        action="task.create",
        request=request,
        actor=access.membership.user,
        organisation=access.membership.organisation,
        obj=access.case,
        details={"task": str(task.uuid), "assigned_organisation": str(assigned_organisation.uuid)},
    )
    notify_case_users(
        access.case,
        [assignee] if assignee else organisation_members(assigned_organisation),
        _("New task on case %(ref)s") % {"ref": access.case.reference},
        _("Your organisation has a new task on case %(ref)s in the portal.") % {"ref": access.case.reference},
        kind=Kind.TASK_ASSIGNED,
    )
    return task


@transaction.atomic
def task_set_status(
    *, access: CaseAccess, task: Task, status: str, reason: str = "", request: HttpRequest | None = None
) -> Task:
    """The assigned organisation moves its task along; declining needs a reason."""
    member = access.membership
    require_capability(member, Capability.HANDLE_TASKS)
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.case_id != access.case.pk:
        raise ValidationError(_("That task belongs to another case."))
    if member.organisation_id != task.assigned_organisation_id:
        raise PermissionDenied(_("Only the organisation the task is assigned to changes its status."))
    if status not in TRANSITIONS.get(task.status, set()):
        raise ValidationError(
            {
                "status": _("A task that is %(old)s cannot become %(new)s.")
                % {"old": task.get_status_display(), "new": choice_label(Task.Status, status)}
            }
        )
    if status == Task.Status.DECLINED and not reason.strip():
        raise ValidationError({"reason": _("Say why you decline the task.")})
    old = task.status
    task.status = status
    task.decline_reason = reason.strip()[:500] if status == Task.Status.DECLINED else task.decline_reason
    task.save(update_fields=["status", "decline_reason", "updated_at"])
    timeline_add(
        access.case,
        TimelineEntry.Kind.TASK,
        _("Task “%(title)s”: %(old)s → %(new)s")
        % {"title": task.title, "old": Task.Status(old).label, "new": task.get_status_display()},
        member.user,
        member.organisation,
    )
    audit_record(
        action="task.status",
        request=request,
        actor=member.user,
        organisation=member.organisation,
        obj=access.case,
        details={"task": str(task.uuid), "from": old, "to": status},
    )
    notify_case_users(
        access.case,
        organisation_members(task.requesting_organisation),
        _("Task on case %(ref)s updated") % {"ref": access.case.reference},
        _("A task your organisation asked for on case %(ref)s is now: %(status)s.")
        % {"ref": access.case.reference, "status": task.get_status_display()},
        kind=Kind.TASK_UPDATED,
    )
    return task
