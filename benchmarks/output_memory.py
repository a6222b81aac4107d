"""Output memory: what writing ``evaluate --format json`` (full trace) adds to the peak.

    python benchmarks/output_memory.py            # the county (4,300 members) and 10× (43,000)
    python benchmarks/output_memory.py --quick    # 300 and 3,000 members
    python benchmarks/output_memory.py --json     # the figures as JSON as well

Each size runs in a fresh child process: it generates the county (``generate_county``),
evaluates the 渑池 card with full traces, then resets the peak (VmHWM, as ``run.py`` does)
and writes the result with the ``json`` reporter to a file, exactly as ``evaluate -o`` does.
What the writing adds is the peak during the write minus the memory held before it (the
data and the run); the old way, ``dumps`` to one string written at once, is measured the
same way for comparison.  The verdict: the memory the writing adds must not grow with the
size of the output (its growth from one size to the other, divided by the growth of the
output, stays near 0; the old way's is above 1).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from run import memory, reset_peak  # one way of reading the peak, as run.py does

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CARD = ROOT / "rulesets" / "mianchi" / "member-points.toml"
FULL_SIZES = (4300, 43000)
QUICK_SIZES = (300, 3000)
MB = 1024 * 1024


def _written(write: Any, target: Path) -> dict[str, float]:
    """Run ``write(file)``; the MB held before, the peak during, the seconds, the size."""
    held = memory()["VmRSS"]
    if not reset_peak():
        raise SystemExit("cannot reset the peak (/proc/self/clear_refs): Linux ≥ 4.0 needed")
    started = time.perf_counter()
    with target.open("w", encoding="utf-8") as file:
        write(file)
    seconds = time.perf_counter() - started
    peak = memory()["VmHWM"]
    size = target.stat().st_size / MB
    target.unlink()
    return {"held_mb": held, "peak_mb": peak, "added_mb": peak - held, "output_mb": size,
            "seconds": seconds}  # fmt: skip


def child(members: int, old_way: bool) -> dict[str, Any]:
    """One size, in this process: evaluate, then write the JSON (streamed, then the old way)."""
    from dangjian_rules import Period, dumps, evaluate, load_ruleset
    from dangjian_rules.io.formats import ReportOptions
    from dangjian_rules.plugins.manager import default_registry
    from dangjian_rules.tools.generate import generate_county

    card = load_ruleset(CARD)
    dataset = generate_county(members)
    run = evaluate([card], dataset, Period.parse("2015"))
    reporter = default_registry().reporters["json"]
    figures: dict[str, Any] = {"members": members, "events": run.data.events}
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "result.json"
        figures["streamed"] = _written(
            lambda file: reporter.write_to(run, [card], ReportOptions(), file), target
        )
        if old_way:
            figures["dumps"] = _written(lambda file: file.write(dumps(run)), target)
    return figures


def measure(members: int, old_way: bool) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", str(members)]
    command += ["--old-way"] if old_way else []
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def growth(small: dict[str, float], large: dict[str, float]) -> float:
    """The growth of what the writing adds, per MB of growth of the output."""
    return (large["added_mb"] - small["added_mb"]) / (large["output_mb"] - small["output_mb"])


def report(results: list[dict[str, Any]]) -> list[str]:
    lines = ["members  events     output MB  held MB  peak MB  added MB  s      way"]
    for figures in results:
        for way in ("streamed", "dumps"):
            if way in figures:
                f = figures[way]
                lines.append(
                    f"{figures['members']:>7,}  {figures['events']:>9,}  {f['output_mb']:>9.1f}"
                    f"  {f['held_mb']:>7.0f}  {f['peak_mb']:>7.0f}  {f['added_mb']:>8.1f}"
                    f"  {f['seconds']:>5.1f}  {way}"
                )
    small, large = results
    for way in ("streamed", "dumps"):
        if way in small and way in large:
            lines.append(
                f"{way}: added memory growth / output growth = "
                f"{round(growth(small[way], large[way]), 3) + 0.0:.3f}"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="300 and 3,000 members")
    parser.add_argument("--json", metavar="FILE", help="also save the figures as JSON")
    parser.add_argument(
        "--old-way-large", action="store_true", help="also measure dumps at the larger size"
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--old-way", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.old_way)))
        return
    small_size, large_size = QUICK_SIZES if args.quick else FULL_SIZES
    results = [
        measure(small_size, old_way=True),
        measure(large_size, old_way=args.quick or args.old_way_large),
    ]
    print("\n".join(report(results)))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
