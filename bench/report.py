"""Markdown tables from results files written by ``bench.run`` (for docs/PERFORMANCE.md).

.venv/bin/python -m bench.report var/bench/national.json var/bench/european.json
"""

import argparse
import json
from pathlib import Path


def _ms(entry: dict) -> str:
    return f"{entry['median_ms']} / {entry['p95_ms']}"


def lists_table(runs: list[dict]) -> list[str]:
    lines = [
        "| scale | user | visible | request (view) | queries | portal list | stock guardian | raw SQL | "
        "stock / portal | portal / raw |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        for user, entry in run["lists"].items():
            stock = entry["stock_guardian"]["p95_ms"] / entry["portal"]["p95_ms"]
            floor = entry["portal"]["p95_ms"] / entry["raw_sql"]["p95_ms"]
            lines.append(
                f"| {run['scale']} | {user} | {entry['visible_cases']:,} | {_ms(entry['view'])} | "
                f"{entry['view']['queries']} (+{entry['view']['statements'] - entry['view']['queries']}) | "
                f"{_ms(entry['portal'])} | {_ms(entry['stock_guardian'])} | {_ms(entry['raw_sql'])} | "
                f"{stock:.1f}x | {floor:.2f} |"
            )
    return lines


def registration_table(runs: list[dict]) -> list[str]:
    lines = [
        "| scale | fresh value | value held by 1,000 cases | first of those | batch of 10,000 |",
        "|---|---|---|---|---|",
    ]
    for run in runs:
        r = run.get("registration")
        if r:
            lines.append(
                f"| {run['scale']} | {_ms(r['single_fresh'])} | {_ms(r['single_hot'])} | "
                f"{r['single_hot']['first_ms']} | {_ms(r['batch'])} |"
            )
    return lines


def http_table(runs: list[dict]) -> list[str]:
    lines = [
        "| scale | requests/s | p50 | p90 | p99 | max | non-2xx | socket errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        h = run.get("http")
        if h:
            lines.append(
                f"| {run['scale']} | {h['requests_per_s']} | {h['p50_ms']} | {h['p90_ms']} | {h['p99_ms']} | "
                f"{h['max_ms']} | {h['non_2xx']} | {h['socket_errors']} |"
            )
    return lines


def _ratio(row: dict) -> str:
    """Measured over the limit: at most 1.0 meets an "at most" target, at least 1.0 an "at least"."""
    limit = float(row["limit"].split()[1].rstrip("ms").strip() or 0)
    if not limit or row["measured"] is None:
        return "-"
    return f"{float(row['measured']) / limit:.2f}"


def targets_table(runs: list[dict]) -> list[str]:
    lines = [
        "| scale | target | limit | measured | measured / limit | met |",
        "|---|---|---|---|---|---|",
    ]
    for run in runs:
        for row in run.get("targets", []):
            verdict = {True: "yes", False: "**no**", None: "-"}[row["met"]]
            lines.append(
                f"| {run['scale']} | {row['target']} | {row['limit']} | {row['measured']} | {_ratio(row)} | {verdict} |"
            )
    return lines


def machine_table(runs: list[dict]) -> list[str]:
    lines = [
        "| scale | CPU calibration, start / end (ms) | load average, start / end (1 min) |",
        "|---|---|---|",
    ]
    for run in runs:
        machine = run["machine"]
        lines.append(
            f"| {run['scale']} | {machine.get('cpu_calibration_ms_at_start', '-')} / "
            f"{run.get('cpu_calibration_ms_at_end', '-')} | {machine['load_average_at_start'][0]} / "
            f"{run.get('load_average_at_end', ['-'])[0]} |"
        )
    return lines


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
