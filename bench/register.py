"""Selector registration timings on the configured database (not part of the test run).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench \\
        .venv/bin/python -m bench.register --single 300 --batch 10000

Needs a migrated database with the demo loaded (``manage.py migrate && manage.py seed_demo``).
Prints median and p95 of single registrations and the time of one batch, as JSON.
"""

import argparse
import json
import os
import statistics
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--single", type=int, default=300)
    parser.add_argument("--batch", type=int, default=10_000)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import override_settings

    from cases.models import Case
    from deconfliction.services import SelectorItem, selector_register, selectors_register_batch
    from portal.demo_cases import _access

    case = Case.objects.get(title="Operation Heron")
    access = _access("liaison@tbkk.politie.example", case)
    run = int(time.time())
    timings = []
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        SELECTOR_RATE_USER_PER_HOUR=10**9,
        SELECTOR_RATE_ORG_PER_HOUR=10**9,
        SELECTOR_FLAG_USER_PER_HOUR=10**9,
    ):
        for i in range(args.single):
            started = time.perf_counter()
            selector_register(access=access, kind="email", value=f"bench{run}.{i}@example.org", reason="bench")
            timings.append((time.perf_counter() - started) * 1000)
        items = [SelectorItem(kind="email", value=f"batch{run}.{i}@example.org") for i in range(args.batch)]
        started = time.perf_counter()
        results = selectors_register_batch(access=access, items=items, reason="bench")
        batch_seconds = time.perf_counter() - started
    timings.sort()
    print(
        json.dumps(
            {
                "database": connection.vendor,
                "single_registrations": args.single,
                "single_median_ms": round(statistics.median(timings), 2),
                "single_p95_ms": round(timings[int(len(timings) * 0.95) - 1], 2),
                "batch_size": args.batch,
                "batch_registered": sum(r.status == "registered" for r in results),
                "batch_seconds": round(batch_seconds, 2),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
