"""Run the benchmark on a database loaded by ``manage.py bench_seed`` (not part of the tests).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench \\
        .venv/bin/python -m bench.run --scale national --out var/bench/national.json
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench_eu \\
        .venv/bin/python -m bench.run --scale european --baseline var/bench/national.json \\
        --out var/bench/european.json

Writes every figure (median and p95 in ms over ``--repeat`` runs, query counts) and every
target with its measured value to the results file, and prints the target table. See
docs/PERFORMANCE.md for what is measured and why.
"""

import argparse
import importlib.metadata
import json
import os
import platform
import statistics
import sys
import time
from functools import partial
from pathlib import Path


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")
    # Production-like: no debug bookkeeping. Notification emails go to an in-process broker,
    # so the broker is not part of what is timed.
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def machine() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        version = cursor.fetchone()[0].split(" on ")[0]
        cursor.execute("SELECT current_setting('shared_buffers'), current_setting('work_mem')")
        shared_buffers, work_mem = cursor.fetchone()
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    import django

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "postgresql": version,
        "shared_buffers": shared_buffers,
        "work_mem": work_mem,
        "python": platform.python_version(),
        "django": django.get_version(),
        "django_guardian": importlib.metadata.version("django-guardian"),
        # Anything else running on the machine shows here (the figures are wall-clock times).
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "cpu_calibration_ms_at_start": cpu_calibration(),
    }


def cpu_calibration() -> float:
    """Milliseconds for ``sum(range(10**6))`` (median of 7): how fast this vCPU ran CPython
    during the run. A shared virtual machine's speed varies from hour to hour; comparing this
    figure between runs tells a slower machine from a slower portal."""
    timings = []
    for _ in range(7):
        started = time.perf_counter()
        sum(range(10**6))
        timings.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(timings), 2)


def measure_lists(*, repeat: int) -> dict:
    from bench.measure import (
        LISTS,
        bench_memberships,
        list_raw,
        lists_agree,
        raw_shape,
        timed,
        verified_client,
        view_request,
    )

    results = {}
    for name, membership in bench_memberships().items():
        agreed = lists_agree(membership)
        entry = {"visible_cases": agreed["portal"].total}
        entry["view"] = timed(view_request(verified_client(membership)), repeat=repeat)
        shape = raw_shape(membership)
        for implementation, function in LISTS.items():
            call = partial(list_raw, shape=shape) if function is list_raw else function
            entry[implementation] = timed(partial(call, membership), repeat=repeat)
        entry["raw_sql"]["shape"] = shape
        results[name] = entry
    return results


def _target(name: str, measured, limit, *, at_most: bool = True, unit: str = "") -> dict:
    met = None if measured is None else (measured <= limit if at_most else measured >= limit)
    return {"target": name, "limit": f"{'<=' if at_most else '>='} {limit}{unit}", "measured": measured, "met": met}


def targets(results: dict, baseline: dict | None) -> list[dict]:
    rows = []
    lists = results["lists"]
    for user in ("dense", "sparse"):
        entry = lists[user]
        rows.append(_target(f"(a) {user} list request p95", entry["view"]["p95_ms"], 20, unit=" ms"))
        rows.append(_target(f"(a) {user} list request queries", entry["view"]["queries"], 10))
        if baseline:
            ratio = entry["view"]["p95_ms"] / baseline["lists"][user]["view"]["p95_ms"]
            rows.append(_target(f"(a) {user} p95 {results['scale']}/{baseline['scale']}", round(ratio, 2), 1.2))
        speedup = entry["stock_guardian"]["p95_ms"] / entry["portal"]["p95_ms"]
        row = _target(f"(b) {user} stock guardian p95 / portal p95", round(speedup, 1), 20, at_most=False)
        if results["scale"] != "european":
            row["met"] = None  # the target is set at European scale; smaller scales are shown for the trend
        rows.append(row)
        floor = entry["portal"]["p95_ms"] / entry["raw_sql"]["p95_ms"]
        rows.append(_target(f"(c) {user} portal p95 / raw SQL p95", round(floor, 2), 1.5))
    registration = results.get("registration")
    if registration:
        rows.append(_target("(d) single registration p95", registration["single_fresh"]["p95_ms"], 10, unit=" ms"))
        rows.append(_target("(d) batch of 10,000 p95", registration["batch"]["p95_ms"] / 1000, 2, unit=" s"))
        hot = registration["single_hot"]["p95_ms"] / registration["single_fresh"]["p95_ms"]
        rows.append(_target("(d) value held by 1,000 cases / fresh value (p95)", round(hot, 2), 3))
    http = results.get("http")
    if http:
        rows.append(_target("(e) case detail API requests/s", http["requests_per_s"], 300, at_most=False))
        rows.append(_target("(e) non-2xx responses and socket errors", http["non_2xx"] + http["socket_errors"], 0))
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", required=True, help="The scale the database was seeded with (for the record).")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--batches", type=int, default=3, help="Batches of 10,000 selectors to time.")
    parser.add_argument("--http-seconds", type=int, default=20)
    parser.add_argument("--baseline", type=Path, help="Results of a smaller scale, for the flat-cost ratio.")
    parser.add_argument("--skip", nargs="*", default=[], choices=["lists", "registration", "http"])
    args = parser.parse_args(argv)
    _setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("bench.run measures PostgreSQL: set DATABASE_URL to the database bench_seed loaded.")
    from bench.measure import bench_memberships
    from cases.models import Case
    from deconfliction.models import Selector

    results: dict = {"scale": args.scale, "machine": machine(), "repeat": args.repeat}
    results["rows"] = {"cases": Case.objects.count(), "selectors": Selector.objects.count()}
    if "lists" not in args.skip:
        results["lists"] = measure_lists(repeat=args.repeat)
    dense = bench_memberships()["dense"]
    if "registration" not in args.skip:
        from bench.registration import measure_registration

        results["registration"] = measure_registration(dense, repeat=args.repeat, batches=args.batches)
    if "http" not in args.skip:
        from bench.http import measure_http

        results["http"] = measure_http(dense, seconds=args.http_seconds)
    results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["cpu_calibration_ms_at_end"] = cpu_calibration()
    baseline = json.loads(args.baseline.read_text()) if args.baseline else None
    if "lists" in results:
        results["targets"] = targets(results, baseline)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    for row in results.get("targets", []):
        verdict = {True: "met", False: "MISSED", None: "-"}[row["met"]]
        print(f"{row['target']:<55} {row['limit']:>10} {row['measured']!s:>10}  {verdict}")
    print(f"results: {args.out}")


if __name__ == "__main__":
    main()
