"""Benchmark data at national or European scale, loaded with COPY into PostgreSQL.

Everything goes into the tables the portal itself reads: organisations with their auth Group,
users and memberships, cases with their CaseShare records and the direct foreign-key grant rows
(``CaseGroupObjectPermission`` / ``CaseUserObjectPermission``), tasks, and selectors whose
digests are the portal's own keyed digests (``deconfliction.digests.digest_current``) with raw
values encrypted as the portal encrypts them. Every grant is copied into stock django-guardian's
generic tables as well, so ``get_objects_for_user`` can be measured on the same grants.

Selector values are generated in their canonical (normalised) form, so the digest of the
generated string is what ``normalise`` + ``digest_current`` give for it; the smoke test checks
that for a sample. Normalising ten million strings one by one would add minutes and prove
nothing more.

Loading: secondary indexes and constraints of the big tables are dropped, the rows copied, and
the indexes and constraints rebuilt (each in one pass over the table), all in one transaction;
then the tables are vacuumed and analysed, as autovacuum would do on a live system, so the
planner has statistics and index-only scans have a visibility map.

Shape (the same at both scales, only the counts grow):
- organisations lead cases with Zipf-like skew; a few hub organisations (Europol-like bodies,
  the prosecution service) receive a large share of all shares;
- ``dense.liaison@bench.example`` acts for a liaison desk that sees about 10,000 cases at every
  scale, ``sparse.investigator@bench.example`` for a small unit that sees about 50 (30 through
  its organisation, 20 named);
- most selectors are unique, some are held by a few cases, a few by hundreds, and one
  (``HOT_VALUE``) by exactly 1,000 cases.
"""

import hashlib
import random
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone
from guardian.models import GroupObjectPermission, UserObjectPermission

from accounts.models import User
from cases.constants import LEVEL_PERMISSIONS, TLP, AccessLevel, CaseStatus, CrimeType, LegalBasis
from cases.models import Case, CaseGroupObjectPermission, CaseShare, CaseUserObjectPermission, Task
from deconfliction.digests import digest_current
from deconfliction.models import Selector
from deconfliction.normalisers import NORMALISER_VERSIONS
from partners.models import CROSS_BORDER_KINDS, RESTRICTED_KINDS, Membership, Organisation, OrganisationKind
from partners.roles import Role
from portal.utils.crypto import encrypt_str

DENSE_EMAIL = "dense.liaison@bench.example"
SPARSE_EMAIL = "sparse.investigator@bench.example"
DENSE_TARGET = 10_000
SPARSE_GROUP_CASES, SPARSE_NAMED_CASES = 30, 20
HOT_VALUE = ("file_hash", "b" * 64)  # held by exactly HOT_HOLDERS cases
HOT_HOLDERS = 1_000
# Passwords of bench users cannot be used to sign in (the runner uses forced sessions and
# tokens); "!" is Django's marker for an unusable password.
UNUSABLE_PASSWORD = "!bench"  # noqa: S105 - not a password: the unusable-password marker


@dataclass(frozen=True)
class Scale:
    organisations: int
    users: int
    cases: int
    selectors: int
    tasks: int
    hot_values: int  # values held by 100-900 cases each, besides HOT_VALUE


SCALES = {
    "tiny": Scale(organisations=20, users=120, cases=3_000, selectors=12_000, tasks=2_000, hot_values=2),
    "national": Scale(organisations=500, users=5_000, cases=100_000, selectors=1_000_000, tasks=200_000, hot_values=40),
    "european": Scale(
        organisations=2_000, users=20_000, cases=1_000_000, selectors=10_000_000, tasks=2_000_000, hot_values=400
    ),
}
# Small enough for the smoke test, the tiny scale keeps the dense user above the portal's
# sparse-plan limit (1,000) so both list plans are exercised.
TINY_DENSE_TARGET = 1_500

# Tables rewritten by the load: their secondary indexes and constraints are rebuilt after COPY.
BULK_MODELS = (
    Case,
    CaseShare,
    CaseGroupObjectPermission,
    CaseUserObjectPermission,
    GroupObjectPermission,
    UserObjectPermission,
    Task,
    Selector,
)


class SeedRefused(Exception):
    """The database is not one the seed may write to (the message says why)."""


def seed_check_database(*, reset: bool) -> None:
    if connection.vendor != "postgresql":
        raise SeedRefused(
            "bench_seed needs PostgreSQL (it loads with COPY and measures PostgreSQL plans); "
            "set DATABASE_URL=postgres://... to a database of its own."
        )
    if Case.objects.exists() and not reset:
        raise SeedRefused(
            "This database already holds cases. bench_seed only loads into an empty database; "
            "pass --reset to delete everything in it first."
        )


def _reset() -> None:
    """Empty every portal table, keeping migrations, content types and permissions."""
    keep = {"django_migrations", "django_content_type", "auth_permission"}
    tables = sorted(set(connection.introspection.django_table_names(only_existing=True)) - keep)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE " + ", ".join(connection.ops.quote_name(t) for t in tables) + " RESTART IDENTITY")


# --- COPY helpers --------------------------------------------------------------------------------


def _copy(model: type[Model], fields: list[str], rows: Iterable[tuple]) -> None:
    """COPY rows of ``fields`` into the model's table. Every other column gets the field's
    default (COPY does not know Django's defaults); a required column without one is a bug in
    the generator and fails before any row is sent."""
    given = [model._meta.get_field(f) for f in fields]
    rest = [f for f in model._meta.concrete_fields if f not in given and not f.primary_key]
    defaults = tuple(f.get_default() for f in rest)
    missing = [f.name for f, value in zip(rest, defaults, strict=True) if value is None and not f.null]
    if missing or any(f.unique for f in rest):
        raise ValueError(f"{model._meta.label}: give {missing or [f.name for f in rest if f.unique]} explicitly")
    columns = ", ".join(connection.ops.quote_name(f.column) for f in given + rest)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row + defaults)


def _next_id(model: type[Model]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {connection.ops.quote_name(model._meta.db_table)}")
        return cursor.fetchone()[0]


def _sync_sequence(model: type[Model]) -> None:
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) "
            f"FROM {connection.ops.quote_name(table)}",
            [table],
        )


def _drop_secondary(model: type[Model]) -> list[str]:
    """Drop the table's foreign keys, unique constraints and secondary indexes; return the SQL
    that recreates them (indexes and unique constraints first, foreign keys last)."""
    table = model._meta.db_table
    quoted = connection.ops.quote_name(table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('f', 'u') ORDER BY contype DESC, conname",
            [table],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = %s::regclass AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid AND c.contype IN ('p', 'u'))",
            [table],
        )
        indexes = cursor.fetchall()
        for name, _type, _definition in constraints:
            cursor.execute(f"ALTER TABLE {quoted} DROP CONSTRAINT {connection.ops.quote_name(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    recreate = [definition for _name, definition in indexes]
    recreate += [
        f"ALTER TABLE {quoted} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}"
        for name, _type, definition in constraints
    ]
    return recreate


# --- the generator -----------------------------------------------------------------------------


@dataclass
class _World:
    org_ids: list[int]
    org_kinds: list[str]
    group_ids: list[int]
    members: dict[int, list[tuple[int, int]]]  # organisation id -> [(user id, membership id)]
    dense_org: int
    sparse_org: int
    sparse_member: tuple[int, int]
    hubs: list[int]


ORG_KINDS = [
    (OrganisationKind.POLICE, 55),
    (OrganisationKind.FOREIGN_POLICE, 20),
    (OrganisationKind.PROSECUTION, 8),
    (OrganisationKind.NGO, 8),
    (OrganisationKind.INTERNATIONAL, 3),
    (OrganisationKind.INDUSTRY, 4),
    (OrganisationKind.MINISTRY, 2),
]
COUNTRIES = [
    "NL",
    "BE",
    "DE",
    "FR",
    "ES",
    "IT",
    "PL",
    "SE",
    "DK",
    "FI",
    "AT",
    "PT",
    "IE",
    "CZ",
    "RO",
    "HU",
    "GR",
    "BG",
    "HR",
    "SK",
    "SI",
    "LT",
    "LV",
    "EE",
    "LU",
    "PH",
    "TH",
    "US",
    "GB",
]
ROLES = [
    (Role.INVESTIGATOR, 40),
    (Role.LIAISON, 20),
    (Role.ANALYST, 15),
    (Role.PROSECUTOR, 10),
    (Role.NGO_CASEWORKER, 5),
    (Role.ORG_ADMIN, 10),
]


def _weighted(rng: random.Random, table: list[tuple[str, int]]) -> str:
    return rng.choices([v for v, _w in table], weights=[w for _v, w in table])[0]


def _seed_people(scale: Scale, rng: random.Random, now: datetime) -> _World:
    org_base, group_base = _next_id(Organisation), _next_id(Group)
    user_base, membership_base = _next_id(User), _next_id(Membership)
    n = scale.organisations
    kinds = [_weighted(rng, ORG_KINDS) for _ in range(n)]
    # The first organisations play fixed parts: the dense user's liaison desk, the sparse
    # user's small unit, and the hubs that many organisations share with.
    kinds[0], kinds[1] = OrganisationKind.POLICE, OrganisationKind.POLICE
    hub_count = max(2, n // 100)
    for i in range(2, 2 + hub_count):
        kinds[i] = OrganisationKind.INTERNATIONAL if i % 2 else OrganisationKind.PROSECUTION
    org_ids = [org_base + i for i in range(n)]
    group_ids = [group_base + i for i in range(n)]
    names = ["Bench liaison desk", "Bench small vice unit"] + [f"Bench organisation {i}" for i in range(2, n)]
    _copy(Group, ["id", "name"], ((group_ids[i], f"org:bench-{i}") for i in range(n)))
    _copy(
        Organisation,
        ["id", "uuid", "name", "short_code", "kind", "country", "desk_name", "desk_phone", "desk_email", "active"]
        + ["group", "created_at"],
        (
            (org_ids[i], uuid.uuid4(), names[i], f"bench-{i}", kinds[i], rng.choice(COUNTRIES), "24/7 desk")
            + ("+31 88 000 0000", f"desk@bench-{i}.example", True, group_ids[i], now)
            for i in range(n)
        ),
    )

    # Users: ten per organisation on average, 10% with a second membership; the two measured
    # users have exactly one membership each, so every list implementation sees the same grants.
    user_rows, membership_rows, group_rows = [], [], []
    members: dict[int, list[tuple[int, int]]] = {org: [] for org in org_ids}
    membership_id = membership_base
    for u in range(scale.users):
        user_id = user_base + u
        email = DENSE_EMAIL if u == 0 else SPARSE_EMAIL if u == 1 else f"user{u}@bench.example"
        user_rows.append((user_id, uuid.uuid4(), email, f"Bench User {u}", UNUSABLE_PASSWORD, now))
        orgs = [0] if u == 0 else [1] if u == 1 else [u % n]
        if u > 1 and rng.random() < 0.1:
            orgs.append(rng.randrange(2, n))
        for index in dict.fromkeys(orgs):
            role = Role.LIAISON if u == 0 else Role.INVESTIGATOR if u == 1 else _weighted(rng, ROLES)
            membership_rows.append((membership_id, uuid.uuid4(), user_id, org_ids[index], role, True, now))
            group_rows.append((user_id, group_ids[index]))
            members[org_ids[index]].append((user_id, membership_id))
            membership_id += 1
    _copy(User, ["id", "uuid", "email", "full_name", "password", "date_joined"], user_rows)
    _copy(Membership, ["id", "uuid", "user", "organisation", "role", "active", "created_at"], membership_rows)
    _copy(User.groups.through, ["user", "group"], group_rows)
    for model in (Group, Organisation, User, Membership):
        _sync_sequence(model)
    return _World(
        org_ids=org_ids,
        org_kinds=kinds,
        group_ids=group_ids,
        members=members,
        dense_org=org_ids[0],
        sparse_org=org_ids[1],
        sparse_member=members[org_ids[1]][0],
        hubs=org_ids[2 : 2 + hub_count],
    )


TLP_WEIGHTS = [(TLP.CLEAR, 5), (TLP.GREEN, 25), (TLP.AMBER, 55), (TLP.AMBER_STRICT, 10), (TLP.RED, 5)]
STATUS_WEIGHTS = [(s, w) for s, w in zip(CaseStatus.values, (10, 30, 30, 5, 20, 5), strict=True)]


@dataclass
class _Grants:
    """Grant rows collected while cases are generated, written after the cases."""

    shares: list[tuple]
    group: list[tuple]
    user: list[tuple]


def _seed_cases(scale: Scale, world: _World, rng: random.Random, now: datetime) -> tuple[list[int], dict[int, int]]:
    """Cases, shares and grants. Returns the case ids and each case's lead organisation."""
    case_base = _next_id(Case)
    n_cases = scale.cases
    dense_target = TINY_DENSE_TARGET if n_cases < 10 * DENSE_TARGET else DENSE_TARGET
    regular = world.org_ids[2:]
    lead_weights = [1 / (rank + 1) ** 0.8 for rank in range(len(regular))]
    hub_weights = [1 / (rank + 1) for rank in range(len(world.hubs))]
    leads = rng.choices(regular, weights=lead_weights, k=n_cases)
    case_ids = [case_base + i for i in range(n_cases)]
    # The dense desk leads 15% of what it sees and receives the rest as shares; the sparse
    # unit leads 30 cases and its investigator is named on 20 more.
    positions = rng.sample(range(n_cases), dense_target + SPARSE_GROUP_CASES + SPARSE_NAMED_CASES)
    dense_positions = positions[:dense_target]
    for p in dense_positions[: dense_target * 15 // 100]:
        leads[p] = world.dense_org
    dense_shared = set(dense_positions[dense_target * 15 // 100 :])
    for p in positions[dense_target : dense_target + SPARSE_GROUP_CASES]:
        leads[p] = world.sparse_org
    sparse_named = set(positions[dense_target + SPARSE_GROUP_CASES :])
    kind_of = dict(zip(world.org_ids, world.org_kinds, strict=True))
    group_of = dict(zip(world.org_ids, world.group_ids, strict=True))

    perm = {p.codename: p.pk for p in Permission.objects.filter(content_type__app_label="cases")}
    ctype = ContentType.objects.get_for_model(Case).pk
    start = now - timedelta(days=5 * 365)
    step = (now - start) / n_cases
    share_fields = ["uuid", "case", "organisation", "membership", "level", "reason", "legal_basis", "status"]
    share_fields += ["is_lead", "created_at", "decided_at", "end_reason"]
    grants = _Grants(shares=[], group=[], user=[])

    def grant(case_id: int, org: int, level: str, opened: datetime, *, lead=False, member=None) -> None:
        basis = LegalBasis.POLICE_TREATY if kind_of[org] in CROSS_BORDER_KINDS and not lead else ""
        grants.shares.append(
            (uuid.uuid4(), case_id, org, member[1] if member else None, level, "bench", basis, "active")
            + (lead, opened, opened, "")
        )
        for codename in LEVEL_PERMISSIONS[level]:
            if member:
                grants.user.append((member[0], member[1], perm[codename], case_id, opened))
            else:
                grants.group.append((group_of[org], perm[codename], case_id, opened))

    def case_rows():
        for i, case_id in enumerate(case_ids):
            opened = start + step * i + timedelta(seconds=rng.random() * 60)
            lead = leads[i]
            tlp = _weighted(rng, TLP_WEIGHTS)
            if i in dense_shared or i in sparse_named or lead in (world.dense_org, world.sparse_org):
                tlp = rng.choice([TLP.GREEN, TLP.AMBER])  # shareable with a group
            if kind_of[lead] in RESTRICTED_KINDS and tlp in (TLP.AMBER_STRICT, TLP.RED):
                tlp = TLP.AMBER
            status = _weighted(rng, STATUS_WEIGHTS)
            closed = opened + timedelta(days=90) if status == CaseStatus.CLOSED else None
            yield (
                case_id,
                uuid.uuid4(),
                f"BN-{opened.year}-{i:07d}",
                f"Operation Bench {i}",
                rng.choice(CrimeType.values),
                status,
                tlp,
                lead,
                rng.choice(COUNTRIES) + " " + rng.choice(COUNTRIES),
                opened,
                closed,
                now,
            )
            # RED: named people only, never a group (the creator, a member of the lead).
            if tlp == TLP.RED:
                if world.members[lead]:
                    grant(case_id, lead, AccessLevel.SHARE, opened, member=world.members[lead][0])
                continue
            grant(case_id, lead, AccessLevel.SHARE, opened, lead=True)
            if tlp == TLP.AMBER_STRICT:
                continue  # stays inside the lead organisation
            recipients = set()
            for _ in range(rng.choices((0, 1, 2, 3), weights=(35, 35, 20, 10))[0]):
                hub = rng.random() < 0.5
                org = rng.choices(world.hubs, weights=hub_weights)[0] if hub else rng.choice(regular)
                if org != lead:
                    recipients.add(org)
            if i in dense_shared:
                recipients.add(world.dense_org)
            for org in sorted(recipients):
                grant(case_id, org, rng.choice([AccessLevel.VIEW, AccessLevel.CONTRIBUTE]), opened)
            if i in sparse_named:
                grant(case_id, world.sparse_org, AccessLevel.CONTRIBUTE, opened, member=world.sparse_member)

    case_fields = ["id", "uuid", "reference", "title", "crime_type", "status", "tlp", "lead_organisation"]
    _copy(Case, case_fields + ["countries", "opened_at", "closed_at", "updated_at"], case_rows())
    _sync_sequence(Case)
    _copy(CaseShare, share_fields, grants.shares)
    _copy(CaseGroupObjectPermission, ["group", "permission", "content_object", "opened_at"], grants.group)
    _copy(CaseUserObjectPermission, ["user", "membership", "permission", "content_object", "opened_at"], grants.user)
    # The same grants in stock guardian's generic tables (object_pk is text there).
    _copy(
        GroupObjectPermission,
        ["group", "permission", "content_type", "object_pk"],
        ((g, p, ctype, str(c)) for g, p, c, _opened in grants.group),
    )
    _copy(
        UserObjectPermission,
        ["user", "permission", "content_type", "object_pk"],
        ((u, p, ctype, str(c)) for u, _m, p, c, _opened in grants.user),
    )
    return case_ids, dict(zip(case_ids, leads, strict=True))


def _seed_tasks(scale: Scale, world: _World, case_ids: list[int], lead_of: dict[int, int], rng, now) -> None:
    statuses = ["open", "accepted", "in_progress", "blocked", "done"]

    def rows():
        for i in range(scale.tasks):
            case_id = rng.choice(case_ids)
            yield (
                uuid.uuid4(),
                case_id,
                f"Bench task {i}",
                lead_of[case_id],
                rng.choice(world.org_ids),
                rng.choice(["low", "normal", "high", "urgent"]),
                (now + timedelta(days=rng.randint(-60, 120))).date(),
                rng.choice(statuses),
                now,
                now,
            )

    fields = ["uuid", "case", "title", "requesting_organisation", "assigned_organisation", "priority", "due_date"]
    _copy(Task, fields + ["status", "created_at", "updated_at"], rows())


def selector_value(kind: str, n: int) -> tuple[str, str]:
    """The n-th generated value of a kind: (as typed, canonical form). The canonical form is
    what ``deconfliction.normalisers.normalise`` returns for the typed value."""
    if kind == "file_hash":
        hexdigest = hashlib.sha256(n.to_bytes(8, "big")).hexdigest()
        return hexdigest, f"sha256:{hexdigest}"
    if kind == "email":
        value = f"u{n}@mail{n % 977}.example"
        return value, value
    value = f"+316{10_000_000 + n % 89_999_999}"
    return value, value


SELECTOR_KINDS = [("file_hash", 55), ("email", 30), ("phone", 15)]


def _selector_plan(scale: Scale, case_ids: list[int], rng: random.Random) -> Iterable[tuple[int, str, str, str]]:
    """(case id, kind, typed value, canonical value) for every selector, with the skew of real
    data: HOT_VALUE on exactly 1,000 cases, ``hot_values`` values on 100-900 cases each, a
    tenth of all selectors on values shared by 2-5 cases, and the rest unique."""
    kind, typed = HOT_VALUE
    canonical = f"sha256:{typed}"
    holders = min(HOT_HOLDERS, len(case_ids) // 3)
    for case_id in rng.sample(case_ids, holders):
        yield case_id, kind, typed, canonical
    produced, n = holders, 0
    for _ in range(scale.hot_values):
        kind = _weighted(rng, SELECTOR_KINDS)
        typed, canonical = selector_value(kind, n)
        n += 1
        for case_id in rng.sample(case_ids, min(rng.randint(100, 900), len(case_ids) // 3)):
            yield case_id, kind, typed, canonical
            produced += 1
    shared_target = scale.selectors // 10
    while produced < shared_target:
        kind = _weighted(rng, SELECTOR_KINDS)
        typed, canonical = selector_value(kind, n)
        n += 1
        for case_id in rng.sample(case_ids, rng.randint(2, 5)):
            yield case_id, kind, typed, canonical
            produced += 1
    while produced < scale.selectors:
        kind = _weighted(rng, SELECTOR_KINDS)
        typed, canonical = selector_value(kind, n)
        n += 1
        yield rng.choice(case_ids), kind, typed, canonical
        produced += 1


def _seed_selectors(scale, world: _World, case_ids, lead_of, rng, now, progress: Callable[[str], None]) -> None:
    first_member = {org: (members[0][0] if members else None) for org, members in world.members.items()}
    key_version = digest_current("email", "x")[0]
    valid = timedelta(days=settings.SELECTOR_VALID_DAYS)
    # Typed values repeat (shared selectors): encrypt and digest each distinct value once.
    cache: dict[str, tuple[str, str]] = {}

    def rows():
        for count, (case_id, kind, typed, canonical) in enumerate(_selector_plan(scale, case_ids, rng), 1):
            cached = cache.get(canonical)
            if cached is None:
                cached = (digest_current(kind, canonical)[1], encrypt_str(typed))
                if len(cache) < 200_000:
                    cache[canonical] = cached
            registered = now - timedelta(days=rng.random() * 330)
            org = lead_of[case_id]
            yield (
                uuid.uuid4(),
                case_id,
                org,
                kind,
                cached[0],
                key_version,
                NORMALISER_VERSIONS[kind],
                cached[1],
                "bench",
                first_member[org],
                registered,
                registered + valid,
                True,
            )
            if count % 1_000_000 == 0:
                progress(f"  {count:,} selectors")

    fields = ["uuid", "case", "organisation", "kind", "digest", "key_version", "normaliser_version", "raw_encrypted"]
    _copy(Selector, fields + ["reason", "registered_by", "registered_at", "expires_at", "active"], rows())


def seed(*, scale_name: str, reset: bool = False, seed_value: int = 10, progress=lambda message: None) -> dict:
    """Load one scale into the configured PostgreSQL database; return counts and timings."""
    seed_check_database(reset=reset)
    scale = SCALES[scale_name]
    rng = random.Random(seed_value)
    now = timezone.now().replace(microsecond=0)
    timings: dict[str, float] = {}

    def phase(name: str, function, *args):
        started = time.perf_counter()
        progress(f"{name} ...")
        result = function(*args)
        timings[name] = round(time.perf_counter() - started, 1)
        progress(f"{name}: {timings[name]} s")
        return result

    with transaction.atomic():
        if reset:
            phase("reset", _reset)
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        recreate = [sql for model in BULK_MODELS for sql in _drop_secondary(model)]
        world = phase("organisations and users", _seed_people, scale, rng, now)
        case_ids, lead_of = phase("cases, shares and grants", _seed_cases, scale, world, rng, now)
        phase("tasks", _seed_tasks, scale, world, case_ids, lead_of, rng, now)
        phase("selectors", _seed_selectors, scale, world, case_ids, lead_of, rng, now, progress)
        with connection.cursor() as cursor:
            foreign_keys_last = sorted(recreate, key=lambda sql: "FOREIGN KEY" in sql)
            phase("indexes and constraints", lambda: [cursor.execute(sql) for sql in foreign_keys_last])
    with connection.cursor() as cursor:
        if connection.in_atomic_block:
            # Inside a caller's transaction (the smoke test) VACUUM is not allowed; statistics are.
            phase("analyze", cursor.execute, "ANALYZE")
        else:
            phase("vacuum analyze", cursor.execute, "VACUUM ANALYZE")
    counts = {m._meta.label: m.objects.count() for m in (Organisation, User, Case, Selector, Task)}
    counts["grants"] = CaseGroupObjectPermission.objects.count() + CaseUserObjectPermission.objects.count()
    return {"scale": scale_name, "counts": counts, "seconds": timings}
