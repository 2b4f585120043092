"""The benchmark's own smoke test (issue 10): the tiny scale loads, the three list
implementations agree, and the query counts stay bounded. Timings are not asserted here; the
benchmark itself (python -m bench.run) measures them on a seeded database."""

import pytest
from django.db import connection, transaction
from django.db.models import Count

from bench.measure import (
    LISTS,
    bench_memberships,
    list_raw,
    lists_agree,
    raw_shape,
    timed,
    verified_client,
    view_request,
)
from bench.registration import measure_registration
from bench.seed import HOT_HOLDERS, SeedRefused, seed, seed_check_database
from cases.selectors import CaseFilters, case_list
from deconfliction.digests import digest_current
from deconfliction.models import Selector
from deconfliction.normalisers import normalise
from portal.utils.crypto import decrypt_str

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def tiny(django_db_setup, django_db_blocker):
    """One load for the whole module (it is most of the module's time), rolled back at the end;
    each test still runs in its own transaction inside it."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield seed(scale_name="tiny")
        transaction.set_rollback(True)


def test_tiny_scale_loads_the_portal_tables_and_refuses_a_second_load(tiny, db):
    assert tiny["counts"]["cases.Case"] == 3000
    assert tiny["counts"]["deconfliction.Selector"] == 12000
    with pytest.raises(SeedRefused, match="already holds cases"):
        seed_check_database(reset=False)


def test_seed_refuses_sqlite(monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")
    with pytest.raises(SeedRefused, match="needs PostgreSQL"):
        seed_check_database(reset=True)


def test_selector_digests_are_the_portals_own(tiny, db):
    for selector in Selector.objects.order_by("?")[:50]:
        normalised = normalise(selector.kind, decrypt_str(selector.raw_encrypted), region="NL")
        assert digest_current(selector.kind, normalised.value)[1] == selector.digest


def test_one_value_is_held_by_a_thousand_cases(tiny, db):
    busiest = Selector.objects.values("digest").order_by().annotate(n=Count("id"))
    assert max(row["n"] for row in busiest) == HOT_HOLDERS


def test_the_three_lists_agree_for_the_dense_and_the_sparse_user(tiny, db):
    users = bench_memberships()
    dense, sparse = lists_agree(users["dense"]), lists_agree(users["sparse"])
    assert dense["portal"].total == 1500 and len(dense["portal"].ids) == 50
    assert sparse["portal"].total == 50
    assert case_list(membership=users["dense"], filters=CaseFilters()).plan == "newest"
    assert case_list(membership=users["sparse"], filters=CaseFilters()).plan == "newest"
    # Every floor statement answers the same page (the older designs' shapes are kept to compare).
    for membership, result in ((users["dense"], dense), (users["sparse"], sparse)):
        for shape in ("newest", "dense", "sparse"):
            assert list_raw(membership, shape) == (result["portal"].ids, result["portal"].total), shape


def test_query_counts_are_bounded(tiny, db):
    for membership in bench_memberships().values():
        assert timed(view_request(verified_client(membership)), repeat=1, warmup=1)["queries"] <= 8
        assert timed(lambda m=membership: LISTS["portal"](m), repeat=1, warmup=0)["queries"] == 1
        shape = raw_shape(membership)
        assert timed(lambda m=membership, s=shape: list_raw(m, s), repeat=1, warmup=0)["queries"] == 1


def test_registration_measurements_run(tiny, db):
    result = measure_registration(bench_memberships()["dense"], repeat=2, batches=1, batch_size=200)
    assert result["single_hot"]["holders"] == HOT_HOLDERS
    assert result["single_hot"]["hits_per_registration"] > 1
    assert result["batch"]["registered"] == 200
    assert result["batch"]["with_hits"] == 2
