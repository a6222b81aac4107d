"""Where the time of the county job goes: each stage timed, then profiled with cProfile.

    python benchmarks/profile_county.py            # stage times and the top functions
    python benchmarks/profile_county.py --top 25   # more functions per stage

The job is what ``dangjian-rules evaluate -r rulesets/mianchi -d examples/mianchi-2015
-p 2015 --format json`` does: load the shipped CSV folder (4,300 members, 245,694 events),
the data fingerprint, grouping the events by subject, evaluating the 渑池 card with full
traces, and writing the JSON result.  Each stage is timed without the profiler first
(the profiler slows Python code several times, unevenly), then profiled on its own.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dangjian_rules import Dataset, Period, dumps, evaluate, load_dataset, load_ruleset

ROOT = Path(__file__).resolve().parent.parent
CARD = ROOT / "rulesets" / "mianchi" / "member-points.toml"
DATA = ROOT / "examples" / "mianchi-2015"


def stages() -> list[tuple[str, Callable[[dict[str, Any]], Any]]]:
    period = Period.parse("2015")

    def load(state: dict[str, Any]) -> None:
        state["card"] = load_ruleset(CARD)
        data = load_dataset(DATA, schema=state["card"].schema)
        # The grouping and the fingerprint are computed once per dataset and cached:
        # start from a fresh copy so that the next two stages measure them.
        state["data"] = Dataset(data.organizations, data.members, data.events, data.source)

    def group(state: dict[str, Any]) -> None:
        _ = state["data"].events_by_subject

    def fingerprint(state: dict[str, Any]) -> None:
        _ = state["data"].fingerprint

    def run(state: dict[str, Any]) -> None:
        state["run"] = evaluate(state["card"], state["data"], period)

    def write(state: dict[str, Any]) -> None:
        state["json"] = dumps(state["run"])

    return [
        ("load CSV folder", load),
        ("group by subject", group),
        ("fingerprint", fingerprint),
        ("evaluate (full trace)", run),
        ("JSON result", write),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=12, help="functions shown per stage")
    args = parser.parse_args()
    state: dict[str, Any] = {}
    print("stage                      seconds")
    for name, stage in stages():
        gc.collect()
        started = time.perf_counter()
        stage(state)
        print(f"{name:<26}{time.perf_counter() - started:>8.3f}")
    print(f"(JSON result: {len(state['json']) / 1e6:.1f} MB)")
    for name, stage in stages():
        profile = cProfile.Profile()
        profile.enable()
        stage(state)
        profile.disable()
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out)
        stats.sort_stats("tottime").print_stats(args.top)
        print(f"\n---- {name}: top {args.top} functions by own time (under the profiler)")
        lines = out.getvalue().splitlines()
        start = next(i for i, line in enumerate(lines) if line.strip().startswith("ncalls"))
        print("\n".join(line for line in lines[start:] if line.strip()))


if __name__ == "__main__":
    main()
