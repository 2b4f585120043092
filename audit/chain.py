"""How an audit event is hashed; shared by the writer and the verifier."""

import hashlib
import json
from datetime import UTC, datetime


def _utc_iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(
    *,
    prev_hash: str,
    chain: int,
    seq: int,
    created_at: datetime,
    actor_id,
    actor_label: str,
    organisation_id,
    action: str,
    object_type: str,
    object_id: str,
    result: str,
    source_ip,
    details: dict,
) -> str:
    content = json.dumps(
        {
            "chain": chain,
            "seq": seq,
            "created_at": _utc_iso(created_at),
            "actor_id": actor_id,
            "actor_label": actor_label,
            "organisation_id": organisation_id,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "result": result,
            "source_ip": source_ip,
            "details": details,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(f"{prev_hash}\n{content}".encode()).hexdigest()


def hash_of(event) -> str:
    return event_hash(
        prev_hash=event.prev_hash,
        chain=event.chain,
        seq=event.seq,
        created_at=event.created_at,
        actor_id=event.actor_id,
        actor_label=event.actor_label,
        organisation_id=event.organisation_id,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        result=event.result,
        source_ip=event.source_ip,
        details=event.details,
    )
