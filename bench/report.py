"""Render bench/results.json as the Markdown tables of docs/performance.md (printed)."""

from __future__ import annotations

import json
import sys

from bench.run import PAGES, RESULTS


def _pages_table(runs: list[dict], key: str) -> list[str]:
    head = "| run | backend | activities | " + " | ".join(f"{p} cold / warm (s)" for p in PAGES)
    lines = [head + " |", "|" + "---|" * (3 + len(PAGES))]
    for run in runs:
        pages = run.get(key)
        if not pages:
            continue
        cells = [f"{pages[p]['cold']:.2f} / {pages[p]['warm']:.2f}" for p in PAGES]
        first = f"| {run.get('label', '')} | {run['backend']} | {run['activities']:,} | "
        lines.append(first + " | ".join(cells) + " |")
    return lines


def _data_table(runs: list[dict]) -> list[str]:
    lines = [
        "| run | backend | activities | overview numbers from rollups (s) | same from raw (s) "
        "| raw ÷ rollups | raw ÷ overview page cold | same result |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        d = run["data"]
        cold = run["pages_city"]["overview"]["cold"]
        ratio = d["raw_s"] / d["rollups_s"]
        lines.append(
            f"| {run.get('label', '')} | {run['backend']} | {run['activities']:,} "
            f"| {d['rollups_s']:.3f} | {d['raw_s']:.2f} "
            f"| {ratio:.0f}× | {d['raw_s'] / cold:.1f}× | {d['same_result']} |"
        )
    return lines


def main() -> int:
    """Print the tables."""
    results = json.loads(RESULTS.read_text())
    runs = results.get("runs", [])
    out = ["### Page script runs (AppTest), city view, period 2025", ""]
    out += _pages_table(runs, "pages_city")
    if any("pages_region" in r for r in runs):
        out += ["", "### Page script runs at a district", ""] + _pages_table(runs, "pages_region")
    out += ["", "### Overview numbers: rollups vs the raw activities table", ""] + _data_table(runs)
    labels = {r.get("label"): r.get("note") for r in runs if r.get("label")}
    if labels:
        out += [""] + [f"- run {k}: {v}" for k, v in labels.items()]
    if runs:
        m = runs[-1]["machine"]
        out += [
            "",
            f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, Python {m['python']}, "
            f"{m['platform']}.",
        ]
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
