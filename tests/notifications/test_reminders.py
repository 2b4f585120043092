from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import User
from accounts.services import users_disable_inactive
from audit.models import AuditEvent
from cases.constants import TLP
from cases.models import Milestone, MilestoneKind, Task
from cases.services import task_create
from cases.services.reminders import reminders_send
from notifications.models import Notification
from tests.cases.conftest import access_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_overdue_tasks_and_due_milestones_are_told_once(world, shared_case):
    task = task_create(
        access=access_for(world.liaison, shared_case),
        title="t",
        assigned_organisation=world.partner,
        due_date=timezone.localdate() + timedelta(days=1),
    )
    Task.objects.filter(pk=task.pk).update(due_date=timezone.localdate() - timedelta(days=1))
    today = timezone.localdate()
    Milestone.objects.create(
        case=shared_case, kind=MilestoneKind.VERDICT, owner_organisation=world.lead, due_date=today + timedelta(days=3)
    )
    Milestone.objects.create(
        case=shared_case, kind=MilestoneKind.APPEAL, owner_organisation=world.lead, due_date=today - timedelta(days=3)
    )
    Milestone.objects.create(
        case=shared_case, kind=MilestoneKind.SEIZURE, owner_organisation=world.lead, due_date=today + timedelta(days=30)
    )
    assert reminders_send() == {"tasks_overdue": 1, "milestones_due_soon": 1, "milestones_overdue": 1}
    assert reminders_send() == {"tasks_overdue": 0, "milestones_due_soon": 0, "milestones_overdue": 0}
    assert Notification.objects.filter(kind="task_overdue", user=world.partner_liaison).count() == 1
    assert Notification.objects.filter(kind="milestone_due", user=world.liaison).count() == 2
    assert not Notification.objects.filter(user=world.outsider).exists()


def test_reminder_emails_name_the_case_and_the_event_only(world, shared_case, django_capture_on_commit_callbacks):
    due = timezone.localdate() + timedelta(days=2)
    Milestone.objects.create(
        case=shared_case, kind=MilestoneKind.SEARCH_ARREST, owner_organisation=world.lead, due_date=due
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_send()["milestones_due_soon"] == 1
    assert mail.outbox
    for message in mail.outbox:
        text = f"{message.subject}\n{message.body}"
        assert shared_case.reference in text
        assert "arrest" not in text.lower() and "search" not in text.lower()  # an operation never leaves by email
        assert shared_case.title not in text
        for spelling in (due.isoformat(), date_format(due), date_format(due, "SHORT_DATE_FORMAT")):
            assert spelling not in text  # the date, however it is written


def test_red_case_reminders_reach_named_people_only(world, new_case):
    red = new_case(TLP.RED)
    Milestone.objects.create(
        case=red,
        kind=MilestoneKind.VERDICT,
        owner_organisation=world.lead,
        due_date=timezone.localdate() + timedelta(days=2),
    )
    reminders_send()
    told = set(Notification.objects.filter(kind="milestone_due").values_list("user_id", flat=True))
    assert told == {world.liaison.pk}


def test_accounts_inactive_for_90_days_are_disabled(member):
    old = timezone.now() - timedelta(days=91)
    idle = UserFactory(last_login=old)
    never = UserFactory(date_joined=old)
    operator = UserFactory(is_platform_operator=True, last_login=old)
    service = UserFactory(is_service_account=True, date_joined=old)
    User.objects.filter(pk=member.pk).update(last_login=timezone.now() - timedelta(days=10))
    assert users_disable_inactive() == 2
    assert set(User.objects.filter(is_active=False).values_list("pk", flat=True)) == {idle.pk, never.pk}
    assert User.objects.get(pk=operator.pk).is_active and User.objects.get(pk=service.pk).is_active
    assert AuditEvent.objects.filter(action="user.disable_inactive").count() == 2
