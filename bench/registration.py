"""Selector registration timings through the portal's own services (matching against the
whole selector table), on cases the dense user's organisation leads."""

import random
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta

from django.test.utils import override_settings
from django.utils import timezone

from bench.measure import summarise
from bench.seed import HOT_VALUE
from cases.models import Case
from cases.selectors import CaseAccess, case_access_for
from deconfliction.models import Selector
from deconfliction.services import SelectorItem, selector_register, selectors_register_batch
from partners.models import Membership
from portal.utils.crypto import decrypt_str

BATCH_SIZE = 10_000


@contextmanager
def unthrottled():
    """The hourly registration limits exist against misuse; the benchmark registers more in
    minutes than a person may in an hour."""
    with override_settings(
        SELECTOR_RATE_USER_PER_HOUR=10**9, SELECTOR_RATE_ORG_PER_HOUR=10**9, SELECTOR_FLAG_USER_PER_HOUR=10**9
    ):
        yield


def _access(membership: Membership, case: Case) -> CaseAccess:
    return case_access_for(membership=membership, case=case)


def _led_cases(membership: Membership, count: int, *, without_digest: str | None = None) -> list[Case]:
    cases = Case.objects.filter(lead_organisation=membership.organisation).select_related("lead_organisation")
    if without_digest:
        cases = cases.exclude(selectors__digest=without_digest, selectors__active=True)
    found = list(cases.order_by("-id")[:count])
    if len(found) < count:
        raise RuntimeError(f"the bench organisation leads only {len(found)} suitable cases, {count} needed")
    return found


def _held_values(exclude_organisation_id: int, count: int) -> list[tuple[str, str]]:
    """(kind, value as typed) of selectors other organisations hold, read back as the portal
    reads them (decrypting the stored raw value)."""
    # From a random place in the table, so a rerun does not offer the batch cases values they
    # already hold (they would count as already registered and raise no hit).
    # Earlier runs used up ids past the seeded rows (their selectors were deleted), so wrap
    # around to the start of the table when the random place is too near its end.
    last = Selector.objects.order_by("-id").values_list("id", flat=True).first() or 0
    start = random.randint(0, last)
    held = Selector.objects.filter(kind="email", active=True).exclude(organisation_id=exclude_organisation_id)
    rows = list(held.filter(id__gte=start).order_by("id").values_list("kind", "raw_encrypted")[:count])
    rows += held.filter(id__lt=start).order_by("id").values_list("kind", "raw_encrypted")[: count - len(rows)]
    return [(kind, decrypt_str(raw)) for kind, raw in rows]


def measure_registration(membership: Membership, *, repeat: int, batches: int, batch_size: int = BATCH_SIZE) -> dict:
    """Single registrations of fresh values, of HOT_VALUE (already held by 1,000 cases) on
    cases that do not hold it yet, and batches of ``batch_size`` (1% of them values other
    organisations already hold)."""
    from deconfliction.digests import digest_current

    run = uuid.uuid4().hex[:8]
    reason = f"bench run {run}"
    hot_kind, hot_typed = HOT_VALUE
    hot_digest = digest_current(hot_kind, f"sha256:{hot_typed}")[1]
    cases = _led_cases(membership, 1 + batches)
    fresh_access = _access(membership, cases[0])
    hot_cases = _led_cases(membership, repeat, without_digest=hot_digest)
    # The hourly rate check counts the user's and the organisation's registrations of the last
    # hour, so its cost depends on them (earlier runs' batches count too): record it.
    since = timezone.now() - timedelta(hours=1)
    results: dict = {
        "organisation_registrations_last_hour": Selector.objects.filter(
            organisation=membership.organisation, registered_at__gte=since
        ).count()
    }
    with unthrottled():
        fresh = []
        for i in range(repeat):
            started = time.perf_counter()
            selector_register(access=fresh_access, kind="email", value=f"fresh{run}.{i}@bench.example", reason=reason)
            fresh.append((time.perf_counter() - started) * 1000)
        results["single_fresh"] = summarise(fresh)

        hot, hot_hits = [], 0
        for case in hot_cases:
            started = time.perf_counter()
            registration = selector_register(
                access=_access(membership, case), kind=hot_kind, value=hot_typed, reason=reason
            )
            hot.append((time.perf_counter() - started) * 1000)
            hot_hits = max(hot_hits, len(registration.hits))
        # The first registration by an organisation creates one hit per holding organisation
        # and tells each; later ones find those hits open and write nothing to them.
        results["single_hot"] = summarise(hot) | {
            "first_ms": round(hot[0], 2),
            "holders": Selector.objects.filter(digest=hot_digest, active=True).count() - len(hot),
            "hits_per_registration": hot_hits,
        }

        held = _held_values(membership.organisation_id, batch_size // 100)
        batch_times, batch_counts = [], {}
        for b, case in enumerate(cases[1:]):
            items = [SelectorItem(kind=k, value=v) for k, v in held]
            items += [
                SelectorItem(kind="email", value=f"batch{run}.{b}.{i}@bench.example")
                for i in range(batch_size - len(items))
            ]
            started = time.perf_counter()
            registrations = selectors_register_batch(access=_access(membership, case), items=items, reason=reason)
            batch_times.append((time.perf_counter() - started) * 1000)
            batch_counts = {
                "registered": sum(r.status == "registered" for r in registrations),
                "with_hits": sum(bool(r.hits) for r in registrations),
            }
        results["batch"] = summarise(batch_times) | batch_counts | {"size": batch_size}
    # Leave the table as the run found it: otherwise the next run's rate check counts this
    # run's 30,000 registrations (more than the hourly limits allow a real organisation).
    # Hits this run raised stay, as they would in use.
    Selector.objects.filter(reason=reason).delete()
    return results
