import re
import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.constants import TLP, AccessLevel
from cases.models import Case
from cases.references import case_reference_next
from cases.selectors import SPARSE_LIMIT, CaseFilters, case_list, cases_visible_to
from cases.services import case_share
from tests.cases.conftest import access_for, client_for
from tests.threads import run_in_threads

pytestmark = pytest.mark.django_db


def test_reference_format_and_sequence(world, new_case):
    first, second = new_case(), new_case()
    assert re.fullmatch(r"NL-\d{4}-\d{6}", first.reference)
    assert int(second.reference[-6:]) == int(first.reference[-6:]) + 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_references_are_unique_under_concurrency():
    references: list[str] = []
    barrier = threading.Barrier(8)

    def worker():
        barrier.wait()
        for _ in range(10):
            references.append(case_reference_next(country="NL"))

    assert run_in_threads(worker, [()] * 8) == []
    assert len(references) == 80 and len(set(references)) == 80
    assert sorted(int(r[-6:]) for r in references) == list(range(1, 81))


def _many_cases(world, new_case, n):
    cases = [new_case(TLP.GREEN, title=f"Operation {i}") for i in range(n)]
    for case in cases[: n // 2]:
        case_share(
            access=access_for(world.liaison, case), organisation=world.partner, level=AccessLevel.VIEW, reason="x"
        )
    return cases


def test_list_query_count_does_not_grow_with_page_size(world, new_case):
    _many_cases(world, new_case, 30)
    membership = world.partner_liaison.memberships.select_related("organisation").get()
    counts = []
    for per_page in (5, 15):
        with CaptureQueriesContext(connection) as ctx:
            page = case_list(membership=membership, filters=CaseFilters(), per_page=per_page)
            [c.lead_organisation.name for c in page.cases]
        counts.append(len(ctx.captured_queries))
        assert len(page.cases) == per_page and page.total == 15
    assert counts[0] == counts[1] == 1  # page, total and plan in one statement (issue 10)


def test_list_page_query_count_is_flat(world, new_case, django_assert_max_num_queries):
    _many_cases(world, new_case, 12)
    client = client_for(world.liaison)
    client.get("/cases/")  # warm the session
    with CaptureQueriesContext(connection) as small:
        client.get("/cases/?status=intake")
    _many_cases(world, new_case, 12)
    with CaptureQueriesContext(connection) as large:
        client.get("/cases/?status=intake")
    assert len(small.captured_queries) == len(large.captured_queries)


def test_the_three_plans_give_the_same_pages(world, new_case, monkeypatch):
    """No filter: the grants' own index ("newest"). A filter that keeps every case: the walk
    over the cases, sparse or dense by how many the member sees. Same pages, same totals."""
    cases = _many_cases(world, new_case, 10)
    membership = world.liaison.memberships.select_related("organisation").get()
    every = CaseFilters(text="Operation")  # every title: a filter that changes nothing
    for page in (1, 2, 3):
        newest = case_list(membership=membership, filters=CaseFilters(), per_page=4, page=page)
        sparse = case_list(membership=membership, filters=every, per_page=4, page=page)
        with monkeypatch.context() as patched:
            patched.setattr("cases.selectors.SPARSE_LIMIT", 3)
            dense = case_list(membership=membership, filters=every, per_page=4, page=page)
        assert (newest.plan, sparse.plan, dense.plan) == ("newest", "sparse", "dense")
        assert [c.pk for c in newest.cases] == [c.pk for c in sparse.cases] == [c.pk for c in dense.cases]
        assert newest.total == sparse.total == dense.total == len(cases)
    assert SPARSE_LIMIT >= 100


def test_the_newest_plan_lists_a_case_granted_twice_once_and_skips_expired_grants(world, new_case):
    """A case granted to the organisation and by name to one of its members is one row and
    counts once; an expired grant is neither listed nor counted."""
    from datetime import timedelta

    from django.utils import timezone

    from cases.models import CaseGroupObjectPermission

    cases = [new_case(TLP.GREEN, title=f"Operation {i}") for i in range(6)]
    partner = world.partner_liaison.memberships.select_related("organisation").get()
    for case in cases[:4]:
        case_share(
            access=access_for(world.liaison, case), organisation=world.partner, level=AccessLevel.VIEW, reason="x"
        )
    for case in cases[2:]:  # two of these overlap the organisation's grants
        case_share(access=access_for(world.liaison, case), membership=partner, level=AccessLevel.VIEW, reason="x")
    page = case_list(membership=partner, filters=CaseFilters(), per_page=4)
    assert page.plan == "newest" and page.total == 6
    assert [c.pk for c in page.cases] == [c.pk for c in reversed(cases)][:4]
    second = case_list(membership=partner, filters=CaseFilters(), per_page=4, page=2)
    assert [c.pk for c in second.cases] == [cases[1].pk, cases[0].pk]

    past = timezone.now() - timedelta(minutes=1)
    CaseGroupObjectPermission.objects.filter(content_object=cases[0], group=world.partner.group).update(expires_at=past)
    page = case_list(membership=partner, filters=CaseFilters(), per_page=10)
    assert page.total == 5 and cases[0].pk not in [c.pk for c in page.cases]
    assert [c.pk for c in page.cases] == [c.pk for c in reversed(cases[1:])]
    # The list's rows carry what the list shows, as the case has it.
    row, case = page.cases[0], cases[-1]
    assert (row.uuid, row.reference, row.title, row.status, row.tlp, row.opened_at) == (
        case.uuid,
        case.reference,
        case.title,
        case.status,
        case.tlp,
        case.opened_at,
    )
    assert (row.lead_organisation.pk, row.lead_organisation.short_code) == (world.lead.pk, "lead")


def test_every_grant_carries_its_cases_opened_at(world, new_case):
    """The grants are the list's access table: whatever wrote them, their opened_at is the
    case's (a case's opened_at never changes once opened)."""
    from django.db.models import F

    from cases.models import CaseGroupObjectPermission, CaseUserObjectPermission

    _many_cases(world, new_case, 6)
    partner = world.partner_liaison.memberships.select_related("organisation").get()
    case_share(access=access_for(world.liaison, new_case(TLP.GREEN)), membership=partner, level="view", reason="x")
    for model in (CaseGroupObjectPermission, CaseUserObjectPermission):
        assert model.objects.exists()
        assert not model.objects.exclude(opened_at=F("content_object__opened_at")).exists()


def test_filters(world, new_case):
    case = new_case(TLP.GREEN, title="Operation Kingfisher")
    other = new_case(TLP.AMBER, title="Operation Heron")
    Case.objects.filter(pk=other.pk).update(countries="BE", status="active")
    membership = world.liaison.memberships.select_related("organisation").get()

    def refs(**kw):
        return [c.reference for c in case_list(membership=membership, filters=CaseFilters(**kw)).cases]

    assert refs(text="kingfish") == [case.reference]
    assert refs(text=other.reference) == [other.reference]
    assert refs(tlp="AMBER") == [other.reference]
    assert refs(country="PH") == [case.reference]
    assert refs(status="active") == [other.reference]
    assert refs(lead=str(world.lead.uuid)) == [other.reference, case.reference]
    assert refs(lead=str(world.partner.uuid)) == []


def test_invalid_filter_values_get_a_message_and_no_results_change(world, new_case):
    new_case(TLP.GREEN)
    html = client_for(world.liaison).get("/cases/?country=Netherlands&tlp=PURPLE").content.decode()
    assert "two-letter country code" in html
    assert "Select a valid choice" in html


def test_list_rows_escape_every_value_and_link_to_the_case(world, new_case):
    case = new_case(TLP.AMBER_STRICT)
    Case.objects.filter(pk=case.pk).update(title='<b onclick="x()">Op & co</b>')
    html = client_for(world.liaison).get("/cases/").content.decode()
    assert "&lt;b onclick=&quot;x()&quot;&gt;Op &amp; co&lt;/b&gt;" in html
    assert "<b onclick" not in html
    assert html.count(f'href="/cases/{case.uuid}/"') == 2  # reference and title
    assert '<span class="tlp tlp-amberstrict">TLP:AMBER+STRICT</span>' in html
    assert f"<td>{world.lead.short_code}</td>" in html


def test_dense_and_sparse_plans_agree_with_filters_and_restrictions(world, new_case, monkeypatch):
    cases = _many_cases(world, new_case, 12)
    Case.objects.filter(pk__in=[c.pk for c in cases[:3]]).update(status="active", countries="BE")
    Case.objects.filter(pk=cases[1].pk).update(title="Operation Kingfisher")
    membership = world.liaison.memberships.select_related("organisation").get()
    queries = [{"status": "active"}, {"country": "be"}, {"text": "kingF"}, {"tlp": "GREEN", "status": "intake"}]

    def pages():
        return [
            [(p.total, [c.pk for c in p.cases]) for p in [case_list(membership=membership, filters=CaseFilters(**q))]]
            for q in queries
        ]

    sparse = pages()
    monkeypatch.setattr("cases.selectors.SPARSE_LIMIT", 3)
    assert pages() == sparse
    assert [page[0][0] for page in sparse] == [3, 3, 1, 9]
    # The partner sees 6 of the 12 cases: both plans list exactly those, none of the others.
    partner = world.partner_liaison.memberships.select_related("organisation").get()
    shared = sorted(c.pk for c in cases[:6])
    for limit, plan, text in ((1000, "sparse", "Operation"), (3, "dense", "Operation"), (3, "newest", "")):
        monkeypatch.setattr("cases.selectors.SPARSE_LIMIT", limit)
        page = case_list(membership=partner, filters=CaseFilters(text=text))
        assert (page.plan, page.total, sorted(c.pk for c in page.cases)) == (plan, 6, shared)


def test_a_page_past_the_end_shows_the_last_page(world, new_case):
    cases = _many_cases(world, new_case, 7)
    membership = world.liaison.memberships.select_related("organisation").get()
    page = case_list(membership=membership, filters=CaseFilters(), per_page=3, page=40)
    assert (page.page, page.total, [c.pk for c in page.cases]) == (3, 7, [cases[0].pk])
    empty = case_list(membership=membership, filters=CaseFilters(text="no such case"), per_page=3, page=2)
    assert (empty.page, empty.total, empty.cases) == (1, 0, [])


def test_ngo_members_never_list_restricted_cases_even_with_a_grant(world, new_case, monkeypatch):
    from django.contrib.auth.models import Permission

    from cases.models import CaseGroupObjectPermission

    view = Permission.objects.get(content_type__app_label="cases", codename="view_case")
    visible = new_case(TLP.GREEN)
    strict = new_case(TLP.AMBER_STRICT)
    new_case(TLP.GREEN)  # not granted to the NGO at all
    ngo = world.ngo_worker.memberships.select_related("organisation").get()
    # A grant that sharing would refuse, written directly: the list must still hide the case.
    for case in (visible, strict):
        CaseGroupObjectPermission.objects.create(
            group=ngo.organisation.group, permission=view, content_object=case, opened_at=case.opened_at
        )
    for limit in (1000, 0):
        monkeypatch.setattr("cases.selectors.SPARSE_LIMIT", limit)
        page = case_list(membership=ngo, filters=CaseFilters())
        assert ([c.pk for c in page.cases], page.total) == ([visible.pk], 1)


def test_the_list_statement_filters_as_the_export_does(world, new_case):
    # The list's SQL (cases.listing) and the ORM filters the CSV export uses
    # (CaseFilters.apply) implement the same filters twice: they must keep agreeing.
    cases = _many_cases(world, new_case, 6)
    Case.objects.filter(pk__in=[c.pk for c in cases[:2]]).update(status="active", countries="BE PH")
    Case.objects.filter(pk=cases[3].pk).update(title="Operation 50%_off", tlp=TLP.AMBER)
    Case.objects.filter(pk=cases[4].pk).update(title="Operation 500")  # % and _ are not wildcards
    membership = world.liaison.memberships.select_related("organisation").get()
    queries = [
        {},
        {"status": "active"},
        {"country": "be"},
        {"tlp": "AMBER"},
        {"text": "50%_"},
        {"text": "operation 1"},
        {"lead": str(world.lead.uuid)},
        {"lead": str(world.partner.uuid)},
        {"status": "intake", "crime_type": cases[0].crime_type},
    ]
    for query in queries:
        filters = CaseFilters(**query)
        listed = case_list(membership=membership, filters=filters)
        exported = filters.apply(cases_visible_to(membership=membership)).order_by("-opened_at", "-id")
        assert [c.pk for c in listed.cases] == list(exported.values_list("pk", flat=True)), query
        assert listed.total == exported.count(), query
    assert case_list(membership=membership, filters=CaseFilters(text="50%_")).total == 1


def test_the_chosen_filters_stay_selected_on_the_page(world, new_case):
    new_case(TLP.GREEN)
    html = client_for(world.liaison).get(f"/cases/?status=active&tlp=GREEN&lead={world.lead.uuid}").content.decode()
    assert '<option value="active" selected>' in html
    assert '<option value="GREEN" selected>' in html
    assert f'<option value="{world.lead.uuid}" selected>' in html
    assert '<option value="intake" selected>' not in html
