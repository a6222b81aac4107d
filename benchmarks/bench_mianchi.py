"""Benchmark: the 渑池 member point card against a hand-written Python loop.

Both sides get the same in-memory records and do the same decimal arithmetic (caps per
window in date order, category and score bounds, veto, grades); the engine also builds
the full per-event trace.  The loop's scores are compared with the engine's, so the
ratio compares equal work.  Ratios are measured in one run, on one machine.

    python benchmarks/bench_mianchi.py              # the county (4,300) and ten times it
    python benchmarks/bench_mianchi.py --scales 1   # the county only

Peak memory of the whole job (load the shipped CSV folder, evaluate, write JSON) is
measured in a fresh subprocess, as ``ru_maxrss``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from dangjian_rules import Dataset, Period, Ruleset, evaluate, load_ruleset
from dangjian_rules.tools.generate import generate_county

ROOT = Path(__file__).resolve().parent.parent
CARD = ROOT / "rulesets" / "mianchi" / "member-points.toml"
ZERO = Decimal(0)


CATEGORY_MAX = {
    "life": Decimal(24),
    "study": Decimal(8),
    "service": Decimal(10),
    "pioneer": Decimal(10),
}


def hand_written_scores(dataset: Dataset, period: Period) -> dict[str, tuple[Decimal, str]]:
    """The 渑池 card written out by hand: what a programmer would write without us."""
    start, end = period.start, period.end
    out: dict[str, tuple[Decimal, str]] = {}
    for member_id in sorted(dataset.members):
        member = dataset.members[member_id]
        if not member.active_during(start, end):
            continue
        events = sorted(
            (e for e in dataset.events_by_subject.get(("member", member_id), ())),
            key=lambda e: (e.date, e.id),
        )
        out[member_id] = hand_written_member(member.status, events, start, end)
    return out


def hand_written_member(
    status: str, events: Iterable[Any], start: dt.date, end: dt.date
) -> tuple[Decimal, str]:
    """One member's score and grade from their events in (date, id) order.

    ``events`` need only ``date``, ``status``, ``type``, ``quantity`` and ``attributes``
    (the library's :class:`~dangjian_rules.Event` or any look-alike)."""
    category_max = CATEGORY_MAX
    total = Decimal(60)
    categories = dict.fromkeys(("life", "study", "service", "pioneer", "discipline"), ZERO)
    used: dict[tuple[str, int], Decimal] = {}
    veto = False

    for e in events:
        if e.date < start or e.date > end or e.status != "approved":
            continue
        t = e.type
        if t in ("discipline", "crime"):
            veto = True
            continue
        month = e.date.year * 12 + e.date.month
        quarter = e.date.year * 4 + (e.date.month - 1) // 3
        year = e.date.year
        caps: list[tuple[str, int, Decimal]]
        if t == "member_meeting":
            category, amount, caps = "life", Decimal(2), [("mm", quarter, Decimal(2))]
        elif t == "group_meeting":
            category, amount, caps = "life", Decimal(1), [("gm", month, Decimal(1))]
        elif t == "party_lecture":
            category, amount = "life", Decimal("1.5")
            caps = [("pl", quarter, Decimal("1.5"))]
        elif t == "theme_day":
            category, amount = "life", Decimal(1)
            caps = [("td", month, Decimal(1)), ("td-y", year, Decimal(10))]
        elif t == "study":
            if e.quantity is None:
                continue
            category, amount = "study", Decimal("0.2") * e.quantity
            caps = [("st", month, Decimal(1))]
        elif t == "volunteer":
            if e.quantity is None:
                continue
            category, amount = "service", Decimal("0.5") * e.quantity
            caps = [("vo", month, Decimal(2)), ("vo-y", year, Decimal(10))]
        elif t == "pioneer":
            if e.attributes.get("level") in ("county", "city", "province"):
                category, amount, caps = "pioneer", Decimal(3), []
            else:
                category, amount, caps = "pioneer", Decimal(1), [("pb", year, Decimal(3))]
        elif t == "suggestion":
            if not e.attributes.get("adopted"):
                continue
            category, amount, caps = "pioneer", Decimal(1), [("sg", year, Decimal(3))]
        elif t in ("dues", "absence"):
            if t == "dues" and not e.attributes.get("late"):
                continue
            cut = Decimal(2) if t == "dues" else Decimal(3)
            cut = min(cut, categories["discipline"] + 20, total)
            if cut > 0:
                categories["discipline"] -= cut
                total -= cut
            continue
        else:
            continue
        allowed = amount
        for cap_rule, window, cap in caps:
            room = cap - used.get((cap_rule, window), ZERO)
            if room < allowed:
                allowed = max(room, ZERO)
        allowed = min(allowed, category_max[category] - categories[category], 100 - total)
        if allowed > 0:
            for cap_rule, window, _ in caps:
                used[(cap_rule, window)] = used.get((cap_rule, window), ZERO) + allowed
            categories[category] += allowed
            total += allowed
    if status == "probationary":
        grade = (
            "取消预备党员资格"
            if veto
            else ("按期转正" if total >= 85 else "延期转正" if total >= 70 else "取消预备党员资格")
        )
    else:
        grade = (
            "不合格"
            if veto
            else (
                "优秀"
                if total >= 90
                else "合格"
                if total >= 75
                else "基本合格"
                if total >= 60
                else "不合格"
            )
        )
    return (ZERO if veto else total, grade)


def best_of(repeats: int, work: Callable[[], Any]) -> tuple[float, Any]:
    """Best wall time of ``repeats`` runs, with the cyclic GC off for both sides alike
    (the engine switches it off itself; the loop gets the same treatment)."""
    best, value = float("inf"), None
    for _ in range(repeats):
        gc.collect()
        gc.disable()
        try:
            started = time.perf_counter()
            value = work()
            best = min(best, time.perf_counter() - started)
        finally:
            gc.enable()
    return best, value


def peak_rss_of_job() -> tuple[float, float]:
    """Seconds and peak RSS (MB) of load CSV + evaluate + JSON in a fresh process."""
    code = (
        "import resource, time, sys\n"
        "t = time.perf_counter()\n"
        "from dangjian_rules.cli import main\n"
        "import io\n"
        "main(['evaluate', '-r', 'rulesets/mianchi', '-d', 'examples/mianchi-2015', "
        "'-p', '2015', '--format', 'json', '-o', '/dev/null'])\n"
        # VmHWM, not ru_maxrss: ru_maxrss survives fork+exec and would report the parent.
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')]\n"
        "kib = int(hwm[0].split()[1]) if hwm else "
        "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(time.perf_counter() - t, kib)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    seconds, kib = done.stdout.split()
    return float(seconds), int(kib) / 1024


def measure(card: Ruleset, members: int, period: Period, repeats: int) -> dict[str, Any]:
    data = generate_county(members=members, seed=2015, year=2015)
    _ = data.events_by_subject  # both sides start from the same grouped records
    events = len(data.events)
    engine_s, run = best_of(repeats, lambda: evaluate(card, data, period))
    loop_s, loop = best_of(repeats, lambda: hand_written_scores(data, period))
    for result in run.results:  # equal work: the loop must agree with the engine
        assert loop[result.subject.id] == (result.score, result.grade), result.subject.id
    return {
        "scenario": f"mianchi {members} members",
        "members": len(data.members),
        "events": events,
        "engine_seconds": round(engine_s, 3),
        "engine_events_per_s": round(events / engine_s),
        "loop_seconds": round(loop_s, 3),
        "loop_events_per_s": round(events / loop_s),
        "ratio_engine_to_loop": round(loop_s / engine_s, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,10", help="county multiples, e.g. 1,10")
    parser.add_argument("--members", type=int, default=4300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    card = load_ruleset(CARD)
    period = Period.parse("2015")
    rows: list[dict[str, Any]] = []
    for scale in (int(s) for s in args.scales.split(",")):
        rows.append(measure(card, scale * args.members, period, args.repeats))
    job_seconds, job_rss = peak_rss_of_job()
    summary = {
        "python": sys.version.split()[0],
        "date": dt.date.today().isoformat(),
        "scenarios": rows,
        "cli_job_on_shipped_county": {
            "seconds": round(job_seconds, 2),
            "peak_rss_mb": round(job_rss, 1),
        },
        "this_process_peak_rss_mb": round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
        ),
    }
    if args.json:
        print(json.dumps(summary, indent=2))
        return
    print(
        f"{'scenario':<24}{'members':>9}{'events':>10}{'engine s':>10}{'events/s':>11}"
        f"{'loop s':>9}{'events/s':>11}{'ratio':>8}"
    )
    for row in rows:
        print(
            f"{row['scenario']:<24}{row['members']:>9}{row['events']:>10}"
            f"{row['engine_seconds']:>10}{row['engine_events_per_s']:>11}"
            f"{row['loop_seconds']:>9}{row['loop_events_per_s']:>11}"
            f"{row['ratio_engine_to_loop']:>8}"
        )
    print("ratio = engine throughput / hand-written loop throughput (target ≥ 0.25)")
    print(
        f"whole CLI job on the shipped county (load CSV + evaluate + JSON): "
        f"{job_seconds:.2f} s, peak RSS {job_rss:.0f} MB"
    )


if __name__ == "__main__":
    main()
