"""Reading the audit log."""

from audit.chain import hash_of
from audit.models import AUDIT_CHAINS, AuditChainHead, AuditEvent


def _first_broken_link(chain: int, head: AuditChainHead) -> str | None:
    expected_seq, expected_prev = head.base_seq + 1, head.base_hash
    for event in AuditEvent.objects.filter(chain=chain).order_by("seq").iterator(chunk_size=2000):
        where = f"chain {chain}: event id {event.id} (seq {event.seq})"
        if event.seq != expected_seq:
            return f"{where}: expected seq {expected_seq} (an event was deleted or inserted before it)"
        if event.prev_hash != expected_prev:
            return f"{where} does not link to its predecessor"
        if hash_of(event) != event.hash:
            return f"{where} was altered: its hash does not match its content"
        expected_seq, expected_prev = event.seq + 1, event.hash
    if expected_seq - 1 != head.seq or expected_prev != head.hash:
        return (
            f"chain {chain}: ends at seq {expected_seq - 1} but its head records seq {head.seq} "
            "(events deleted at the end)"
        )
    return None


def audit_chain_verify() -> list[str]:
    """Walk every chain from its base to its head; return the first broken link of each."""
    problems: list[str] = []
    heads = {h.chain: h for h in AuditChainHead.objects.all()}
    chains = set(heads) | set(AuditEvent.objects.values_list("chain", flat=True).distinct())
    for chain in sorted(chains):
        head = heads.get(chain)
        if head is None or chain >= AUDIT_CHAINS:
            problems.append(f"chain {chain}: events without a chain head")
            continue
        broken = _first_broken_link(chain, head)
        if broken:
            problems.append(broken)
    return problems
