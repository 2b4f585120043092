import csv
import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from cases.constants import TLP, AccessLevel
from cases.milestone_sets import MILESTONE_SETS
from cases.models import Case, CaseShare, Milestone, MilestoneKind, Task
from cases.services import (
    calendar_feed_create,
    calendar_feed_revoke,
    case_share,
    cases_purge_retained,
    milestone_set_apply,
    milestone_update,
    task_create,
    task_set_status,
)
from partners.roles import Role
from tests.cases.conftest import access_for, client_for
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def prosecutor(world, make_member):
    om = OrganisationFactory(name="Prosecution", short_code="om", kind="prosecution")
    return make_member(om, role=Role.PROSECUTOR, email="prosecutor@om.example")


# --- milestones -------------------------------------------------------------------------------


def test_prosecutor_applies_the_standard_set_and_marks_one_done(world, shared_case, prosecutor):
    om = prosecutor.memberships.get().organisation
    case_share(
        access=access_for(world.liaison, shared_case),
        organisation=om,
        level=AccessLevel.CONTRIBUTE,
        reason="prosecution",
    )
    created = milestone_set_apply(access=access_for(prosecutor, shared_case))
    assert [m.kind for m in created] == [k for k, _d in MILESTONE_SETS[shared_case.crime_type]]
    charges = Milestone.objects.get(case=shared_case, kind=MilestoneKind.CHARGES_FILED)
    assert charges.owner_organisation == om  # judicial milestones belong to the prosecution office
    assert Milestone.objects.get(case=shared_case, kind=MilestoneKind.REPORT_RECEIVED).owner_organisation == world.lead
    assert milestone_set_apply(access=access_for(prosecutor, shared_case)) == []  # applying twice adds nothing
    milestone_update(
        access=access_for(prosecutor, shared_case),
        milestone=charges,
        due_date=charges.due_date,
        done_date=timezone.localdate(),
    )
    charges.refresh_from_db()
    assert charges.done_date == timezone.localdate()
    assert shared_case.timeline.filter(kind="milestone", body__contains="Charges filed").exists()


def test_milestone_flags(world, new_case):
    case = new_case(TLP.GREEN)
    today = timezone.localdate()
    overdue = Milestone(
        case=case, kind=MilestoneKind.SEIZURE, owner_organisation=world.lead, due_date=today - timedelta(days=1)
    )
    soon = Milestone(
        case=case, kind=MilestoneKind.VERDICT, owner_organisation=world.lead, due_date=today + timedelta(days=3)
    )
    later = Milestone(
        case=case, kind=MilestoneKind.APPEAL, owner_organisation=world.lead, due_date=today + timedelta(days=30)
    )
    assert (overdue.is_overdue, overdue.is_due_soon) == (True, False)
    assert (soon.is_overdue, soon.is_due_soon) == (False, True)
    assert (later.is_overdue, later.is_due_soon) == (False, False)


def test_done_date_in_the_future_is_refused(world, new_case):
    case = new_case(TLP.GREEN)
    milestone_set_apply(access=access_for(world.liaison, case))
    milestone = case.milestones.first()
    with pytest.raises(ValidationError):
        milestone_update(
            access=access_for(world.liaison, case),
            milestone=milestone,
            due_date=None,
            done_date=timezone.localdate() + timedelta(days=1),
        )
    milestone.refresh_from_db()
    assert milestone.done_date is None


def test_analyst_may_not_manage_milestones(world, new_case):
    case = new_case(TLP.GREEN)
    with pytest.raises(PermissionDenied):
        milestone_set_apply(access=access_for(world.dual, case, world.lead))


def test_prosecutor_view_lists_next_milestone_soonest_first(world, new_case, prosecutor):
    om = prosecutor.memberships.get().organisation
    first, second = new_case(TLP.GREEN, title="A"), new_case(TLP.GREEN, title="B")
    for case in (first, second):
        case_share(access=access_for(world.liaison, case), organisation=om, level=AccessLevel.CONTRIBUTE, reason="x")
    today = timezone.localdate()
    Milestone.objects.create(
        case=first, kind=MilestoneKind.VERDICT, owner_organisation=om, due_date=today + timedelta(days=20)
    )
    Milestone.objects.create(
        case=second, kind=MilestoneKind.CHARGES_FILED, owner_organisation=om, due_date=today + timedelta(days=2)
    )
    Milestone.objects.create(
        case=second, kind=MilestoneKind.VERDICT, owner_organisation=om, due_date=today + timedelta(days=90)
    )
    html = client_for(prosecutor).get("/cases/milestones/").content.decode()
    assert html.index(second.reference) < html.index(first.reference)
    assert "Charges filed" in html and "charges_filed" not in html  # named in words, not the stored code


def test_calendar_feed_excludes_red_and_operational(world, new_case):
    green, red = new_case(TLP.GREEN, title="Green"), new_case(TLP.RED, title="Red")
    today = timezone.localdate()
    for case in (green, red):
        Milestone.objects.create(
            case=case,
            kind=MilestoneKind.CHARGES_FILED,
            owner_organisation=world.lead,
            due_date=today + timedelta(days=5),
        )
        Milestone.objects.create(
            case=case,
            kind=MilestoneKind.SEARCH_ARREST,
            owner_organisation=world.lead,
            due_date=today + timedelta(days=6),
        )
    token = calendar_feed_create(membership=world.liaison.memberships.get())
    feed = Client().get(f"/calendar/{token}.ics")  # no session: the secret URL is the credential
    assert feed.status_code == 200 and feed["Content-Type"].startswith("text/calendar")
    body = feed.content.decode()
    assert f"{green.reference} – Charges filed" in body
    assert red.reference not in body
    assert "Search / arrest" not in body
    assert "Green" not in body.replace(green.reference, "")  # no titles
    calendar_feed_revoke(membership=world.liaison.memberships.get())
    assert Client().get(f"/calendar/{token}.ics").status_code == 404


def test_calendar_feed_of_an_ended_membership_stops(world, new_case):
    token = calendar_feed_create(membership=world.colleague.memberships.get())
    from partners.services import membership_end

    membership_end(membership=world.colleague.memberships.get(), by=None)
    assert Client().get(f"/calendar/{token}.ics").status_code == 404


# --- tasks ---------------------------------------------------------------------------------------


def test_task_to_an_organisation_that_cannot_see_the_case_is_refused(world, shared_case):
    with pytest.raises(ValidationError, match="cannot see this case"):
        task_create(
            access=access_for(world.liaison, shared_case),
            title="Check hosting logs",
            assigned_organisation=world.outsider_org,
        )
    assert not Task.objects.exists()


def test_task_lifecycle_across_organisations(world, shared_case, django_capture_on_commit_callbacks):
    CaseShare.objects.filter(case=shared_case, organisation=world.partner).update(level=AccessLevel.CONTRIBUTE)
    with django_capture_on_commit_callbacks(execute=True):
        task = task_create(
            access=access_for(world.liaison, shared_case),
            title="Interview witness",
            assigned_organisation=world.partner,
            priority=Task.Priority.HIGH,
        )
    assert {m.to[0] for m in mail.outbox} == {world.partner_liaison.email, world.partner_analyst.email}
    incoming = client_for(world.partner_liaison).get("/cases/tasks/").content.decode()
    assert "Interview witness" in incoming
    outgoing = client_for(world.liaison).get("/cases/tasks/?direction=outgoing").content.decode()
    assert "Interview witness" in outgoing
    with pytest.raises(PermissionDenied):  # the requester does not move the assignee's task
        task_set_status(access=access_for(world.liaison, shared_case), task=task, status=Task.Status.ACCEPTED)
    partner = access_for(world.partner_liaison, shared_case)
    task_set_status(access=partner, task=task, status=Task.Status.ACCEPTED)
    with pytest.raises(ValidationError, match="cannot become"):
        task_set_status(access=partner, task=task, status=Task.Status.OPEN)
    task_set_status(access=partner, task=task, status=Task.Status.DONE)
    task.refresh_from_db()
    assert task.status == Task.Status.DONE
    assert shared_case.timeline.filter(kind="task").count() == 3


def test_declining_needs_a_reason(world, shared_case):
    task = task_create(access=access_for(world.liaison, shared_case), title="x", assigned_organisation=world.partner)
    with pytest.raises(ValidationError, match="why"):
        task_set_status(access=access_for(world.partner_liaison, shared_case), task=task, status=Task.Status.DECLINED)
    task_set_status(
        access=access_for(world.partner_liaison, shared_case),
        task=task,
        status=Task.Status.DECLINED,
        reason="not our jurisdiction",
    )
    task.refresh_from_db()
    assert (task.status, task.decline_reason) == ("declined", "not our jurisdiction")


def test_inbox_hides_tasks_of_cases_no_longer_visible(world, shared_case):
    from cases.services import case_share_revoke

    task_create(access=access_for(world.liaison, shared_case), title="Secret-ish", assigned_organisation=world.partner)
    share = CaseShare.objects.get(case=shared_case, organisation=world.partner)
    case_share_revoke(access=access_for(world.liaison, shared_case), share=share, reason="x")
    assert "Secret-ish" not in client_for(world.partner_liaison).get("/cases/tasks/").content.decode()


# --- export and retention -------------------------------------------------------------------------


def test_export_has_visible_cases_only_never_red_and_is_audited(world, shared_case, new_case):
    red = new_case(TLP.RED, title='=HYPERLINK("x")')
    Case.objects.filter(pk=shared_case.pk).update(title="=cmd|' /C calc'!A0")
    response = client_for(world.liaison).get("/cases/export.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    references = [r[0] for r in rows[1:]]
    assert shared_case.reference in references and red.reference not in references
    assert rows[1][1].startswith("'=")  # formula injection neutralised
    assert AuditEvent.objects.get(action="case.export").details["rows"] == 1
    partner_rows = list(csv.reader(io.StringIO(client_for(world.outsider).get("/cases/export.csv").content.decode())))
    assert len(partner_rows) == 1  # header only


def test_retention_purges_closed_cases_with_everything_on_them(world, shared_case, new_case, settings):
    settings.CASE_RETENTION_DAYS = 30
    recent = new_case(TLP.GREEN, title="Recently closed")
    task_create(access=access_for(world.liaison, shared_case), title="t", assigned_organisation=world.partner)
    milestone_set_apply(access=access_for(world.liaison, shared_case))
    Case.objects.filter(pk=shared_case.pk).update(status="closed", closed_at=timezone.now() - timedelta(days=31))
    Case.objects.filter(pk=recent.pk).update(status="closed", closed_at=timezone.now() - timedelta(days=29))
    assert cases_purge_retained() == 1
    assert not Case.objects.filter(pk=shared_case.pk).exists()
    assert Case.objects.filter(pk=recent.pk).exists()
    assert not Task.objects.exists() and not Milestone.objects.filter(case_id=shared_case.pk).exists()
    assert not CaseShare.objects.filter(case_id=shared_case.pk).exists()
    event = AuditEvent.objects.get(action="case.purge")
    assert event.details["references"] == [shared_case.reference]


def test_task_for_a_named_person_through_the_page(world, shared_case):
    CaseShare.objects.filter(case=shared_case, organisation=world.partner).update(level=AccessLevel.CONTRIBUTE)
    analyst = world.partner_analyst.memberships.get()
    response = client_for(world.liaison).post(
        f"/cases/{shared_case.uuid}/tasks/",
        {
            "title": "Check the seized laptop",
            "assigned_organisation": str(world.partner.uuid),
            "assignee": str(analyst.uuid),
            "priority": "high",
        },
    )
    assert response.status_code == 302
    task = Task.objects.get()
    assert (task.assigned_organisation, task.assignee) == (world.partner, world.partner_analyst)
    wrong = client_for(world.liaison).post(
        f"/cases/{shared_case.uuid}/tasks/",
        {
            "title": "x",
            "assigned_organisation": str(world.partner.uuid),
            "assignee": str(world.colleague.memberships.get().uuid),
            "priority": "low",
        },
    )
    assert wrong.status_code == 302 and Task.objects.count() == 1  # a colleague of the lead is not in the partner
