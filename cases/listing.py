"""The case list as one SQL statement: the page, the total and the plan in a single round trip.

Without a filter (the list as it opens, and every page of it) the grant rows are the access
table: each carries its case's ``opened_at``, indexed newest first per organisation and per
named member, so the page is the first ``offset + limit`` entries of two index ranges merged,
and the total their index-only counts. That costs the same for a member who sees 50 cases and
for one who sees 10,000, at any size of the case table (design D of ../shared/PERFORMANCE.md;
issue 10's benchmark). With a filter or a TLP restriction the cases' own columns decide, and
the statement below it chooses between two plans.

Issue 10's benchmark drove this shape. The list is the portal's busiest read, and the ORM
version (a probe for the visible ids and their total, then the page) spent more time in Python
building and compiling two querysets than PostgreSQL spent answering them: 8 ms of process CPU
against 2 ms of database time for a user who sees 50 cases. Written once here, the statement
costs what the hand-written floor costs, at every scale, and it is plain SQL that SQLite runs
too (the embedded default for ``make run`` and a fresh machine).

How it works (the designs are measured in ../shared/PERFORMANCE.md):

- ``counts`` says how many cases the member may see: the organisation's grants plus the named
  grants that the organisation does not already hold, each an index-only count over the
  covering grant indexes. Counting the two id lists separately avoids hashing 10,000 ids to
  de-duplicate a union (4.7 ms of a 7.7 ms statement for the dense user).
- Two branches build the page; a condition on ``counts`` alone switches one of them off before
  it runs (PostgreSQL turns it into a one-time filter). *Dense* (more than ``sparse_limit``
  visible cases) walks the ``case_opened_desc`` index newest first and keeps the cases in the
  hashed grant sets, so the first page stops after a few hundred index entries. *Sparse* looks
  the few visible cases up by key and sorts them, because walking the index would pass every
  case in the table to find 50.
- With a filter or a TLP restriction the total is counted over the visible cases that match
  (a semi-join from the grant ids), otherwise it is the grant count.
"""

# The statement is assembled from the fixed fragments below and model column names; every value
# (ids, times, filter text) is a query parameter.
# ruff: noqa: S608

from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from cases.constants import TLP

RESTRICTED_TLP = (TLP.AMBER_STRICT, TLP.RED)

# The permission's id, looked up once per statement (a one-row CTE), not cached in Python, so
# it stays right when tests re-create the permission table; inlining the lookup at each use
# made PostgreSQL plan it seven times (planning cost more than running the statement).
_PERMISSION_CTE = """permission AS (
    SELECT p.id FROM auth_permission p JOIN django_content_type ct ON ct.id = p.content_type_id
    WHERE ct.app_label = 'cases' AND p.codename = 'view_case'
)"""
_PERMISSION = "(SELECT id FROM permission)"
# The organisation's and the member's own grants. The permission is looked up in the statement
# (PostgreSQL evaluates it once), not cached, so it stays right when tests re-create the table.
_GROUP_GRANTS = f"""
    SELECT g.content_object_id FROM cases_casegroupobjectpermission g
    WHERE g.group_id = %s AND g.permission_id = {_PERMISSION}
      AND (g.expires_at IS NULL OR g.expires_at > %s)"""
_NAMED_GRANTS = f"""
    SELECT u.content_object_id FROM cases_caseuserobjectpermission u
    WHERE u.user_id = %s AND u.membership_id = %s AND u.permission_id = {_PERMISSION}
      AND (u.expires_at IS NULL OR u.expires_at > %s)"""
# Named grants for cases the organisation does not already hold (counted once, not twice).
_NAMED_ONLY = f"""{_NAMED_GRANTS}
      AND NOT EXISTS (
        SELECT 1 FROM cases_casegroupobjectpermission d
        WHERE d.group_id = %s AND d.permission_id = {_PERMISSION}
          AND d.content_object_id = u.content_object_id AND (d.expires_at IS NULL OR d.expires_at > %s)
      )"""

# What the list shows, no more: every other field of the case is deferred (loaded only if
# something asks), which keeps the rows as small as the hand-written floor's.
LIST_COLUMNS = ("id", "uuid", "reference", "title", "crime_type", "status", "tlp", "lead_organisation_id", "opened_at")
LEAD_COLUMNS = {"lead_name": "name", "lead_short_code": "short_code"}


@dataclass(frozen=True)
class ListStatement:
    sql: str
    params: list
    plan: str  # "newest" (no filter), or "walk" (dense or sparse, chosen in the statement)


def _has_conditions(filters, restricted: bool) -> bool:
    return restricted or bool(filters.as_dict())


def _newest_statement(*, membership, offset: int, limit: int) -> ListStatement:
    """The unfiltered page from the grants alone: each grant table's newest ``offset + limit``
    live grants (an index range each, expiry checked in the index), merged without duplicates
    (a case granted to the organisation and by name), then the page's cases by key.

    The merge removes a duplicate because both grants carry the case's own ``opened_at``
    (``tests/cases/test_list_and_references.py`` checks every grant against its case)."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    group, user, member = membership.organisation.group_id, membership.user_id, membership.pk
    enough = offset + limit
    columns = ", ".join(f"c.{column}" for column in LIST_COLUMNS)
    lead = ", ".join(f"o.{column} AS {alias}" for alias, column in LEAD_COLUMNS.items())
    # Each branch is wrapped in a sub-select: SQLite takes ORDER BY/LIMIT only there.
    sql = f"""WITH {_PERMISSION_CTE},
visible_count AS MATERIALIZED (
  SELECT (SELECT COUNT(*) FROM ({_GROUP_GRANTS}) g) + (SELECT COUNT(*) FROM ({_NAMED_ONLY}) u) AS visible
),
newest AS (
  SELECT id, opened_at FROM (
    SELECT * FROM (
      SELECT g.content_object_id AS id, g.opened_at FROM cases_casegroupobjectpermission g
      WHERE g.group_id = %s AND g.permission_id = {_PERMISSION} AND (g.expires_at IS NULL OR g.expires_at > %s)
      ORDER BY g.opened_at DESC, g.content_object_id DESC LIMIT %s
    ) by_organisation
    UNION
    SELECT * FROM (
      SELECT u.content_object_id AS id, u.opened_at FROM cases_caseuserobjectpermission u
      WHERE u.user_id = %s AND u.membership_id = %s AND u.permission_id = {_PERMISSION}
        AND (u.expires_at IS NULL OR u.expires_at > %s)
      ORDER BY u.opened_at DESC, u.content_object_id DESC LIMIT %s
    ) by_name
  ) merged
  ORDER BY opened_at DESC, id DESC LIMIT %s OFFSET %s
)
SELECT {columns}, {lead}, v.visible AS visible, v.visible AS total
FROM newest JOIN cases_case c ON c.id = newest.id JOIN partners_organisation o ON o.id = c.lead_organisation_id
CROSS JOIN visible_count v
ORDER BY c.opened_at DESC, c.id DESC"""
    params = [group, now, user, member, now, group, now]  # the two counts
    params += [group, now, enough, user, member, now, enough, limit, offset]
    return ListStatement(sql, params, "newest")


def _where(filters, restricted: bool, alias: str) -> tuple[list[str], list]:
    """The filter conditions on cases ``alias`` (the same columns and meaning as the ORM's
    ``CaseFilters.apply``) and the TLP restriction of NGO and industry members."""
    conditions, params = [], []
    for column in ("status", "crime_type", "tlp"):
        value = getattr(filters, column)
        if value:
            conditions.append(f"{alias}.{column} = %s")
            params.append(value)
    if filters.country:
        conditions.append(f"{alias}.countries LIKE %s")
        params.append(f"%{filters.country.upper()}%")
    if filters.lead:
        from partners.models import Organisation

        uuid = Organisation._meta.get_field("uuid").get_db_prep_value(filters.lead, connection)
        conditions.append(f"{alias}.lead_organisation_id = (SELECT id FROM partners_organisation WHERE uuid = %s)")
        params.append(uuid)
    if filters.text:
        pattern = f"%{connection.ops.prep_for_like_query(filters.text)}%"
        conditions.append(
            f"(UPPER({alias}.reference) LIKE UPPER(%s) ESCAPE '\\' OR UPPER({alias}.title) LIKE UPPER(%s) ESCAPE '\\')"
        )
        params += [pattern, pattern]
    if restricted:
        conditions.append(f"{alias}.tlp NOT IN (%s, %s)")
        params += list(RESTRICTED_TLP)
    return conditions, params


def list_statement(
    *, membership, filters, restricted: bool, offset: int, limit: int, sparse_limit: int
) -> ListStatement:
    """The statement for one page. Its rows are the page's cases, each carrying ``visible``
    (cases the member may see), ``total`` (of those, the ones the filters keep) and the lead
    organisation's name and short code."""
    if not _has_conditions(filters, restricted):
        return _newest_statement(membership=membership, offset=offset, limit=limit)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    group, user, member = membership.organisation.group_id, membership.user_id, membership.pk
    # The grant ids are read once (materialised): the count, the dense walk's hashed set and
    # the sparse lookups share the rows. Measured: the sparse statement 3.6 -> 3.2 ms median;
    # for the dense user writing 10,000 ids once costs what reading them twice did (9 ms).
    grants_params = [group, now, user, member, now, group, now]
    granted = (
        "({a}.id IN (SELECT content_object_id FROM group_grants)"
        " OR {a}.id IN (SELECT content_object_id FROM named_grants))"
    )

    conditions, condition_params = _where(filters, restricted, "f")
    if conditions:
        total_sql = f"SELECT COUNT(*) FROM cases_case f WHERE {granted.format(a='f')} AND {' AND '.join(conditions)}"
        total_params = condition_params
    else:
        total_sql, total_params = "SELECT visible FROM visible_count", []

    columns = ", ".join(f"c.{column}" for column in LIST_COLUMNS)
    lead = ", ".join(f"o.{column} AS {alias}" for alias, column in LEAD_COLUMNS.items())

    where, where_params = _where(filters, restricted, "c")
    page = "ORDER BY c.opened_at DESC, c.id DESC LIMIT %s OFFSET %s"
    # Dense: walk cases newest first, keep those in the hashed grant sets.
    # The walk reads only the index's own columns (opened_at, id) when no filter needs others,
    # so PostgreSQL answers it from the index alone and fetches just the 50 cases of the page
    # (at 1M cases the walk passes about 4,300 entries to find 50 visible ones).
    dense_sql = f"""SELECT {columns}, {lead} FROM (
    SELECT c.id FROM cases_case c
    WHERE (SELECT visible FROM visible_count) > %s AND {" AND ".join([granted.format(a="c"), *where])}
    {page}
  ) walked JOIN cases_case c ON c.id = walked.id JOIN partners_organisation o ON o.id = c.lead_organisation_id"""
    dense_params = [sparse_limit, *where_params, limit, offset]
    # Sparse: start from the few grant ids, look each case up by key, then sort.
    sparse_sql = f"""SELECT * FROM (
    SELECT {columns}, {lead}
    FROM (SELECT content_object_id FROM group_grants UNION ALL SELECT content_object_id FROM named_grants) v
    JOIN cases_case c ON c.id = v.content_object_id JOIN partners_organisation o ON o.id = c.lead_organisation_id
    WHERE (SELECT visible FROM visible_count) <= %s{"".join(f" AND {w}" for w in where)}
    {page}
  ) sparse"""
    sparse_params = [sparse_limit, *where_params, limit, offset]
    sql = f"""WITH {_PERMISSION_CTE},
group_grants AS MATERIALIZED ({_GROUP_GRANTS}),
named_grants AS MATERIALIZED ({_NAMED_ONLY}),
visible_count AS (
  SELECT (SELECT COUNT(*) FROM group_grants) + (SELECT COUNT(*) FROM named_grants) AS visible
),
total_count AS ({total_sql})
SELECT page.*, (SELECT visible FROM visible_count) AS visible, (SELECT * FROM total_count) AS total FROM (
  {dense_sql}
  UNION ALL
  {sparse_sql}
) page
ORDER BY page.opened_at DESC, page.id DESC"""
    params = [*grants_params, *total_params, *dense_params, *sparse_params]
    return ListStatement(sql, params, "walk")
