"""The unfiltered case list through two designs in one process, alternating, so that a change in
the machine's speed falls on both alike (docs/PERFORMANCE.md, "The machine"):

- ``newest``: the grants' own newest-first index (design D, what the portal runs);
- ``walk``: the statement the portal runs for a filtered list (design B5 with its dense and
  sparse plans), forced for the unfiltered list, which is what the portal ran before the grants
  carried their case's ``opened_at``.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_bench \\
        .venv/bin/python -m bench.ab_lists --out docs/performance/list_designs_national.json

For each bench user: the portal's list (``case_list``) and the whole page (``/cases/``), median
and p95 in ms over ``--repeat`` alternating rounds, and each statement's planning and execution
time under ``EXPLAIN ANALYZE`` (median of 9).
"""

import argparse
import json
import time
from pathlib import Path
from unittest import mock

from bench.run import _setup, cpu_calibration

DESIGNS = ("newest", "walk")


def _forced(design: str):
    from cases import listing

    if design == "walk":
        return mock.patch.object(listing, "_has_conditions", return_value=True)
    return mock.patch.object(listing, "_has_conditions", wraps=listing._has_conditions)


def _explain(membership, design: str) -> dict:
    from django.db import connection

    from cases import listing
    from cases.selectors import SPARSE_LIMIT, CaseFilters

    with _forced(design):
        statement = listing.list_statement(
            membership=membership,
            filters=CaseFilters(),
            restricted=False,
            offset=0,
            limit=50,
            sparse_limit=SPARSE_LIMIT,
        )
    timings = []
    with connection.cursor() as cursor:
        for _ in range(9):
            cursor.execute("EXPLAIN (ANALYZE, SUMMARY) " + statement.sql, statement.params)
            lines = [row[0] for row in cursor.fetchall()]
            timings.append((float(lines[-2].split()[-2]), float(lines[-1].split()[-2])))
    planning, execution = sorted(timings, key=lambda pair: pair[1])[4]
    return {"explain_planning_ms": planning, "explain_execution_ms": execution}


def compare(*, repeat: int) -> dict:
    from bench.measure import bench_memberships, summarise, verified_client
    from cases.selectors import CaseFilters, case_list

    results: dict = {"cpu_calibration_ms_at_start": cpu_calibration()}
    for name, membership in bench_memberships().items():
        client = verified_client(membership)
        times = {design: {"list": [], "view": []} for design in DESIGNS}
        plans = {}
        for round_number in range(repeat + 2):  # two unmeasured rounds first
            for design in DESIGNS:
                with _forced(design):
                    started = time.perf_counter()
                    page = case_list(membership=membership, filters=CaseFilters(), per_page=50)
                    listed = (time.perf_counter() - started) * 1000
                    started = time.perf_counter()
                    response = client.get("/cases/")
                    viewed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    raise AssertionError(f"/cases/ answered {response.status_code}")
                plans[design] = page.plan
                if round_number >= 2:
                    times[design]["list"].append(listed)
                    times[design]["view"].append(viewed)
        results[name] = {
            design: {
                "plan": plans[design],
                "list": summarise(times[design]["list"]),
                "view": summarise(times[design]["view"]),
                **_explain(membership, design),
            }
            for design in DESIGNS
        }
    results["cpu_calibration_ms_at_end"] = cpu_calibration()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    _setup()
    results = compare(repeat=args.repeat)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
