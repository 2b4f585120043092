"""The demo's cases: what a new user clicking through `make run` finds."""

import pytest
from django.core.management import call_command
from django.db.models import F

from cases.models import Case, CaseShare, Milestone, Task, TimelineEntry
from portal import demo_cases

pytestmark = pytest.mark.django_db


def test_demo_cases_are_a_working_world():
    call_command("seed_demo", quiet=True)
    assert set(Case.objects.values_list("title", flat=True)) >= {title for title, *_ in demo_cases.CASES}
    assert set(Case.objects.values_list("tlp", flat=True)) == {"GREEN", "AMBER", "AMBER+STRICT", "RED"}
    shares = CaseShare.objects.filter(is_lead=False)
    assert shares.filter(status="pending").exists()  # a cross-border share waiting for its second approver
    assert shares.filter(status="active", approved_by__isnull=False).exists()  # and one approved
    assert shares.filter(membership__isnull=False).exists()  # a named share on the RED case
    assert Milestone.objects.filter(done_date__isnull=False).exists()
    assert Milestone.objects.values("case").distinct().count() >= 3
    tasks = Task.objects.all()
    assert tasks.count() >= 7
    assert {"open", "accepted", "in_progress", "blocked", "done", "declined"} <= set(
        tasks.values_list("status", flat=True)
    )
    assert tasks.values("assigned_organisation").distinct().count() >= 4
    assert tasks.exclude(requesting_organisation=F("assigned_organisation")).exists()  # across organisations
    notes = TimelineEntry.objects.filter(kind="note")
    assert notes.count() >= 5 and notes.values("organisation").distinct().count() >= 3
    assert Case.objects.filter(status="closed").exists()
