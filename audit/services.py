"""Writing audit events.

Success events are written in the same transaction as the action they record: if the event
cannot be written, the action rolls back with it. Refused and failed actions are written with
``durable=True``: in a transaction of their own, which raises if someone calls it inside an
open transaction, so a later rollback can never swallow the record of a refusal.
"""

import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models.sql import InsertQuery
from django.http import HttpRequest
from django.utils import timezone

from audit.chain import event_hash
from audit.models import AUDIT_CHAINS, AuditChainHead, AuditEvent
from audit.selectors import audit_chain_verify
from portal.utils.http import client_ip
from portal.utils.jsonsafe import jsonb_safe

Result = AuditEvent.Result
logger = logging.getLogger(__name__)


def _chain_for(actor_id: int | None) -> int:
    # One actor's events stay in one chain (their order is then provable); anonymous events
    # (failed logins) spread over all chains.
    return actor_id % AUDIT_CHAINS if actor_id else secrets.randbelow(AUDIT_CHAINS)


def _locked_head(chain: int) -> tuple[int, str]:
    """The chain head's sequence number and hash, locked until the transaction ends.

    Heads are created on first use (and again after a test flush); ignore_conflicts makes the
    creation race-free, the row lock then serialises appends to this chain only. The head
    almost always exists: lock it first, so an event costs one statement less."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT seq, hash FROM audit_auditchainhead WHERE chain = %s FOR UPDATE", [chain])
            row = cursor.fetchone()
        if row is not None:
            return row
    else:
        head = AuditChainHead.objects.select_for_update().filter(chain=chain).first()
        if head is not None:
            return head.seq, head.hash
    AuditChainHead.objects.bulk_create([AuditChainHead(chain=chain)], ignore_conflicts=True)
    head = AuditChainHead.objects.select_for_update().get(chain=chain)
    return head.seq, head.hash


def _append(rows: list[dict]) -> list[AuditEvent]:
    """Append events (dicts of AuditEvent fields), returned in the order given.

    Per chain one head lock, one insert and one head update however many rows: the events a
    request deferred (see ``audit_record``) and the hits of a batch go in together. Heads are
    locked in chain order, so two writers cannot deadlock.
    """
    by_chain: dict[int, list[int]] = {}
    for index, row in enumerate(rows):
        by_chain.setdefault(_chain_for(row["actor_id"]), []).append(index)
    events: list[AuditEvent | None] = [None] * len(rows)
    for chain in sorted(by_chain):
        seq, prev_hash = _locked_head(chain)
        for index in by_chain[chain]:
            seq += 1
            created_at = timezone.now()
            row = rows[index]
            digest = event_hash(prev_hash=prev_hash, chain=chain, seq=seq, created_at=created_at, **row)
            events[index] = AuditEvent(
                chain=chain, seq=seq, created_at=created_at, prev_hash=prev_hash, hash=digest, **row
            )
            prev_hash = digest
        _write(chain, [events[index] for index in by_chain[chain]], seq, prev_hash)
    return events


def _write(chain: int, events: list[AuditEvent], seq: int, head_hash: str) -> None:
    """Insert the events and move the chain head past them.

    On PostgreSQL one statement does both (a data-modifying CTE): every request that reads a
    case appends an event, and issue 10's benchmark counted the third round trip and the ORM's
    work for the update at about a tenth of an API read."""
    if connection.vendor != "postgresql":
        AuditEvent.objects.bulk_create(events)
        AuditChainHead.objects.filter(chain=chain).update(seq=seq, hash=head_hash)
        return
    fields = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]
    query = InsertQuery(AuditEvent)
    query.insert_values(fields, events)
    ((insert_sql, insert_params),) = query.get_compiler(connection=connection).as_sql()
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH inserted AS ({insert_sql} RETURNING id), "  # noqa: S608 - the ORM's own INSERT
            "head AS (UPDATE audit_auditchainhead SET seq = %s, hash = %s WHERE chain = %s) "
            "SELECT id FROM inserted ORDER BY id",
            [*insert_params, seq, head_hash, chain],
        )
        for event, (pk,) in zip(events, cursor.fetchall(), strict=True):
            event.pk = event.id = pk
            event._state.adding, event._state.db = False, connection.alias


def _object_ref(obj: Any) -> tuple[str, str]:
    if obj is None:
        return "", ""
    object_type = f"{obj._meta.app_label}.{obj._meta.model_name}"
    object_id = str(getattr(obj, "uuid", None) or obj.pk)
    return object_type, object_id


def audit_record(
    *,
    action: str,
    result: str = Result.SUCCESS,
    request: HttpRequest | None = None,
    actor: Any = None,
    organisation: Any = None,
    obj: Any = None,
    object_type: str = "",
    object_id: str = "",
    details: dict | None = None,
    durable: bool = False,
    defer: bool = False,
) -> AuditEvent | None:
    """Append one audit event.

    ``actor`` and ``organisation`` default to the request's user and active organisation.
    Pass ``durable=True`` for refused or failed actions (see the module docstring), and
    ``defer=True`` for an event that may wait for the request's next one (a token's use on a
    read: two events, one commit and one lock of the actor's chain per API request).
    """
    if actor is None and request is not None and getattr(request, "user", None) is not None:
        actor = request.user if request.user.is_authenticated else None
    if organisation is None and request is not None:
        membership = getattr(request, "membership", None)
        organisation = membership.organisation if membership is not None else None
    if obj is not None:
        object_type, object_id = _object_ref(obj)
    safe_details = jsonb_safe(details or {})
    fields = {
        "actor_id": actor.pk if actor is not None else None,
        "actor_label": (actor.email if actor is not None else "")[:254],
        "organisation_id": organisation.pk if organisation is not None else None,
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "result": str(result),
        "source_ip": client_ip(request),
        "details": safe_details,
    }
    if defer:
        # A bearer token's use on a read: held on the request and written with the request's
        # next event (the gateway's case.view) in one transaction, or by PendingAuditMiddleware
        # before the response leaves. Either way no response goes out without it (SECURITY.md 21).
        _http_request(request).__dict__.setdefault(PENDING_ATTR, []).append(fields)
        return None
    pending = _pending(request) if durable or _outside_transaction() else []
    # No savepoint inside the caller's transaction: if the event cannot be written the whole
    # action must roll back anyway (SECURITY.md line 21), and a savepoint is two more round
    # trips on every audited change.
    with transaction.atomic(durable=durable, savepoint=False):
        event = _append([*pending, fields])[-1]
    del pending[:]  # only once committed: after a failure the middleware still tries them
    return event


PENDING_ATTR = "_audit_pending"


def _http_request(request: Any) -> Any:
    return getattr(request, "_request", request)  # DRF's Request wraps the HttpRequest


def _pending(request: Any) -> list[dict]:
    return getattr(_http_request(request), PENDING_ATTR, []) if request is not None else []


def _outside_transaction() -> bool:
    # Deferred events join only a transaction of their own: inside a caller's transaction they
    # could roll back with it. The test case's wrapping transaction does not count.
    return all(block._from_testcase for block in connection.atomic_blocks)


def audit_flush(request: Any) -> None:
    """Write the events ``request`` deferred and nothing else wrote (PendingAuditMiddleware)."""
    pending = _pending(request)
    if pending:
        with transaction.atomic():
            _append(pending)
        del pending[:]


def audit_record_many(*, action: str, objs: list, organisation: Any = None, details=None) -> list[AuditEvent]:
    """One event per object, appended to one chain under one lock with one insert.

    For services that act on many objects at once (a batch of selectors can raise hundreds of
    hits): ``audit_record`` per object would lock, insert and update the chain head for each.
    ``details`` is a function of the object. Written in the caller's transaction, like any
    success event.
    """
    if not objs:
        return []
    rows = []
    for obj in objs:
        object_type, object_id = _object_ref(obj)
        rows.append(
            {
                "actor_id": None,
                "actor_label": "",
                "organisation_id": organisation.pk if organisation is not None else None,
                "action": action,
                "object_type": object_type,
                "object_id": object_id,
                "result": str(Result.SUCCESS),
                "source_ip": None,
                "details": jsonb_safe(details(obj) if details else {}),
            }
        )
    with transaction.atomic(savepoint=False):
        return _append(rows)


def audit_purge_expired() -> int:
    """The retention job: each chain's events older than ``AUDIT_RETENTION_DAYS``."""
    return audit_purge_before(cutoff=timezone.now() - timedelta(days=settings.AUDIT_RETENTION_DAYS))


def audit_purge_before(*, cutoff: datetime) -> int:
    """Delete, per chain, the sealed prefix of events created before ``cutoff``.

    Only a whole prefix goes: events are appended in time order under the chain's head lock, so
    everything up to the newest old event is old too. The head's base then moves to that event,
    so the first remaining event still links to it and ``audit_verify`` keeps passing. On
    PostgreSQL the append-only trigger lets the DELETE through only for this transaction
    (``SET LOCAL``). Each purge is itself recorded, so a gap in the trail is always explained.
    """
    total = 0
    for chain in range(AUDIT_CHAINS):
        with transaction.atomic():
            if not AuditChainHead.objects.select_for_update().filter(chain=chain).exists():
                continue
            last = (
                AuditEvent.objects.filter(chain=chain, created_at__lt=cutoff)
                .order_by("-seq")
                .values("seq", "hash")
                .first()
            )
            if last is None:
                continue
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    cursor.execute("SET LOCAL portal.audit_purge = 'on'")
                cursor.execute(
                    f"DELETE FROM {AuditEvent._meta.db_table} WHERE chain = %s AND seq <= %s",  # noqa: S608 - table name from the model
                    [chain, last["seq"]],
                )
                purged = cursor.rowcount
                if connection.vendor == "postgresql":
                    # SET LOCAL lasts until the outermost transaction ends; when called inside
                    # one, close the door again at once rather than at its commit.
                    cursor.execute("SET LOCAL portal.audit_purge = 'off'")
            AuditChainHead.objects.filter(chain=chain).update(base_seq=last["seq"], base_hash=last["hash"])
        total += purged
        audit_record(
            action="audit.purge",
            details={"chain": chain, "through_seq": last["seq"], "events": purged, "before": cutoff.isoformat()},
        )
    return total


def audit_chain_check() -> list[str]:
    """Verify the chains and record the outcome as an audit event of its own.

    Run daily by Celery beat: tampering is noticed within a day even if nobody runs the
    command by hand.
    """
    problems = audit_chain_verify()
    for problem in problems:
        logger.error("audit chain broken: %s", problem)
    audit_record(
        action="audit.verify",
        result=Result.FAILURE if problems else Result.SUCCESS,
        details={"problems": problems[:20]},
    )
    return problems


def audit_denied(request: HttpRequest, *, action: str, object_type: str = "", object_id: str = "") -> None:
    """A refused request (usually answered 404), recorded in a write of its own."""
    audit_record(
        action=action,
        result=Result.DENIED,
        request=request,
        object_type=object_type,
        object_id=str(object_id),
        durable=True,
    )
