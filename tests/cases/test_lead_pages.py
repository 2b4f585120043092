"""The lead organisation works a case through the pages alone: edit, TLP, sharing, milestones,
tasks, handover; every step lands in the timeline. And the list pages besides the case list
keep a flat query count."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.constants import TLP, AccessLevel
from cases.models import CaseShare, LeadHandover, Milestone, MilestoneKind, Task, TimelineEntry
from cases.services import case_share, milestone_add, task_create
from tests.cases.conftest import access_for, client_for

pytestmark = pytest.mark.django_db


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_the_lead_works_a_case_through_the_pages(world, new_case):
    case = new_case(TLP.AMBER)
    lead = client_for(world.liaison)
    url = f"/cases/{case.uuid}"

    edited = lead.post(
        f"{url}/edit/",
        {"title": case.title, "summary": "", "crime_type": case.crime_type, "status": "active", "countries": "NL"}
        | dict.fromkeys(("victims_identified", "victims_safeguarded", "suspects_identified", "suspects_arrested"), 0),
        follow=True,
    )
    assert "Saved." in _messages(edited)
    shared = lead.post(
        f"{url}/share/",
        {"organisation": str(world.ngo.uuid), "level": "view", "reason": "victim support"},
        follow=True,
    )
    assert shared.status_code == 200 and CaseShare.objects.filter(case=case, organisation=world.ngo).exists()
    stricter = lead.post(f"{url}/tlp/", {"tlp": TLP.AMBER_STRICT}, follow=True)
    assert "Revoked because the new TLP forbids them: Hotline" in _messages(stricter)
    lead.post(f"{url}/tlp/", {"tlp": TLP.GREEN})

    lead.post(f"{url}/milestones/apply/")
    assert Milestone.objects.filter(case=case).count() > 5
    extra = next(k for k in MilestoneKind.values if not Milestone.objects.filter(case=case, kind=k).exists())
    lead.post(
        f"{url}/milestones/",
        {"kind": extra, "owner_organisation": str(world.lead.uuid), "due_date": "2030-01-31", "note": ""},
    )
    added = Milestone.objects.get(case=case, kind=extra, due_date="2030-01-31")
    today = timezone.localdate()
    future = lead.post(f"{url}/milestones/{added.uuid}/", {"due_date": "2030-01-31", "done_date": "2030-01-30"})
    assert "cannot be done in the future" in " ".join(str(m) for m in future.wsgi_request._messages)
    lead.post(f"{url}/milestones/{added.uuid}/", {"due_date": "2030-01-31", "done_date": today.isoformat()})
    added.refresh_from_db()
    assert added.done_date == today

    case_share(access=access_for(world.liaison, case), organisation=world.partner, level="view", reason="joint")
    lead.post(
        f"{url}/tasks/",
        {"title": "Check the subscriber data", "assigned_organisation": str(world.partner.uuid), "priority": "high"},
    )
    task = Task.objects.get(case=case)
    client_for(world.partner_liaison).post(f"{url}/tasks/{task.uuid}/status/", {"status": "accepted"})
    task.refresh_from_db()
    assert task.status == Task.Status.ACCEPTED

    partner_share = CaseShare.objects.get(case=case, organisation=world.partner, status=CaseShare.Status.ACTIVE)
    lead.post(f"{url}/handover/", {"organisation": str(world.partner.uuid), "reason": "suspect moved"})
    handover = LeadHandover.objects.get(case=case)
    client_for(world.partner_liaison).post(f"{url}/handover/{handover.uuid}/decline/")
    assert LeadHandover.objects.get(pk=handover.pk).status == LeadHandover.Status.DECLINED
    revoked = lead.post(f"{url}/shares/{partner_share.uuid}/revoke/", {"reason": "done"}, follow=True)
    assert "Access revoked." in _messages(revoked)
    assert client_for(world.partner_liaison).get(f"{url}/").status_code == 404

    kinds = set(TimelineEntry.objects.filter(case=case).values_list("kind", flat=True))
    assert {"created", "status", "share", "milestone", "task", "lead"} <= kinds
    page = lead.get(f"{url}/").content.decode()
    assert "TLP changed from AMBER to AMBER+STRICT" in page


def _grow(world, new_case, n: int) -> None:
    """n AMBER cases shared with the partner, each with a milestone, a task for the partner and a
    share to a foreign force awaiting approval; and n RED cases."""
    for i in range(n):
        case = new_case(TLP.AMBER, title=f"Operation {i}")
        lead = access_for(world.liaison, case)
        case_share(access=lead, organisation=world.partner, level=AccessLevel.CONTRIBUTE, reason="joint")
        milestone_add(
            access=lead,
            kind="verdict",
            owner_organisation=world.lead,
            due_date=timezone.localdate() + timedelta(days=i + 1),
        )
        task_create(access=lead, title=f"Task {i}", assigned_organisation=world.partner)
        case_share(access=lead, organisation=world.foreign, level="view", reason="x", legal_basis="mla")
        new_case(TLP.RED, title=f"Red {i}")


@pytest.mark.parametrize(
    ("persona", "url"),
    [
        ("liaison", "/cases/milestones/"),
        ("partner_liaison", "/cases/tasks/"),
        ("liaison", "/cases/tasks/?direction=outgoing"),
        ("colleague", "/cases/approvals/"),
        ("lead_admin", "/cases/red/"),
    ],
)
def test_list_pages_keep_a_flat_query_count(world, new_case, persona, url):
    client = client_for(getattr(world, persona))
    _grow(world, new_case, 2)
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as small:
        first = client.get(url)
    assert first.status_code == 200
    _grow(world, new_case, 6)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert len(small.captured_queries) == len(large.captured_queries)
    assert len(_references(response)) > len(_references(first))  # the page did grow


def _references(response) -> set[str]:
    return set(re.findall(r"\b[A-Z]{2}-\d{4}-\d{6}\b", response.content.decode()))
