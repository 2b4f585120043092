"""Markdown tables from results files written by ``bench.run`` (for docs/PERFORMANCE.md).

.venv/bin/python -m bench.report var/bench/national.json var/bench/european.json
"""

import argparse
import json
from collections.abc import Iterable
from pathlib import Path


def _ms(entry: dict) -> str:
    return f"{entry['median_ms']} / {entry['p95_ms']}"


def _markdown(columns: list[str], rows: Iterable[list]) -> list[str]:
    return [
        f"| {' | '.join(columns)} |",
        f"|{'---|' * len(columns)}",
        *(f"| {' | '.join(str(cell) for cell in row)} |" for row in rows),
    ]


def lists_table(runs: list[dict]) -> list[str]:
    def rows():
        for run in runs:
            for user, entry in run["lists"].items():
                view, portal = entry["view"], entry["portal"]
                yield [
                    run["scale"],
                    user,
                    f"{entry['visible_cases']:,}",
                    _ms(view),
                    f"{view['queries']} (+{view['statements'] - view['queries']})",
                    _ms(portal),
                    _ms(entry["stock_guardian"]),
                    _ms(entry["raw_sql"]),
                    f"{entry['stock_guardian']['p95_ms'] / portal['p95_ms']:.1f}x",
                    f"{portal['p95_ms'] / entry['raw_sql']['p95_ms']:.2f}",
                ]

    columns = ["scale", "user", "visible", "request (view)", "queries", "portal list", "stock guardian"]
    return _markdown([*columns, "raw SQL", "stock / portal", "portal / raw"], rows())


def registration_table(runs: list[dict]) -> list[str]:
    rows = (
        [run["scale"], _ms(r["single_fresh"]), _ms(r["single_hot"]), r["single_hot"]["first_ms"], _ms(r["batch"])]
        for run in runs
        if (r := run.get("registration"))
    )
    columns = ["scale", "fresh value", "value held by 1,000 cases", "first of those", "batch of 10,000"]
    return _markdown(columns, rows)


def http_table(runs: list[dict]) -> list[str]:
    keys = ["requests_per_s", "p50_ms", "p90_ms", "p99_ms", "max_ms", "non_2xx", "socket_errors"]
    rows = ([run["scale"], *(h[key] for key in keys)] for run in runs if (h := run.get("http")))
    return _markdown(["scale", "requests/s", "p50", "p90", "p99", "max", "non-2xx", "socket errors"], rows)


def _ratio(row: dict) -> str:
    """Measured over the limit: at most 1.0 meets an "at most" target, at least 1.0 an "at least"."""
    limit = float(row["limit"].split()[1].rstrip("ms").strip() or 0)
    if not limit or row["measured"] is None:
        return "-"
    return f"{float(row['measured']) / limit:.2f}"


def targets_table(runs: list[dict]) -> list[str]:
    verdicts = {True: "yes", False: "**no**", None: "-"}
    rows = (
        [run["scale"], row["target"], row["limit"], row["measured"], _ratio(row), verdicts[row["met"]]]
        for run in runs
        for row in run.get("targets", [])
    )
    return _markdown(["scale", "target", "limit", "measured", "measured / limit", "met"], rows)


def machine_table(runs: list[dict]) -> list[str]:
    rows = (
        [
            run["scale"],
            f"{run['machine'].get('cpu_calibration_ms_at_start', '-')} / {run.get('cpu_calibration_ms_at_end', '-')}",
            f"{run['machine']['load_average_at_start'][0]} / {run.get('load_average_at_end', ['-'])[0]}",
        ]
        for run in runs
    )
    columns = ["scale", "CPU calibration, start / end (ms)", "load average, start / end (1 min)"]
    return _markdown(columns, rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("results", nargs="+", type=Path)
    runs = [json.loads(path.read_text()) for path in parser.parse_args().results]
    for title, table in (
        ("Targets", targets_table),
        ("The machine during the runs", machine_table),
        ("Case list (ms, median / p95)", lists_table),
        ("Selector registration (ms, median / p95)", registration_table),
        ("Case detail API over HTTP (latency in ms)", http_table),
    ):
        print(f"### {title}\n")
        print("\n".join(table(runs)) + "\n")


if __name__ == "__main__":
    main()
