"""Writes for deconfliction: registering selectors (matching them blindly), the hit lifecycle
and expiry. Re-keying is in ``rekey``."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record, audit_record_many
from cases.selectors import CaseAccess
from cases.services.common import notify_users
from deconfliction.digests import current_key_version, digests_all_versions, lock_digests
from deconfliction.models import Hit, RegistrationCount, Selector, VolumeFlag
from deconfliction.normalisers import SelectorError, SelectorKind, normalise
from deconfliction.selectors import hit_handlers, hit_handlers_by_organisation
from notifications.models import Kind
from notifications.services import notify_each
from partners.models import Membership, Organisation, OrganisationKind
from partners.roles import Capability, Role, role_can
from portal.utils.bulk import insert_many
from portal.utils.crypto import encrypt_str

MAX_BATCH = 10_000
_IN_CHUNK = 2_000  # digests per IN (...) list

# Deconfliction must not become an oracle: only investigating organisations register
# selectors; an NGO hotline may register what it receives reports about: URLs and file hashes
# only (issue 4). Not domains: a domain stands for a whole site rather than a reported item,
# and would let a hotline ask whether any of a site's pages interests the police.
ALLOWED_KINDS: dict[str, frozenset[str]] = {
    OrganisationKind.POLICE: frozenset(SelectorKind.values),
    OrganisationKind.PROSECUTION: frozenset(SelectorKind.values),
    OrganisationKind.INTERNATIONAL: frozenset(SelectorKind.values),
    OrganisationKind.FOREIGN_POLICE: frozenset(SelectorKind.values),
    OrganisationKind.NGO: frozenset({SelectorKind.URL, SelectorKind.FILE_HASH}),
}


@dataclass
class SelectorItem:
    kind: str
    value: str
    qualifier: str | None = None
    note: str = ""
    line: int | None = None


@dataclass
class Registration:
    item: SelectorItem
    status: str  # registered | already_registered | invalid
    message: str = ""
    selector: Selector | None = None
    hits: list[Hit] = field(default_factory=list)


def _chunks(values: list, size: int = _IN_CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def add_working_days(start: datetime, days: int) -> datetime:
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


RATE_WINDOW = timedelta(hours=1)
_COUNT_UPSERT = """INSERT INTO deconfliction_registrationcount (scope, subject_id, minute, count)
VALUES (%s, %s, %s, %s), (%s, %s, %s, %s)
ON CONFLICT (scope, subject_id, minute) DO UPDATE SET count = deconfliction_registrationcount.count + excluded.count"""


# On PostgreSQL the count goes in and the hour's earlier counts come back in one statement (the
# SELECT reads the snapshot from before the INSERT); a refused batch is rolled back with it.
_COUNT_AND_READ = f"""WITH counted AS ({_COUNT_UPSERT} RETURNING 1)
SELECT scope, SUM(count) FROM deconfliction_registrationcount
WHERE minute > %s AND ((scope = %s AND subject_id = %s) OR (scope = %s AND subject_id = %s))
GROUP BY scope"""  # noqa: S608 - fixed text; every value is a parameter


def _count_registrations(membership: Membership, now: datetime, incoming: int) -> dict[str, int]:
    """Add ``incoming`` to this minute's counters and return the last hour's counts from
    before it. The caller's transaction is rolled back when the limit refuses the batch."""
    scope = RegistrationCount.Scope
    minute = connection.ops.adapt_datetimefield_value(now.replace(second=0, microsecond=0))
    upsert = [scope.USER, membership.user_id, minute, incoming, scope.ORGANISATION, membership.organisation_id]
    upsert += [minute, incoming]
    since = connection.ops.adapt_datetimefield_value(now - RATE_WINDOW)
    read = [since, scope.USER, membership.user_id, scope.ORGANISATION, membership.organisation_id]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_COUNT_AND_READ, upsert + read)
            counts = dict(cursor.fetchall())
        else:  # SQLite has no INSERT inside WITH: read, then count
            counts = dict(
                RegistrationCount.objects.filter(minute__gt=now - RATE_WINDOW)
                .filter(
                    Q(scope=scope.USER, subject_id=membership.user_id)
                    | Q(scope=scope.ORGANISATION, subject_id=membership.organisation_id)
                )
                .values_list("scope")
                .annotate(n=Sum("count"))
            )
            cursor.execute(_COUNT_UPSERT, upsert)
    return {"user": counts.get(scope.USER, 0), "organisation": counts.get(scope.ORGANISATION, 0)}


def _check_rate(*, membership: Membership, incoming: int) -> None:
    """Refuse more than the hourly limits and flag unusual volume; count what is let through
    (in the registration's transaction, so a refused or failed batch counts nothing)."""
    if incoming <= 0:
        return  # re-registering what is already there adds nothing to limit
    now = timezone.now()
    since = now - RATE_WINDOW
    counts = _count_registrations(membership, now, incoming)
    if counts["user"] + incoming > settings.SELECTOR_RATE_USER_PER_HOUR:
        raise ValidationError(
            _(
                "You registered %(n)s selectors in the last hour; the limit is %(limit)s. "
                "Try again later or ask your deconfliction desk."
            )
            % {"n": counts["user"], "limit": settings.SELECTOR_RATE_USER_PER_HOUR}
        )
    if counts["organisation"] + incoming > settings.SELECTOR_RATE_ORG_PER_HOUR:
        raise ValidationError(
            _("Your organisation reached its hourly registration limit (%(limit)s).")
            % {"limit": settings.SELECTOR_RATE_ORG_PER_HOUR}
        )
    if counts["user"] + incoming > settings.SELECTOR_FLAG_USER_PER_HOUR:
        VolumeFlag.objects.create(
            organisation=membership.organisation,
            user=membership.user,
            window_start=since,
            count=counts["user"] + incoming,
        )
        operators = User.objects.filter(is_platform_operator=True, is_active=True)
        notify_users(
            operators,
            _("Unusual selector registration volume"),
            _(
                "%(n)s selector registrations by one user of %(org)s in the last hour. Review the volume "
                "flags in the portal: %(link)s"
            )
            % {
                "n": counts["user"] + incoming,
                "org": membership.organisation,
                "link": settings.PORTAL_BASE_URL + reverse("deconfliction:volume_flags"),
            },
            kind=Kind.PLATFORM,
        )


@transaction.atomic
def volume_flag_review(*, flag_id: int | str, by: User, request: HttpRequest | None = None) -> VolumeFlag:
    """The platform operator looked at an unusual volume (it stays listed, as reviewed)."""
    if not by.is_platform_operator:
        raise PermissionDenied
    flag = VolumeFlag.objects.select_for_update().filter(pk=flag_id).first() if str(flag_id).isdigit() else None
    if flag is None:
        raise Http404
    if flag.reviewed_at is None:
        flag.reviewed_at = timezone.now()
        flag.save(update_fields=["reviewed_at"])
        audit_record(
            action="volume_flag.review",
            request=request,
            actor=by,
            organisation=flag.organisation,
            obj=flag,
            details={"count": flag.count, "user": flag.user_id},
        )
    return flag


def selector_register(
    *,
    access: CaseAccess,
    kind: str,
    value: str,
    reason: str,
    qualifier: str | None = None,
    note: str = "",
    request: HttpRequest | None = None,
) -> Registration:
    """Register one selector on a case; an invalid value is a ValidationError on ``value``."""
    result = selectors_register_batch(
        access=access,
        reason=reason,
        request=request,
        items=[SelectorItem(kind=kind, value=value, qualifier=qualifier, note=note)],
    )[0]
    if result.status == "invalid":
        raise ValidationError({"value": result.message})
    return result


@transaction.atomic
def selectors_register_batch(
    *, access: CaseAccess, items: list[SelectorItem], reason: str, request: HttpRequest | None = None
) -> list[Registration]:
    """Register many selectors on one case in one transaction, with a result per item.

    Cost: a fixed number of queries per 2,000 digests, plus one lock per hash bucket touched
    (at most LOCK_BUCKETS, 64), whatever the batch size.
    """
    membership = access.membership
    organisation = membership.organisation
    if not role_can(membership.role, Capability.REGISTER_SELECTORS):
        raise PermissionDenied(_("Your role may not register selectors."))
    if not access.can("contribute_case"):
        raise PermissionDenied(_("Selectors are registered on a case you can contribute to."))
    allowed = ALLOWED_KINDS.get(organisation.kind, frozenset())
    if not allowed:
        raise PermissionDenied(_("Organisations of this kind do not register selectors."))
    if not reason or not reason.strip():
        raise ValidationError({"reason": _("Give the reason for registering these selectors.")})
    if len(items) > MAX_BATCH:
        raise ValidationError(_("At most %(n)s selectors at once.") % {"n": MAX_BATCH})

    results = [Registration(item=item, status="invalid") for item in items]
    key_version = current_key_version()
    pending: dict[str, list[int]] = defaultdict(list)  # current digest -> result indexes
    digest_map: dict[str, str] = {}  # digest under any key version -> current digest
    normalised_values: dict[str, tuple[str, int, int]] = {}
    for index, item in enumerate(items):
        if item.kind not in allowed:
            results[index].message = _("Your organisation may not register selectors of kind %(kind)s.") % {
                "kind": item.kind
            }
            continue
        try:
            normalised = normalise(item.kind, item.value, qualifier=item.qualifier, region=organisation.country)
        except SelectorError as exc:
            results[index].message = str(exc)
            continue
        # Every configured key's digest, the current key's first (one HMAC per key, not two
        # for the current one).
        digests = digests_all_versions(item.kind, normalised.value)
        current = digests[0]
        for digest in digests:
            digest_map[digest] = current
        pending[current].append(index)
        normalised_values[current] = (item.kind, key_version, normalised.version)

    lock_digests(pending.keys())
    case = access.case
    # One read of the digests' active holders: this case's own rows are what is already
    # registered, the others are what the new rows match (one statement per 2,000 digests,
    # where reading the two separately cost a round trip more for every registration).
    holder_rows = []
    for chunk in _chunks(list(digest_map)):
        held = Selector.objects.filter(active=True, digest__any=chunk)
        holder_rows += held.values_list("pk", "digest", "organisation_id", "case_id")
    existing: dict[str, Selector] = {}
    existing_ids = [pk for pk, _digest, _org, case_id in holder_rows if case_id == case.pk]
    if existing_ids:
        for selector in Selector.objects.filter(pk__in=existing_ids):
            existing[digest_map[selector.digest]] = selector

    now = timezone.now()
    expires = now + timedelta(days=settings.SELECTOR_VALID_DAYS)
    new_selectors: dict[str, Selector] = {}
    for current, indexes in pending.items():
        first, *repeats = indexes
        if current in existing:
            for index in indexes:
                results[index].status, results[index].selector = "already_registered", existing[current]
            continue
        kind, key_version, normaliser_version = normalised_values[current]
        item = items[first]
        # Ids rather than objects: setting a relation through its descriptor costs more than
        # the rest of building the row, ten thousand times in a full batch.
        new_selectors[current] = Selector(
            case_id=case.pk,
            organisation_id=organisation.pk,
            kind=kind,
            digest=current,
            key_version=key_version,
            normaliser_version=normaliser_version,
            raw_encrypted=encrypt_str(item.value.strip()),
            note=item.note.strip()[:500],
            reason=reason.strip()[:500],
            registered_by_id=membership.user_id,
            registered_at=now,
            expires_at=expires,
        )
        results[first].status = "registered"
        for index in repeats:
            results[index].status, results[index].message = "already_registered", _("Repeated in this batch.")
    # Only what would be new counts against the hourly limit: re-importing a file costs nothing.
    _check_rate(membership=membership, incoming=len(new_selectors))
    insert_many(list(new_selectors.values()))
    for current, selector in new_selectors.items():
        for index in pending[current]:
            results[index].selector = selector

    others = [(digest, org_id) for _pk, digest, org_id, case_id in holder_rows if case_id != case.pk]
    hits_by_digest, raised = _raise_hits(
        new=new_selectors, digest_map=digest_map, organisation=organisation, now=now, holder_rows=others
    )
    for current, indexes in pending.items():
        for index in indexes:
            results[index].hits = hits_by_digest.get(current, [])

    audit_record(
        action="selector.register",
        request=request,
        actor=membership.user,
        organisation=organisation,
        obj=case,
        details={
            "registered": [str(s.uuid) for s in new_selectors.values()],
            "already_registered": sum(r.status == "already_registered" for r in results),
            "invalid": sum(r.status == "invalid" for r in results),
            # New hits by id (each also has its own hit.raise event); the open hits the new
            # selectors also belong to (by their digest) by number: a value held by hundreds of
            # organisations would otherwise put hundreds of ids into every registration's event.
            "hits": sorted(str(hit.uuid) for hit in raised),
            "hits_updated": len({h.pk for hits in hits_by_digest.values() for h in hits}) - len(raised),
        },
    )
    return results


def _link(links: list[tuple[int, int]]) -> None:
    """Attach selectors to hits. A value held by hundreds of organisations links each new
    registration to that many hits: on PostgreSQL the pairs go in as two arrays, without a
    model instance per row."""
    if not links:
        return
    through = Hit.selectors.through
    if connection.vendor != "postgresql":
        through.objects.bulk_create([through(hit_id=h, selector_id=s) for h, s in links], ignore_conflicts=True)
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {through._meta.db_table} (hit_id, selector_id) "  # noqa: S608 - the model's table
            "SELECT * FROM unnest(%s::bigint[], %s::bigint[]) ON CONFLICT DO NOTHING",
            [[h for h, _s in links], [s for _h, s in links]],
        )


def _raise_hits(
    *,
    new: dict[str, Selector],
    digest_map: dict[str, str],
    organisation: Organisation,
    now: datetime,
    rekeying: bool = False,
    holder_rows: list[tuple[str, int]] | None = None,
) -> tuple[dict[str, list[Hit]], list[Hit]]:
    """For every new selector, one hit per other organisation holding its digest (and one with
    our own organisation when another of our cases holds it).

    ``new`` holds selectors of ``organisation`` on one case (one per digest): a registration's
    new rows, or re-keying's rows whose digest changed. A pair that already has an open hit on
    the digest gets nothing written: the new selector is one of that hit's selectors by its
    digest (``deconfliction.selectors.hit_selectors``) and its registration the hit's last
    (``with_last_registration``), so a value held by hundreds of organisations costs no write
    per holder. Links are written only for selectors whose stored digest is not the hit's (a
    holder registered under an older key, or a hit stored under one).
    Re-keying passes ``rekeying=True``: a resolved hit of the pair counts as existing (the two
    organisations already deconflicted that value: a key rotation must not bring it back as
    new). A registration raises a new hit beside a resolved one: a new case holds the value.
    The caller holds the digests' bucket locks, and may pass ``holder_rows``: (digest,
    organisation) of the other active selectors with these digests, read under those locks
    before ``new`` was written.
    """
    if not new:
        return {}, []
    if holder_rows is None:
        new_ids = [s.pk for s in new.values()]
        lookups = [d for d, current in digest_map.items() if current in new]
        holder_rows = []
        for chunk in _chunks(lookups):
            rows = Selector.objects.filter(active=True, digest__any=chunk).exclude(pk__any=new_ids)
            holder_rows += rows.values_list("digest", "organisation_id").distinct()
    holders: set[tuple[str, int]] = set()  # (current digest, organisation)
    stale: set[str] = set()  # holders' digests under an older key
    for digest, org_id in holder_rows:
        if digest_map[digest] not in new:
            continue  # already registered on this case: nothing new to match
        holders.add((digest_map[digest], org_id))
        if digest != digest_map[digest]:
            stale.add(digest)
    if not holders:
        return {}, []
    pairs = {
        (current, min(org_id, organisation.pk), max(org_id, organisation.pk)): (current, org_id)
        for current, org_id in holders
    }
    open_hits: dict[tuple[str, int, int], Hit] = {}
    held = {current for current, _org in holders}
    for chunk in _chunks([d for d, current in digest_map.items() if current in held]):
        # Only what matching and the results need: a value held by hundreds of organisations
        # has that many open hits.
        open_rows = Hit.objects.filter(digest__any=chunk)
        if not rekeying:
            open_rows = open_rows.exclude(status=Hit.Status.RESOLVED)
        # Open before resolved, so a pair with both is matched to its open hit.
        for hit in open_rows.only("id", "uuid", "digest", "organisation_a_id", "organisation_b_id", "status"):
            key = (digest_map[hit.digest], hit.organisation_a_id, hit.organisation_b_id)
            if key not in open_hits or open_hits[key].status == Hit.Status.RESOLVED:
                open_hits[key] = hit
    deadline = add_working_days(now, settings.HIT_ACK_WORKING_DAYS)
    created = [
        Hit(
            kind=new[current].kind,
            digest=current,
            organisation_a_id=a,
            organisation_b_id=b,
            created_at=now,
            last_registration_at=now,
            ack_deadline=deadline,
        )
        for (current, a, b) in pairs
        if (current, a, b) not in open_hits
    ]
    Hit.objects.bulk_create(created)
    links: list[tuple[int, int]] = []  # (hit, selector)
    if stale:
        # Holders under an older key: linked to new hits (whose digest is the current one).
        by_holder: dict[tuple[str, int], list[int]] = defaultdict(list)
        for chunk in _chunks(sorted(stale)):
            rows = Selector.objects.filter(active=True, digest__any=chunk)
            for pk, digest, org_id in rows.values_list("pk", "digest", "organisation_id"):
                by_holder[(digest_map[digest], org_id)].append(pk)
        for hit in created:
            holder = pairs[(hit.digest, hit.organisation_a_id, hit.organisation_b_id)]
            links += [(hit.pk, pk) for pk in by_holder.get(holder, [])]
    # A hit still stored under an older key (a rotation not yet re-keyed) does not find the new
    # selector by its digest: it is linked, and its last registration is moved here (rare: only
    # until selectors_rekey has run).
    stale_hits = [hit for key, hit in open_hits.items() if key in pairs and hit.digest != key[0]]
    links += [(hit.pk, new[digest_map[hit.digest]].pk) for hit in stale_hits]
    _link(links)
    if stale_hits:
        Hit.objects.filter(pk__in=[hit.pk for hit in stale_hits]).update(last_registration_at=now)

    result: dict[str, list[Hit]] = defaultdict(list)
    for hit in created:
        result[hit.digest].append(hit)
    for key, hit in open_hits.items():
        if key in pairs:
            result[key[0]].append(hit)
    # One notice per organisation per new hit; further registrations of a digest that already
    # has an open hit tell nobody (a widely circulated file does not flood the desks).
    told: dict[int, int] = defaultdict(int)
    for hit in created:
        told[hit.organisation_a_id] += 1
        if hit.organisation_b_id != hit.organisation_a_id:
            told[hit.organisation_b_id] += 1
    handlers = hit_handlers_by_organisation(organisation_ids=list(told))
    notify_each(
        kind=Kind.HIT_RAISED,
        notices=[
            (
                handlers.get(org_id, []),
                _("Deconfliction: %(n)s new hit(s)") % {"n": n},
                _(
                    "Selectors your organisation registered are also held elsewhere (%(n)s new hit(s)). "
                    "Open the deconfliction desk in the portal."
                )
                % {"n": n},
            )
            for org_id, n in told.items()
        ],
    )
    audit_record_many(
        action="hit.raise",
        organisation=organisation,
        objs=created,
        details=lambda hit: {"kind": hit.kind, "organisations": [hit.organisation_a_id, hit.organisation_b_id]},
    )
    return result, created


# --- the hit lifecycle ---------------------------------------------------------------------------


def _side_check(membership: Membership, hit: Hit) -> str:
    if not role_can(membership.role, Capability.HANDLE_HITS):
        raise PermissionDenied(_("Your role does not handle deconfliction hits."))
    if membership.organisation_id not in (hit.organisation_a_id, hit.organisation_b_id):
        raise PermissionDenied
    return hit.side(membership.organisation_id)


def _acknowledge(hit: Hit, side: str, now: datetime) -> None:
    if side in ("a", "both") and hit.acknowledged_a_at is None:
        hit.acknowledged_a_at = now
    if side in ("b", "both") and hit.acknowledged_b_at is None:
        hit.acknowledged_b_at = now
    if side == "both":
        hit.acknowledged_b_at = hit.acknowledged_a_at


def _add_note(hit: Hit, membership: Membership, note: str) -> None:
    note = (note or "").strip()
    if note:
        stamp = timezone.now().strftime("%Y-%m-%d %H:%M UTC")
        entry = f"[{stamp}] {membership.organisation.short_code}: {note}"
        hit.handling_note = (hit.handling_note + "\n" + entry).strip()[-2000:]


@transaction.atomic
def hit_acknowledge(*, membership: Membership, hit: Hit, note: str = "", request: HttpRequest | None = None) -> Hit:
    hit = Hit.objects.select_for_update().get(pk=hit.pk)
    side = _side_check(membership, hit)
    if hit.status == Hit.Status.RESOLVED:
        raise ValidationError(_("This hit is resolved."))
    _acknowledge(hit, side, timezone.now())
    if hit.status == Hit.Status.NEW and hit.acknowledged_a_at and hit.acknowledged_b_at:
        hit.status = Hit.Status.ACKNOWLEDGED
    _add_note(hit, membership, note)
    hit.save()
    audit_record(
        action="hit.acknowledge",
        request=request,
        actor=membership.user,
        organisation=membership.organisation,
        obj=hit,
        details={"status": hit.status},
    )
    return hit


@transaction.atomic
def hit_coordinate(*, membership: Membership, hit: Hit, note: str, request: HttpRequest | None = None) -> Hit:
    hit = Hit.objects.select_for_update().get(pk=hit.pk)
    side = _side_check(membership, hit)
    if hit.status == Hit.Status.RESOLVED:
        raise ValidationError(_("This hit is resolved."))
    if not (note or "").strip():
        raise ValidationError({"note": _("Say how you are coordinating (who called whom, what was agreed).")})
    _acknowledge(hit, side, timezone.now())
    hit.status = Hit.Status.COORDINATING
    _add_note(hit, membership, note)
    hit.save()
    audit_record(
        action="hit.coordinate", request=request, actor=membership.user, organisation=membership.organisation, obj=hit
    )
    return hit


@transaction.atomic
def hit_resolve(
    *, membership: Membership, hit: Hit, outcome: str, note: str = "", request: HttpRequest | None = None
) -> Hit:
    hit = Hit.objects.select_for_update().get(pk=hit.pk)
    side = _side_check(membership, hit)
    if hit.status == Hit.Status.RESOLVED:
        raise ValidationError(_("This hit is already resolved."))
    if outcome not in Hit.Outcome.values:
        raise ValidationError({"outcome": _("Choose how the hit was resolved.")})
    now = timezone.now()
    _acknowledge(hit, side, now)
    hit.status, hit.outcome, hit.resolved_at, hit.resolved_by = Hit.Status.RESOLVED, outcome, now, membership.user
    _add_note(hit, membership, note)
    hit.save()
    audit_record(
        action="hit.resolve",
        request=request,
        actor=membership.user,
        organisation=membership.organisation,
        obj=hit,
        details={"outcome": outcome},
    )
    return hit


def hits_escalate_overdue() -> int:
    """Tell the organisation admins of each side that missed the acknowledgement deadline."""
    now, escalated = timezone.now(), 0
    overdue = Hit.objects.filter(status=Hit.Status.NEW, ack_deadline__lt=now).select_related(
        "organisation_a", "organisation_b"
    )
    for hit in overdue:
        with transaction.atomic():
            locked = Hit.objects.select_for_update().get(pk=hit.pk)
            for side, organisation in (("a", hit.organisation_a), ("b", hit.organisation_b)):
                if getattr(locked, f"acknowledged_{side}_at") or getattr(locked, f"escalated_{side}_at"):
                    continue
                if side == "b" and hit.organisation_a_id == hit.organisation_b_id:
                    continue
                setattr(locked, f"escalated_{side}_at", now)
                admins = User.objects.filter(
                    memberships__organisation=organisation, memberships__active=True, memberships__role=Role.ORG_ADMIN
                )
                notify_users(
                    admins,
                    _("Deconfliction hit not acknowledged in time"),
                    _(
                        "A deconfliction hit of your organisation passed its acknowledgement deadline. "
                        "Open the deconfliction desk in the portal."
                    ),
                    kind=Kind.HIT_OVERDUE,
                )
                audit_record(action="hit.escalate", organisation=organisation, obj=locked)
                escalated += 1
            locked.save()
    return escalated


# --- expiry ---------------------------------------------------------------------------------


@transaction.atomic
def selector_renew(*, access: CaseAccess, selector: Selector, request: HttpRequest | None = None) -> Selector:
    if selector.organisation_id != access.membership.organisation_id or selector.case_id != access.case.pk:
        raise PermissionDenied
    if not selector.active:
        raise ValidationError(_("An expired selector cannot be renewed; register it again."))
    selector.expires_at = timezone.now() + timedelta(days=settings.SELECTOR_VALID_DAYS)
    selector.expiry_warned_at = None
    selector.save(update_fields=["expires_at", "expiry_warned_at"])
    audit_record(
        action="selector.renew",
        request=request,
        actor=access.membership.user,
        organisation=access.membership.organisation,
        obj=selector,
    )
    return selector


@transaction.atomic
def selector_deactivate(*, access: CaseAccess, selector: Selector, request: HttpRequest | None = None) -> Selector:
    if selector.organisation_id != access.membership.organisation_id or selector.case_id != access.case.pk:
        raise PermissionDenied
    now = timezone.now()
    Selector.objects.filter(pk=selector.pk).update(active=False, deactivated_at=now)
    audit_record(
        action="selector.deactivate",
        request=request,
        actor=access.membership.user,
        organisation=access.membership.organisation,
        obj=selector,
    )
    selector.active, selector.deactivated_at = False, now
    return selector


def selectors_expire_due() -> dict[str, int]:
    """Daily: warn a week ahead, deactivate at expiry, empty raw values 30 days after."""
    now = timezone.now()
    warn = Selector.objects.filter(
        active=True, expiry_warned_at__isnull=True, expires_at__lte=now + timedelta(days=7), expires_at__gt=now
    )
    warned = 0
    for organisation_id, count in warn.values_list("organisation_id").annotate(n=Count("pk")):
        notify_users(
            hit_handlers(Organisation.objects.get(pk=organisation_id)),
            _("Selectors expire within a week"),
            _(
                "%(n)s selector(s) of your organisation expire within a week. Renew the ones still "
                "needed on their cases in the portal."
            )
            % {"n": count},
            kind=Kind.SELECTOR_EXPIRING,
        )
        warned += count
    warn.update(expiry_warned_at=now)
    expired = Selector.objects.filter(active=True, expires_at__lte=now).update(active=False, deactivated_at=now)
    purge_before = now - timedelta(days=settings.SELECTOR_RAW_PURGE_DAYS)
    purged = (
        Selector.objects.filter(active=False, raw_purged_at__isnull=True)
        .filter(Q(expires_at__lte=purge_before) | Q(deactivated_at__lte=purge_before))
        .update(raw_encrypted="", raw_purged_at=now)
    )
    RegistrationCount.objects.filter(minute__lt=now - 2 * RATE_WINDOW).delete()  # the rate check's past
    if warned or expired or purged:
        audit_record(action="selector.expiry", details={"warned": warned, "expired": expired, "purged": purged})
    return {"warned": warned, "expired": expired, "purged": purged}
