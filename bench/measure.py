"""What the benchmark measures, as functions the runner and the smoke test share.

Three ways to compute the same case list (first page of 50, newest first, with the total):
the portal's ``case_list`` (guardian direct foreign-key tables, design B5 with the sparse-user
switch), stock django-guardian's ``get_objects_for_user`` over its generic tables, and one
hand-written SQL statement through psycopg (the floor). Each returns ``(ids, total)`` so the
runner can check they agree before it times them.
"""

import statistics
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_otp import DEVICE_ID_SESSION_KEY
from guardian.shortcuts import get_objects_for_user

from accounts.middleware import SESSION_AUTH_AT, SESSION_SEEN_AT
from accounts.models import TOTPDevice
from accounts.otp import totp_device_create
from bench.seed import DENSE_EMAIL, SPARSE_EMAIL
from cases.models import Case, CaseGroupObjectPermission, CaseUserObjectPermission
from cases.selectors import CaseFilters, case_list
from partners.models import RESTRICTED_KINDS, Membership

PER_PAGE = 50


def bench_memberships() -> dict[str, Membership]:
    """The dense and the sparse user's (only) membership, as the middleware would load it."""
    return {
        name: Membership.objects.select_related("organisation", "user").get(user__email=email, active=True)
        for name, email in (("dense", DENSE_EMAIL), ("sparse", SPARSE_EMAIL))
    }


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile: with 30 runs, p95 is the second slowest."""
    ordered = sorted(values)
    return ordered[max(0, -(-len(ordered) * q // 100) - 1)]


def summarise(values_ms: list[float]) -> dict:
    return {
        "median_ms": round(statistics.median(values_ms), 2),
        "p95_ms": round(percentile(values_ms, 95), 2),
        "runs": len(values_ms),
    }


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


def timed(function: Callable[[], object], *, repeat: int, warmup: int = 2) -> dict:
    """Median and p95 of ``function`` over ``repeat`` runs after ``warmup`` unmeasured ones,
    with the SQL statements of the last run: ``queries`` counts those that read or write,
    ``statements`` adds transaction control (BEGIN, COMMIT, savepoints)."""
    for _ in range(warmup):
        function()
    timings, cpu = [], []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started, started_cpu = time.perf_counter(), time.process_time()
            function()
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
    statements = [query["sql"] for query in captured.captured_queries]
    queries = [sql for sql in statements if not sql.upper().startswith(TRANSACTION_CONTROL)]
    # CPU time of this process alone (Django, templates, psycopg; not PostgreSQL's): on a busy
    # machine it tells the work the portal does from the time it waited for a core.
    return summarise(timings) | {
        "cpu_median_ms": round(statistics.median(cpu), 2),
        "queries": len(queries),
        "statements": len(statements),
    }


# --- the three list implementations ----------------------------------------------------------------


def list_portal(membership: Membership) -> tuple[list[int], int]:
    page = case_list(membership=membership, filters=CaseFilters(), per_page=PER_PAGE)
    return [case.pk for case in page.cases], page.total


@contextmanager
def generic_guardian_tables():
    """Make guardian ignore the portal's direct foreign-key tables for Case, as if the project
    had never declared them: guardian skips a direct model whose ``enabled`` is False."""
    for model in (CaseUserObjectPermission, CaseGroupObjectPermission):
        model.enabled = False
    try:
        yield
    finally:
        for model in (CaseUserObjectPermission, CaseGroupObjectPermission):
            del model.enabled


def list_stock(membership: Membership) -> tuple[list[int], int]:
    """How most projects build the list: get_objects_for_user over guardian's generic tables."""
    with generic_guardian_tables():
        visible = get_objects_for_user(membership.user, "cases.view_case", klass=Case)
        total = visible.count()
        rows = list(visible.select_related("lead_organisation").order_by("-opened_at", "-id")[:PER_PAGE])
    return [case.pk for case in rows], total


# The floor: the list as one hand-written statement, the shape that suits the user chosen
# outside the timing, as a lower bound should be. On today's schema that is "newest" for both
# users (the grants carry their case's opened_at, so the first page is the start of two index
# ranges: design D of ../shared/PERFORMANCE.md); "dense" and "sparse" are the floors of the
# grant tables without it (walking the cases' opened_at index finds 50 of 10,000 visible cases
# at once but must pass every case to find 50 of 1,000,000), kept to compare designs.
_GRANTS = """
    SELECT g.content_object_id AS id FROM cases_casegroupobjectpermission g
    WHERE g.group_id = %(group)s AND g.permission_id = (SELECT id FROM perm)
      AND (g.expires_at IS NULL OR g.expires_at > now())
"""
_NAMED = """
    SELECT u.content_object_id FROM cases_caseuserobjectpermission u
    WHERE u.user_id = %(user)s AND u.membership_id = %(membership)s AND u.permission_id = (SELECT id FROM perm)
      AND (u.expires_at IS NULL OR u.expires_at > now())
"""
_PERM = """
WITH perm AS (
    SELECT p.id FROM auth_permission p JOIN django_content_type ct ON ct.id = p.content_type_id
    WHERE ct.app_label = 'cases' AND p.codename = 'view_case'
)"""
_COLUMNS = "c.id, c.uuid, c.reference, c.title, c.status, c.tlp, c.crime_type, c.opened_at, o.name"
_RESTRICT = "NOT (%(restricted)s AND c.tlp IN ('AMBER+STRICT', 'RED'))"
_NEWEST = """
    SELECT * FROM (
        SELECT g.content_object_id AS id, g.opened_at FROM cases_casegroupobjectpermission g
        WHERE g.group_id = %(group)s AND g.permission_id = (SELECT id FROM perm)
          AND (g.expires_at IS NULL OR g.expires_at > now())
        ORDER BY g.opened_at DESC, g.content_object_id DESC LIMIT %(limit)s
    ) g
    UNION
    SELECT * FROM (
        SELECT u.content_object_id, u.opened_at FROM cases_caseuserobjectpermission u
        WHERE u.user_id = %(user)s AND u.membership_id = %(membership)s AND u.permission_id = (SELECT id FROM perm)
          AND (u.expires_at IS NULL OR u.expires_at > now())
        ORDER BY u.opened_at DESC, u.content_object_id DESC LIMIT %(limit)s
    ) u
"""
_COUNT = f"""(SELECT count(*) FROM ({_GRANTS}) g) + (SELECT count(*) FROM ({_NAMED}
      AND NOT EXISTS (SELECT 1 FROM cases_casegroupobjectpermission d
        WHERE d.group_id = %(group)s AND d.permission_id = (SELECT id FROM perm)
          AND d.content_object_id = u.content_object_id AND (d.expires_at IS NULL OR d.expires_at > now()))
) n)"""
RAW_LIST_SQL = {
    # Newest (members without a TLP restriction): each grant table's newest page, merged,
    # the cases of the page by key; the total from the two index-only counts.
    "newest": f"""{_PERM}
SELECT {_COLUMNS}, {_COUNT} AS total
FROM (SELECT id, opened_at FROM ({_NEWEST}) merged ORDER BY opened_at DESC, id DESC LIMIT %(limit)s) page
JOIN cases_case c ON c.id = page.id JOIN partners_organisation o ON o.id = c.lead_organisation_id
ORDER BY c.opened_at DESC, c.id DESC""",
    # Dense: walk cases newest first, keep those in the (hashed) grant sets; count the grants
    # (the named grants only where the organisation does not hold the case: no union to hash).
    "dense": f"""{_PERM}
SELECT {_COLUMNS}, {_COUNT} AS total
FROM cases_case c JOIN partners_organisation o ON o.id = c.lead_organisation_id
WHERE (c.id IN ({_GRANTS}) OR c.id IN ({_NAMED})) AND {_RESTRICT}
ORDER BY c.opened_at DESC, c.id DESC LIMIT %(limit)s""",
    # Sparse: fetch the few visible cases by key, then sort them.
    "sparse": f"""{_PERM}, visible AS MATERIALIZED ({_GRANTS} UNION {_NAMED}),
allowed AS MATERIALIZED (
    SELECT c.id, c.opened_at FROM visible v JOIN cases_case c ON c.id = v.id WHERE {_RESTRICT}
)
SELECT {_COLUMNS}, (SELECT count(*) FROM allowed) AS total
FROM (SELECT id FROM allowed ORDER BY opened_at DESC, id DESC LIMIT %(limit)s) page
JOIN cases_case c ON c.id = page.id JOIN partners_organisation o ON o.id = c.lead_organisation_id
ORDER BY c.opened_at DESC, c.id DESC""",
}


def raw_shape(membership: Membership) -> str:
    """Which floor statement suits the user: the portal's own sparse limit decides."""
    return case_list(membership=membership, filters=CaseFilters(), per_page=1).plan


def list_raw(membership: Membership, shape: str | None = None) -> tuple[list[int], int]:
    params = {
        "group": membership.organisation.group_id,
        "user": membership.user_id,
        "membership": membership.pk,
        "restricted": membership.organisation.kind in RESTRICTED_KINDS,
        "limit": PER_PAGE,
    }
    with connection.cursor() as cursor:
        cursor.execute(RAW_LIST_SQL[shape or raw_shape(membership)], params)
        rows = cursor.fetchall()
    return [row[0] for row in rows], (rows[0][-1] if rows else 0)


LISTS = {"portal": list_portal, "stock_guardian": list_stock, "raw_sql": list_raw}


# --- the real view ---------------------------------------------------------------------------------


def verified_client(membership: Membership) -> Client:
    """A browser session that passed both steps (as tests.conftest.login_verified does),
    with a confirmed authenticator device created for the bench user if it has none."""
    user = membership.user
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = totp_device_create(user=user)
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    client = Client()
    client.force_login(user, backend="accounts.backends.PortalModelBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[SESSION_AUTH_AT] = session[SESSION_SEEN_AT] = time.time()
    session.save()
    return client


def view_request(client: Client) -> Callable[[], None]:
    def get() -> None:
        response = client.get("/cases/")
        if response.status_code != 200:
            raise AssertionError(f"/cases/ answered {response.status_code}")

    return get


@dataclass
class ListResult:
    ids: list[int]
    total: int


def lists_agree(membership: Membership) -> dict[str, ListResult]:
    """Each implementation's page and total; raises if they differ."""
    results = {name: ListResult(*function(membership)) for name, function in LISTS.items()}
    first = results["portal"]
    for name, result in results.items():
        if (result.ids, result.total) != (first.ids, first.total):
            raise AssertionError(f"{name} disagrees with the portal: {result.total} vs {first.total} cases")
    return results
