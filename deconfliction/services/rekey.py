"""Re-keying: recompute every selector's digest from its encrypted raw value.

Run after prepending a new key to SELECTOR_HMAC_KEYS or FIELD_ENCRYPTION_KEYS, or after raising
a normaliser version (a new phonenumbers release, a corrected rule). No match may be lost, and
none may be missed:

- open hits follow their digests; two open hits of one pair of organisations that come to share
  a digest are merged into one (``hit_one_open_per_pair``);
- selectors whose digest changed raise hits with everything that now holds the same digest,
  through the registration's own hit-raising step: a Belgian and a Dutch registration of one
  number that only the new rules see as one get their hit;
- two active selectors of one case that become one identifier: the later registration is
  deactivated (``selector_once_per_case``), the earlier one keeps matching for the case;
- a stored value the current rules refuse is reported and keeps its old digest and versions
  (its raw value is still re-encrypted, so an encryption key rotation completes). It is not
  deactivated: it still matches what it matched before, its owners can replace it with a
  corrected registration, and the next run tries it again. Reports name the selector, never
  its value (the operator running this may not read raw values; the refusal message may quote
  the value, so it is not reported either).

Each batch takes every digest bucket lock first (``lock_all_buckets``), then its selector rows:
registrations take buckets first and rows after, so the two cannot deadlock, and no
registration can look for holders of a digest while it is being moved.

Running it twice changes nothing the second time (raw values are re-encrypted again, under
the same key).
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from audit.services import audit_record
from deconfliction.digests import current_key_version, digest_current, lock_all_buckets
from deconfliction.models import Hit, Selector
from deconfliction.normalisers import SelectorError, normalise
from deconfliction.services.registration import _chunks, _link, _raise_hits
from portal.utils.crypto import DecryptionError, decrypt_str, reencrypt_str

_AUDIT_LIST_MAX = 500  # selector ids per list in the audit event; the counts are always complete


@dataclass(frozen=True)
class RekeyProblem:
    """A selector re-keying could not give a current digest (no value: see the module docstring)."""

    selector: str  # uuid
    kind: str
    organisation: str  # short code


@dataclass
class RekeyResult:
    reencrypted: int = 0
    rekeyed: int = 0  # digests that changed
    hits_raised: int = 0  # new hits between selectors that only now share a digest
    hits_merged: int = 0  # open hits of one pair that came to share a digest
    deactivated: list[str] = field(default_factory=list)  # duplicates within a case (uuids)
    refused: list[RekeyProblem] = field(default_factory=list)  # the current rules refuse the value
    unreadable: list[RekeyProblem] = field(default_factory=list)  # no configured key decrypts it


def selectors_rekey(*, batch_size: int = 1000) -> RekeyResult:
    """Recompute every digest with the current HMAC key and normalisers, re-encrypt every raw
    value with the current encryption key, and raise or merge hits where digests now meet.

    Selectors whose raw value was already purged keep their old digest (they are inactive and
    no longer match).
    """
    version = current_key_version()
    result = RekeyResult()
    last_pk = 0
    while True:
        with transaction.atomic():
            lock_all_buckets()
            batch = list(
                Selector.objects.select_for_update(of=("self",))
                .filter(pk__gt=last_pk)
                .exclude(raw_encrypted="")
                .select_related("organisation")
                .order_by("pk")[:batch_size]
            )
            if not batch:
                break
            _rekey_batch(batch, version, result)
            last_pk = batch[-1].pk
    audit_record(
        action="selector.rekey",
        details={
            "reencrypted": result.reencrypted,
            "rekeyed": result.rekeyed,
            "hits_raised": result.hits_raised,
            "hits_merged": result.hits_merged,
            "deactivated": len(result.deactivated),
            "refused": len(result.refused),
            "unreadable": len(result.unreadable),
            "deactivated_selectors": result.deactivated[:_AUDIT_LIST_MAX],
            "refused_selectors": [p.selector for p in result.refused[:_AUDIT_LIST_MAX]],
            "unreadable_selectors": [p.selector for p in result.unreadable[:_AUDIT_LIST_MAX]],
        },
    )
    return result


def _problem(selector: Selector) -> RekeyProblem:
    return RekeyProblem(selector=str(selector.uuid), kind=selector.kind, organisation=selector.organisation.short_code)


def _rekey_batch(batch: list[Selector], version: int, result: RekeyResult) -> None:
    now = timezone.now()
    changed: list[tuple[Selector, str]] = []  # (selector with its new digest, its old digest)
    for selector in batch:
        try:
            raw = decrypt_str(selector.raw_encrypted)
        except DecryptionError:
            # An encryption key was dropped before this value was re-encrypted: nothing to
            # compute from. Reported; the row is left exactly as it is.
            result.unreadable.append(_problem(selector))
            continue
        selector.raw_encrypted = reencrypt_str(selector.raw_encrypted)
        result.reencrypted += 1
        try:
            normalised = normalise(selector.kind, raw, region=selector.organisation.country)
        except SelectorError:
            result.refused.append(_problem(selector))
            continue  # old digest, old key and normaliser versions: visibly stale
        _v, digest = digest_current(selector.kind, normalised.value)
        if digest != selector.digest:
            changed.append((selector, selector.digest))
        selector.digest, selector.key_version = digest, version
        selector.normaliser_version = normalised.version
    result.rekeyed += len(changed)
    _deactivate_duplicates_within_cases([s for s, _old in changed if s.active], now, result)
    Selector.objects.bulk_update(
        batch, ["digest", "key_version", "normaliser_version", "raw_encrypted", "active", "deactivated_at"]
    )
    mapping: dict[str, str] = {}
    moved_from: dict[str, list[Selector]] = defaultdict(list)
    for selector, old in changed:
        # Values that shared a digest and no longer do (a rule that now tells them apart): the
        # hit goes with the first, linked to both sides' selectors.
        mapping.setdefault(old, selector.digest)
        moved_from[old].append(selector)
    _move_hits(mapping, moved_from, result)
    _raise_new_hits([s for s, _old in changed if s.active], now, result)


def _deactivate_duplicates_within_cases(moved: list[Selector], now, result: RekeyResult) -> None:
    """Two active selectors of one case that are one identifier under the current rules: the
    later registration is deactivated (the earlier keeps matching, and keeps its hits), as
    registering the value again on the case would have found the existing row."""
    if not moved:
        return
    moved_pks = [s.pk for s in moved]
    case_ids = {s.case_id for s in moved}
    taken: set[tuple[int, str]] = set()
    for chunk in _chunks(sorted({s.digest for s in moved})):
        rows = (
            Selector.objects.filter(active=True, digest__any=chunk, case_id__in=case_ids)
            .exclude(pk__in=moved_pks)  # their stored digest is the old one
            .values_list("case_id", "digest")
        )
        taken.update(rows)
    for selector in sorted(moved, key=lambda s: s.pk):
        key = (selector.case_id, selector.digest)
        if key in taken:
            selector.active, selector.deactivated_at = False, now
            result.deactivated.append(str(selector.uuid))
        else:
            taken.add(key)


_STATUS_RANK = {Hit.Status.NEW: 0, Hit.Status.ACKNOWLEDGED: 1, Hit.Status.COORDINATING: 2}


def _move_hits(mapping: dict[str, str], moved_from: dict[str, list[Selector]], result: RekeyResult) -> None:
    """Hits follow their digests (old -> new). An open hit whose pair already has an open hit on
    the new digest is merged into it, so ``hit_one_open_per_pair`` holds.

    A hit's selectors are found by its digest (``hit_selectors``), so before a hit moves, the
    selectors it had under the old one are linked to it: those of this batch that had the old
    digest, and those still stored under it (later batches, or values the current rules refuse,
    which keep their old digest). The ones that end up with the new digest are then found both
    ways; the others stay the hit's through their links."""
    if not mapping:
        return
    moving: list[Hit] = []
    for chunk in _chunks(list(mapping)):
        moving += Hit.objects.filter(digest__any=chunk)
    if not moving:
        return
    still_old: dict[str, list[tuple[int, int]]] = defaultdict(list)  # old digest -> (selector, organisation)
    for chunk in _chunks(list(mapping)):
        rows = Selector.objects.filter(digest__any=chunk).values_list("pk", "digest", "organisation_id")
        for pk, digest, org_id in rows:
            still_old[digest].append((pk, org_id))
    links: list[tuple[int, int]] = []
    for hit in moving:
        pair = (hit.organisation_a_id, hit.organisation_b_id)
        behind = [(s.pk, s.organisation_id) for s in moved_from.get(hit.digest, [])] + still_old.get(hit.digest, [])
        links += [(hit.pk, pk) for pk, org_id in behind if org_id in pair]
    _link(links)
    open_at: dict[tuple[str, int, int], Hit] = {}
    targets = sorted({mapping[h.digest] for h in moving if h.status != Hit.Status.RESOLVED})
    for chunk in _chunks(targets):
        for hit in Hit.objects.filter(digest__any=chunk).exclude(status=Hit.Status.RESOLVED):
            open_at[(hit.digest, hit.organisation_a_id, hit.organisation_b_id)] = hit
    for hit in sorted(moving, key=lambda h: (h.created_at, h.pk)):
        digest = mapping[hit.digest]
        key = (digest, hit.organisation_a_id, hit.organisation_b_id)
        other = open_at.get(key) if hit.status != Hit.Status.RESOLVED else None
        if other is None or other.pk == hit.pk:
            # update(), not save(): a key rotation is not a change to the hit (updated_at).
            Hit.objects.filter(pk=hit.pk).update(digest=digest)
            hit.digest = digest
            if hit.status != Hit.Status.RESOLVED:
                open_at[key] = hit
        else:
            open_at[key] = _merge_hits(other, hit, digest)
            result.hits_merged += 1


def _earliest(*values):
    return min((v for v in values if v is not None), default=None)


def _merge_hits(first: Hit, second: Hit, digest: str) -> Hit:
    """One open hit of a pair of organisations from two that turned out to be about one
    identifier. The one further along its lifecycle (then the older) is kept, with both hits'
    selectors, handling notes, acknowledgements and escalations; the other is deleted, and the
    merge is audited on the kept hit with the deleted hit's id."""
    keep, drop = sorted((first, second), key=lambda h: (-_STATUS_RANK[h.status], h.created_at, h.pk))
    for name in ("acknowledged_a_at", "acknowledged_b_at", "escalated_a_at", "escalated_b_at"):
        setattr(keep, name, _earliest(getattr(keep, name), getattr(drop, name)))
    keep.created_at = min(keep.created_at, drop.created_at)
    keep.ack_deadline = min(keep.ack_deadline, drop.ack_deadline)
    keep.last_registration_at = max(keep.last_registration_at, drop.last_registration_at)
    if keep.status == Hit.Status.NEW and keep.acknowledged_a_at and keep.acknowledged_b_at:
        keep.status = Hit.Status.ACKNOWLEDGED
    keep.handling_note = "\n".join(n for n in (keep.handling_note, drop.handling_note) if n)[-2000:]
    keep.digest = digest
    links = [(keep.pk, pk) for pk in drop.selectors.values_list("pk", flat=True)]
    dropped = str(drop.uuid)
    drop.delete()  # first: the kept hit may take the dropped one's place in the constraint
    keep.save()
    _link(links)
    audit_record(action="hit.merge", obj=keep, details={"merged": dropped, "by": "selectors_rekey"})
    return keep


def _raise_new_hits(moved: list[Selector], now, result: RekeyResult) -> None:
    """The registration's hit-raising step for selectors whose digest changed, per case and
    organisation (its unit: one selector per digest). The batch holds every bucket lock.

    Only digests now held by more than one active selector can raise anything; the others
    (most rows of a key rotation) cost one grouped query per 2,000 digests."""
    if not moved:
        return
    shared: set[str] = set()
    for chunk in _chunks(sorted({s.digest for s in moved})):
        shared.update(
            Selector.objects.filter(active=True, digest__any=chunk)
            .values("digest")
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
            .values_list("digest", flat=True)
        )
    groups: dict[tuple[int, int], dict[str, Selector]] = defaultdict(dict)
    for selector in moved:
        if selector.digest in shared:
            groups[(selector.organisation_id, selector.case_id)][selector.digest] = selector
    for new in groups.values():
        organisation = next(iter(new.values())).organisation
        _by_digest, created = _raise_hits(
            new=new, digest_map={d: d for d in new}, organisation=organisation, now=now, rekeying=True
        )
        result.hits_raised += len(created)
