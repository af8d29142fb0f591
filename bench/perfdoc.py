"""Writing one benchmark's marked section into docs/performance.md (for scripts that do not use
bench/results.json)."""

from __future__ import annotations

import os
import platform
import re
import resource
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

PERFORMANCE_MD = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
HEADER = (
    "# Performance\n\nEach section is written by the benchmark script it names, which measures a\n"
    "baseline in the same run. Numbers are from the machine stated in the section; the machines\n"
    "are shared and noisy, so compare within a section, not across sections.\n"
)


def machine_summary() -> str:
    """The CPU model, core count and memory of this machine, in one line."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        if found:
            model = found.group(1).strip()
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kb = int(re.search(r"MemTotal:\s*(\d+)", meminfo.read_text()).group(1))
        memory = f", {kb / 1024 / 1024:.0f} GiB"
    return f"{model}, {os.cpu_count()} cores{memory}"


def timed_process(command: list[str], cwd: Path) -> tuple[float, float, str]:
    """Run a command to its end (it must succeed); its wall seconds, its CPU seconds (user and
    system, of it and its own children) and what it printed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def turn_about(
    trees: dict[str, Path], runs: int, measure: Callable[[Path], dict]
) -> tuple[dict[str, list[dict]], float]:
    """measure(tree) of each tree in turn, `runs` rounds (each printed as it comes); the results
    by tree label and the machine's load average (the mean of before and after)."""
    results: dict[str, list[dict]] = {label: [] for label in trees}
    load = os.getloadavg()[0]
    for i in range(runs):
        for label, tree in trees.items():
            result = measure(tree)
            print(label, i, result, flush=True)
            results[label].append(result)
    return results, (load + os.getloadavg()[0]) / 2


def wall_cpu_cells(results: list[dict]) -> str:
    """A results table's wall median, wall range and CPU median cells ("wall_s", "cpu_s")."""
    walls = [r["wall_s"] for r in results]
    cpu = statistics.median(r["cpu_s"] for r in results)
    return f"{statistics.median(walls):.1f} | {min(walls):.1f}–{max(walls):.1f} | {cpu:.1f}"


def write_section(key: str, title: str, body: str) -> None:
    """Replace (or append) the benchmark's section in docs/performance.md."""
    start, end = f"<!-- bench:{key} -->", f"<!-- /bench:{key} -->"
    text = PERFORMANCE_MD.read_text(encoding="utf-8") if PERFORMANCE_MD.exists() else HEADER
    section = f"{start}\n## {title}\n\n{body.strip()}\n{end}"
    if start in text and end in text:
        text = text[: text.index(start)] + section + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    PERFORMANCE_MD.parent.mkdir(exist_ok=True)
    PERFORMANCE_MD.write_text(text, encoding="utf-8")
