import itertools
import threading

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from audit.models import AuditEvent
from deconfliction.models import Hit, Selector, VolumeFlag
from deconfliction.selectors import hit_selectors, selector_raw_value
from deconfliction.services import SelectorItem, selector_register, selectors_register_batch
from tests.cases.conftest import access_for, client_for
from tests.threads import run_in_threads

pytestmark = pytest.mark.django_db


def register(user, case, value, kind="phone", **kw):
    return selector_register(access=access_for(user, case), kind=kind, value=value, reason="suspect's number", **kw)


def test_same_number_written_differently_raises_a_hit_for_both(desks, case_of, django_capture_on_commit_callbacks):
    nl_case, be_case = case_of(desks["user_nl"], "Operation Tulip"), case_of(desks["user_be"], "Operation Waffle")
    first = register(desks["user_nl"], nl_case, "+31 (0)6 1234 5678")
    assert first.status == "registered" and first.hits == []
    with django_capture_on_commit_callbacks(execute=True):
        second = register(desks["user_be"], be_case, "0031612345678")
    assert len(second.hits) == 1
    hit = second.hits[0]
    assert {hit.organisation_a, hit.organisation_b} == {desks["nl"], desks["be"]}
    assert set(hit_selectors(hit).values_list("pk", flat=True)) == {first.selector.pk, second.selector.pk}
    assert {m.to[0] for m in mail.outbox} >= {"inv@nl.example", "liaison@be.example"}
    assert "Operation" not in " ".join(m.body for m in mail.outbox)

    nl_page = client_for(desks["user_nl"]).get(f"/deconfliction/hits/{hit.uuid}/").content.decode()
    assert "Belgian police" in nl_page and "+32 2 000 2222" in nl_page and "desk@be.example" in nl_page
    assert "+31 (0)6 1234 5678" in nl_page  # our own raw value
    be_page = client_for(desks["user_be"]).get(f"/deconfliction/hits/{hit.uuid}/").content.decode()
    assert "Dutch police" in be_page and "+31 88 000 1111" in be_page


# The other side's objects that each route's <uuid> parameters address, in order. A route with
# a UUID parameter that is not declared here (or by the "cases:" default below) fails the test:
# a new page cannot slip past it.
OTHER_SIDE_OBJECTS = {
    "accounts:token_revoke": ("token",),
    "partners:member_action": ("membership",),
    "cases:share_decide": ("case", "share"),
    "cases:handover_decide": ("case", "handover"),
    "cases:milestone_update": ("case", "milestone"),
    "cases:task_status": ("case", "task"),
    "deconfliction:hit": ("hit",),
    "deconfliction:hit_action": ("hit",),
    "deconfliction:operation_cancel": ("operation",),
    "deconfliction:conflict_resolve": ("conflict",),
    "deconfliction:case_selectors": ("case",),
    "deconfliction:import_create": ("case",),
    "deconfliction:selector_action": ("case", "selector"),
    "deconfliction:import": ("import",),
    "deconfliction:import_progress": ("import",),
    "actionplan:measure": ("measure",),
    "actionplan:indicator": ("indicator",),
    "actionplan:review": ("update",),
}
# Pages the walk must really have rendered for the other side (not refused), or it proves little.
MUST_RENDER = {
    "portal:home",
    "cases:list",
    "cases:detail",
    "cases:export",
    "cases:tasks",
    "cases:milestones",
    "deconfliction:desk",
    "deconfliction:hit",
    "deconfliction:case_selectors",
    "deconfliction:import",
    "deconfliction:operations",
    "notifications:list",
    "calendar_feed",
    "partners:members",
}


def _other_side_world(desks, case_of):
    """After a hit between NL's case and BE's, everything of BE's own that a BE page can address."""
    from datetime import timedelta

    from django.utils import timezone

    from accounts.tokens import api_token_create
    from actionplan.models import ActionPlan, Indicator, Measure, ProgressUpdate
    from cases.services import case_handover_propose, case_share, milestone_set_apply, task_create
    from cases.services.milestones import calendar_feed_create
    from deconfliction.services import operation_plan, selector_import_create
    from tests.conftest import membership_of
    from tests.factories import OrganisationFactory

    nl_case = case_of(desks["user_nl"], "Operation Secret Tulip")
    register(desks["user_nl"], nl_case, "secret.person@example.org", kind="email", note="private nl note")
    be_user = desks["user_be"]
    be_case = case_of(be_user, "Operation Waffle")
    be_access = access_for(be_user, be_case)
    registration = register(be_user, be_case, "Secret.Person@EXAMPLE.org", kind="email")
    third = OrganisationFactory(name="Third force", short_code="third", kind="police")
    share = case_share(access=be_access, organisation=third, level="view", reason="x")
    now = timezone.now()
    window = {"country": "NL", "starts_at": now + timedelta(hours=1), "ends_at": now + timedelta(hours=3)}
    operation, _none = operation_plan(membership=membership_of(be_user), kind="search", title="Waffle search", **window)
    _nl_op, conflicts = operation_plan(
        membership=membership_of(desks["user_nl"]), kind="arrest", title="Tulip dawn raid", case=nl_case, **window
    )
    plan = ActionPlan.objects.create(
        title="Plan", period_start=now.date(), period_end=now.date() + timedelta(days=9), owner_organisation=desks["be"]
    )
    measure = Measure.objects.create(
        plan=plan, code="M1", title="m", owner_organisation=desks["be"], start=now.date(), deadline=now.date()
    )
    objects = {
        "case": be_case,
        "hit": registration.hits[0],
        "selector": registration.selector,
        "share": share,
        "handover": case_handover_propose(access=be_access, organisation=third, reason="x"),
        "milestone": milestone_set_apply(access=be_access)[0],
        "task": task_create(access=be_access, title="our task", assigned_organisation=desks["be"]),
        "import": selector_import_create(access=be_access, file_name="x.csv", data=b"ip,192.0.2.1\n", reason="x"),
        "operation": operation,
        "conflict": conflicts[0],
        "token": api_token_create(by=be_user, membership=membership_of(be_user), name="t", scopes=["read"], days=5)[0],
        "membership": membership_of(be_user),
        "measure": measure,
        "indicator": Indicator.objects.create(plan=plan, code="I", name="i", unit="u", source="manual"),
        "update": ProgressUpdate.objects.create(
            measure=measure, year=2026, quarter=1, status="on_track", percent_done=1, narrative="n"
        ),
    }
    secrets = (nl_case.reference, "Secret Tulip", "secret.person@example.org", "private nl note", "Tulip dawn raid")
    return objects, secrets, calendar_feed_create(membership=membership_of(be_user))


def test_blindness_no_page_of_the_other_side_shows_our_case(desks, case_of, make_member):
    """Every GET route of the portal, as the other side after a hit, with its parameters filled
    with the hit and that side's own objects: none shows our case's reference or title, our raw
    value, our note or our operation. (The API's responses have a blindness test of their own in
    tests/api; a session client is not an API client.)"""
    from partners.roles import Role
    from tests.urlwalk import SAMPLE_UUID, all_routes

    objects, secrets, feed_token = _other_side_world(desks, case_of)
    # The hit handler, and the organisation admin (who reaches the member pages).
    clients = [client_for(desks["user_be"]), client_for(make_member(desks["be"], role=Role.ORG_ADMIN))]
    rendered, walked = set(), 0
    for route, be in itertools.product(all_routes(), clients):
        if route.path.startswith("/api/"):
            continue
        path = route.path
        names = OTHER_SIDE_OBJECTS.get(route.view_name)
        if names is None and route.view_name.startswith("cases:") and path.count(SAMPLE_UUID) == 1:
            names = ("case",)
        assert (names is not None and len(names) == path.count(SAMPLE_UUID)) or SAMPLE_UUID not in path, (
            f"declare which of the other side's objects {route.view_name} addresses ({route.path})"
        )
        for name in names or ():
            path = path.replace(SAMPLE_UUID, str(objects[name].uuid), 1)
        if route.view_name == "calendar_feed":
            path = path.replace("sample", feed_token)
        for variant in (path, path + "?all=1") if route.view_name == "deconfliction:desk" else (path,):
            response = be.get(variant)
            shown = response.content.decode(errors="replace") + response.get("Location", "")
            for secret in secrets:
                assert secret not in shown, (variant, secret)
            walked += 1
        if response.status_code == 200:
            rendered.add(route.view_name)
    assert rendered >= MUST_RENDER, MUST_RENDER - rendered
    assert walked > 120
    be = clients[0]
    nl_case_uuid = Selector.objects.get(organisation=desks["nl"]).case.uuid
    assert be.get(f"/cases/{nl_case_uuid}/").status_code == 404
    assert be.get(f"/deconfliction/cases/{nl_case_uuid}/selectors/").status_code == 404


def test_two_cases_of_one_organisation_raise_a_hit_too(desks, case_of):
    register(desks["user_nl"], case_of(desks["user_nl"], "Team A"), "+31612345678")
    second = register(desks["user_nl2"], case_of(desks["user_nl2"], "Team B"), "06 12345678")
    hit = second.hits[0]
    assert hit.organisation_a == hit.organisation_b == desks["nl"]


def test_registering_again_on_the_same_case_adds_nothing(desks, case_of):
    case = case_of(desks["user_nl"])
    register(desks["user_nl"], case, "+31612345678")
    again = register(desks["user_nl"], case, "06-12345678")
    assert again.status == "already_registered"
    assert Selector.objects.filter(case=case).count() == 1


def test_widely_held_digest_gives_one_hit_per_organisation_pair(desks, case_of, django_capture_on_commit_callbacks):
    file_hash = "d41d8cd98f00b204e9800998ecf8427e"
    for i in range(3):
        register(desks["user_nl"], case_of(desks["user_nl"], f"NL {i}"), file_hash, kind="file_hash")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        first_be = register(desks["user_be"], case_of(desks["user_be"], "BE 0"), file_hash, kind="file_hash")
    nl_be = [h for h in first_be.hits if h.organisation_a_id != h.organisation_b_id]
    assert len(nl_be) == 1
    notices = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        second_be = register(desks["user_be"], case_of(desks["user_be"], "BE 1"), file_hash, kind="file_hash")
    assert (
        Hit.objects.filter(organisation_a__in=[desks["nl"], desks["be"]])
        .exclude(organisation_a=models_f("organisation_b"))
        .count()
        == 1
    )
    assert nl_be[0].pk in [h.pk for h in second_be.hits]
    # The second Belgian registration creates only the BE-BE hit (a new pair), no new NL-BE notice.
    assert all("nl.example" not in m.to[0] for m in mail.outbox[notices:])
    # NL: one NL-NL hit, BE: one BE-BE hit, one NL-BE hit.
    assert Hit.objects.count() == 3


def models_f(name):
    from django.db.models import F

    return F(name)


def _shared_with(owner, case, organisation, level="contribute"):
    from cases.services import case_share

    case_share(access=access_for(owner, case), organisation=organisation, level=level, reason="joint work")
    return case


def test_ngo_registers_urls_and_hashes_only(desks, case_of, make_member):
    from partners.roles import Role

    liaison = make_member(desks["nl"], role=Role.LIAISON)
    case = _shared_with(liaison, case_of(liaison, "Reported site"), desks["ngo"])
    results = selectors_register_batch(
        access=access_for(desks["user_ngo"], case),
        reason="reports",
        items=[
            SelectorItem(kind="url", value="https://example.com/x"),
            SelectorItem(kind="file_hash", value="d41d8cd98f00b204e9800998ecf8427e"),
            SelectorItem(kind="phone", value="+31612345678"),
            SelectorItem(kind="file_hash", value="nothex"),
            SelectorItem(kind="domain", value="example.com"),  # a whole site is not a reported item
        ],
    )
    assert [r.status for r in results] == ["registered", "registered", "invalid", "invalid", "invalid"]
    assert "may not register selectors of kind phone" in results[2].message
    assert "hexadecimal" in results[3].message
    assert "may not register selectors of kind domain" in results[4].message
    with pytest.raises(ValidationError):
        selectors_register_batch(access=access_for(desks["user_ngo"], case), reason=" ", items=[])


def test_ministry_does_not_register(desks, case_of, make_member):
    from partners.roles import Role

    liaison = make_member(desks["nl"], role=Role.LIAISON)
    worker = make_member(desks["ministry"], role=Role.INVESTIGATOR)  # the role may, the kind may not
    case = _shared_with(liaison, case_of(liaison, "Green case", tlp="GREEN"), desks["ministry"])
    with pytest.raises(PermissionDenied, match="do not register"):
        selectors_register_batch(
            access=access_for(worker, case), reason="x", items=[SelectorItem(kind="url", value="https://example.com/")]
        )
    assert not Selector.objects.exists()


def test_rate_limit_and_volume_flag(desks, case_of, settings, django_capture_on_commit_callbacks):
    from tests.factories import UserFactory

    UserFactory(is_platform_operator=True, email="operator@example.org")
    settings.SELECTOR_FLAG_USER_PER_HOUR = 3
    settings.SELECTOR_RATE_USER_PER_HOUR = 5
    case = case_of(desks["user_nl"])
    items = [SelectorItem(kind="ip", value=f"192.0.2.{i}") for i in range(4)]
    with django_capture_on_commit_callbacks(execute=True):
        selectors_register_batch(access=access_for(desks["user_nl"], case), items=items, reason="x")
    assert VolumeFlag.objects.get().count == 4
    assert any(m.to == ["operator@example.org"] for m in mail.outbox)
    with pytest.raises(ValidationError, match="limit"):
        selectors_register_batch(
            access=access_for(desks["user_nl"], case),
            reason="x",
            items=[SelectorItem(kind="ip", value=f"198.51.100.{i}") for i in range(2)],
        )
    assert Selector.objects.count() == 4


def test_the_rate_window_is_the_last_hour_and_refused_batches_count_nothing(desks, case_of, settings):
    from datetime import timedelta

    from django.db.models import Sum
    from django.utils import timezone

    from deconfliction.models import RegistrationCount
    from deconfliction.services import selectors_expire_due

    settings.SELECTOR_RATE_USER_PER_HOUR, settings.SELECTOR_FLAG_USER_PER_HOUR = 4, 100
    access = access_for(desks["user_nl"], case_of(desks["user_nl"]))
    user_id, now = access.membership.user_id, timezone.now()
    RegistrationCount.objects.create(scope="user", subject_id=user_id, minute=now - timedelta(minutes=59), count=1)
    RegistrationCount.objects.create(scope="user", subject_id=user_id, minute=now - timedelta(minutes=61), count=2)
    RegistrationCount.objects.create(scope="user", subject_id=user_id, minute=now - timedelta(hours=3), count=9)

    def batch(*hosts):
        items = [SelectorItem(kind="ip", value=f"192.0.2.{host}") for host in hosts]
        return selectors_register_batch(access=access, reason="x", items=items)

    batch(1, 2)  # 59 minutes ago counts (1 + 2 of 4); an hour ago and more no longer does
    batch(1, 2)  # already registered: nothing new, nothing counted
    with pytest.raises(ValidationError, match="limit"):
        batch(3, 4)
    batch(3)
    recent = RegistrationCount.objects.filter(scope="user", subject_id=user_id, minute__gt=now - timedelta(hours=1))
    assert recent.aggregate(n=Sum("count"))["n"] == 4
    assert (
        RegistrationCount.objects.filter(scope="organisation", subject_id=access.membership.organisation_id).get().count
        == 3
    )
    selectors_expire_due()  # the daily job prunes what the rate check no longer reads
    assert not RegistrationCount.objects.filter(minute__lt=now - timedelta(hours=2)).exists()
    assert RegistrationCount.objects.filter(scope="user").aggregate(n=Sum("count"))["n"] == 1 + 2 + 3


def test_registration_needs_contribute_access(desks, case_of):
    nl_case = case_of(desks["user_nl"])
    with pytest.raises(PermissionDenied):
        register(desks["user_be"], nl_case, "+31612345678")
    response = client_for(desks["user_be"]).post(
        f"/deconfliction/cases/{nl_case.uuid}/selectors/", {"kind": "phone", "value": "+31612345678", "reason": "x"}
    )
    assert response.status_code == 404
    assert not Selector.objects.exists()


def test_registration_is_audited_without_the_value(desks, case_of):
    case = case_of(desks["user_nl"])
    result = register(desks["user_nl"], case, "+31612345678")
    event = AuditEvent.objects.get(action="selector.register")
    assert event.details["registered"] == [str(result.selector.uuid)]
    assert "612345678" not in str(event.details)
    assert "612345678" not in result.selector.raw_encrypted


def test_register_page(desks, case_of):
    case = case_of(desks["user_nl"])
    client = client_for(desks["user_nl"])
    bad = client.post(f"/deconfliction/cases/{case.uuid}/selectors/", {"kind": "phone", "value": "12", "reason": "x"})
    assert bad.status_code == 400 and "not a valid number" in bad.content.decode()
    ok = client.post(
        f"/deconfliction/cases/{case.uuid}/selectors/",
        {"kind": "handle", "value": "@Someone", "qualifier": "telegram", "reason": "x"},
    )
    assert ok.status_code == 302
    assert "@Someone" in client.get(f"/deconfliction/cases/{case.uuid}/selectors/").content.decode()


def test_outsider_gets_404_on_a_hit(desks, case_of):
    register(desks["user_nl"], case_of(desks["user_nl"]), "+31612345678")
    hit = register(desks["user_be"], case_of(desks["user_be"]), "+31612345678").hits[0]
    outsider = client_for(desks["user_outsider"])
    assert outsider.get(f"/deconfliction/hits/{hit.uuid}/").status_code == 404
    assert outsider.post(f"/deconfliction/hits/{hit.uuid}/acknowledge/").status_code == 404
    assert AuditEvent.objects.filter(action="hit.view", result="denied").exists()
    assert Client().get(f"/deconfliction/hits/{hit.uuid}/").status_code == 302


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_registrations_both_see_the_hit(desks, case_of):
    nl_case, be_case = case_of(desks["user_nl"]), case_of(desks["user_be"])
    nl_access, be_access = access_for(desks["user_nl"], nl_case), access_for(desks["user_be"], be_case)
    for round_number in range(5):
        value = f"+3161234{round_number:04d}"
        barrier, results = threading.Barrier(2), {}

        def run(name, access, value=value, barrier=barrier, results=results):
            barrier.wait()
            results[name] = selector_register(access=access, kind="phone", value=value, reason="race")

        assert run_in_threads(run, [("nl", nl_access), ("be", be_access)]) == []
        held = Selector.objects.filter(case__in=[nl_case, be_case]).values("digest")
        hits = Hit.objects.filter(digest__in=held)
        assert hits.filter(organisation_a_id__lt=models_f("organisation_b_id")).count() == round_number + 1
        # Whoever came second got the hit in its result; both sides see it on their desk.
        assert sum(len(r.hits) for r in results.values()) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_overlapping_batches_in_opposite_orders_both_complete_and_raise_every_hit(desks, case_of, monkeypatch):
    """Two batches of 3,000 sharing 1,500 values, one registered in the other's reverse order,
    both reaching their locks at the same moment (a barrier just before ``lock_digests``). The
    buckets are locked in sorted order, so neither waits for the other in a cycle. Taken in
    item order they deadlock whenever the two interleave (PostgreSQL then aborts one of them;
    seen in about half of the runs of that mutant: the other half one batch had all its locks
    before the other took its first)."""
    from deconfliction.services import registration

    size, overlap = 3000, 1500
    values = [f"10.{i // 65536}.{(i // 256) % 256}.{i % 256}" for i in range(2 * size - overlap)]
    nl_items = [SelectorItem(kind="ip", value=value) for value in values[:size]]
    be_items = [SelectorItem(kind="ip", value=value) for value in reversed(values[size - overlap :])]
    nl_access = access_for(desks["user_nl"], case_of(desks["user_nl"]))
    be_access = access_for(desks["user_be"], case_of(desks["user_be"]))
    together, lock_digests = threading.Barrier(2, timeout=30), registration.lock_digests

    def lock_at_the_same_moment(digests):
        together.wait()
        lock_digests(digests)

    monkeypatch.setattr(registration, "lock_digests", lock_at_the_same_moment)
    results = {}

    def run(name, access, items):
        results[name] = selectors_register_batch(access=access, items=items, reason="bulk")

    assert run_in_threads(run, [("nl", nl_access, nl_items), ("be", be_access, be_items)]) == []
    assert [sum(r.status == "registered" for r in results[name]) for name in ("nl", "be")] == [size, size]
    between = Hit.objects.exclude(organisation_a=models_f("organisation_b"))
    assert between.count() == overlap
    # Each hit's two selectors are found by its digest; nothing is linked (one key version).
    assert Selector.objects.filter(digest__in=between.values("digest")).count() == 2 * overlap
    assert sorted(len(hit_selectors(hit)) for hit in between[:10]) == [2] * 10
    assert not Hit.selectors.through.objects.exists()
    # Whoever took the locks second found every shared value of the first.
    assert sorted(sum(bool(r.hits) for r in results[name]) for name in ("nl", "be")) == [0, overlap]


def test_a_large_batch_stores_every_field_and_returns_its_keys(desks, case_of):
    # 150 new selectors: on PostgreSQL they are written with COPY (portal.utils.bulk).
    access = access_for(desks["user_nl"], case_of(desks["user_nl"]))
    items = [SelectorItem(kind="email", value=f"Person.{i}@Example.org") for i in range(150)]
    results = selectors_register_batch(access=access, reason="bulk", items=items)
    selectors = [r.selector for r in results]
    assert {r.status for r in results} == {"registered"} and len({s.pk for s in selectors}) == 150
    stored = {s.pk: s for s in Selector.objects.filter(reason="bulk")}
    assert set(stored) == {s.pk for s in selectors}
    fields = ["uuid", "case_id", "organisation_id", "kind", "digest", "key_version", "normaliser_version"]
    fields += ["raw_encrypted", "reason", "registered_by_id", "registered_at", "expires_at", "active"]
    for selector in selectors:
        assert [getattr(stored[selector.pk], f) for f in fields] == [getattr(selector, f) for f in fields]
    who = {(s.case_id, s.organisation_id, s.registered_by_id, s.kind) for s in stored.values()}
    assert who == {(access.case.pk, access.membership.organisation_id, access.membership.user_id, "email")}
    assert selector_raw_value(selector=stored[selectors[7].pk], membership=access.membership) == "Person.7@Example.org"
