"""The benchmark suite: every scenario, every baseline, one command, ratios from one run.

    python benchmarks/run.py            # the full suite (about half an hour on 2 cores)
    python benchmarks/run.py --quick    # small sizes only: a smoke check, under a minute
    python benchmarks/run.py --json     # the figures as JSON as well

Scenarios (each in a fresh child process, so that its peak memory is its own):

* ``county`` — the 渑池 card (rulesets/mianchi/member-points.toml) on a generated county,
  4,300 members, ~250,000 events;
* ``city`` — the same card on 50,000 members (~2.9 million events);
* ``province`` — 2,000,000 members × ~59 events as a JSON Lines stream, written by
  ``benchmarks/province.py`` one member at a time and evaluated with
  :func:`dangjian_rules.io.jsonl.evaluate_file`; measured at two sizes (200,000 and
  2,000,000 members) to show whether peak memory grows with the input;
* ``output`` — peak memory of writing ``evaluate --format json`` (full trace) on the
  county (4,300 members) and on 10× (43,000), by ``benchmarks/output_memory.py``: what the
  writing adds to the memory held must not grow with the size of the output;
* ``lushi`` — the 卢氏 star rating of branches (rulesets/lushi, reading the 灵宝 venue
  checklist and the 渑池 card) over a generated city's organs (``profile="full"``).

Baselines, measured in the same child on the same records:

(a) the hand-written Python loop of ``bench_mianchi.py`` (equal results checked member by
    member; for the stream, the same loop reading the file itself);
(b) zen-engine running the card as a per-event decision graph (``zen_card.py``), one
    ``evaluate`` call per event, on a sample of members (its cost per event does not
    depend on the size); also batched across members, for reference;
(c) polars doing the same aggregation as a columnar query (``polars_card.py``; what it
    leaves out is said there and in docs/performance.md).

Timings are the best of ``--repeats`` interleaved runs (5 for the county, 3 otherwise),
with the cyclic GC off for every side alike, in wall time and in CPU time (user + system
of the process, all its threads).  The verdicts on the targets use CPU time: this machine
is shared, and wall time there also counts the moments the process waited for a core that
another job held (the load average is printed with each scenario); both are printed.  The
speed-ups of parallel runs are wall time, as they must be.  Peak memory is the process's
high-water mark (VmHWM), reset just before the measured step where the kernel allows it
(``/proc/self/clear_refs``), so it is the data plus that step.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import hashlib
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

CARD = ROOT / "rulesets" / "mianchi" / "member-points.toml"
LUSHI = [
    ROOT / "rulesets" / "lushi" / "star-branches.toml",
    ROOT / "rulesets" / "lingbao" / "venue-checklist.toml",
    CARD,
]
TARGETS = {
    "full_trace_vs_loop": 0.25,
    "summary_vs_loop": 0.5,
    "per_event_vs_zen": 100.0,
}
# ratios on CPU time carry the suffix "_cpu"; the verdict is on those (see verdicts())

FULL = {
    "county": {"members": 4300, "zen_sample": 400, "repeats": 5},
    "city": {"members": 50000, "zen_sample": 200, "dask_repeats": 1},
    "lushi": {"members": 50000},
    "province": {"sizes": [200_000, 2_000_000]},
    "output": {"sizes": [4300, 43000]},
}
QUICK = {
    "county": {"members": 300, "zen_sample": 20},
    "city": {"members": 1000, "zen_sample": 10, "dask": False},
    "lushi": {"members": 300},
    "province": {"sizes": [1_000, 4_000]},
    "output": {"sizes": [300, 3000]},
}


# ------------------------------------------------------------------ measuring


def memory() -> dict[str, float]:
    """VmRSS and VmHWM of this process, in MB."""
    out = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(("VmRSS", "VmHWM")):
                out[line.split(":")[0]] = int(line.split()[1]) / 1024
    return out


def reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux ≥ 4.0); False where not allowed."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


class Timer:
    """Best wall time per label over interleaved repeats; GC off while timing."""

    def __init__(self) -> None:
        self.best: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.peaks: dict[str, float] = {}

    def run(self, label: str, work: Callable[[], Any], peak: bool = False) -> Any:
        gc.collect()
        was = gc.isenabled()
        gc.disable()
        measured = peak and reset_peak()
        try:
            started, cpu = time.perf_counter(), time.process_time()
            value = work()
            seconds = time.perf_counter() - started
            cpu = time.process_time() - cpu
        finally:
            if was:
                gc.enable()
        self.cpu[label] = min(self.cpu.get(label, float("inf")), cpu)
        if measured:
            self.peaks[label] = max(self.peaks.get(label, 0.0), memory()["VmHWM"])
        self.best[label] = min(self.best.get(label, float("inf")), seconds)
        return value


def same(run: Any, reference: Any, serialized: bool, with_trace: bool = True) -> bool:
    """Whether two runs are equal: as objects (every field, every trace entry) and, when
    ``serialized``, also as the JSON text (the test suite's criterion; costly for a city)."""
    from dangjian_rules import dumps

    if run != reference:
        return False
    return not serialized or dumps(run, with_trace=with_trace) == dumps(
        reference, with_trace=with_trace
    )


def checksum(rows: Iterator[tuple[str, Decimal, str]]) -> str:
    """An order-independent digest of (member, score, grade) rows."""
    total = 0
    count = 0
    for member, score, grade in rows:
        digest = hashlib.blake2b(f"{member}|{score}|{grade}".encode(), digest_size=8).digest()
        total = (total + int.from_bytes(digest, "big")) % (1 << 64)
        count += 1
    return f"{count}:{total:016x}"


# ------------------------------------------------------------------ the 渑池 card scenarios


def card_scenario(params: Mapping[str, Any]) -> dict[str, Any]:
    """County or city: engine (trace, summary, 2 workers, Dask) against the three baselines."""
    from bench_mianchi import hand_written_scores
    from polars_card import event_frame, member_frame, mismatches, polars_scores
    from zen_card import ZenCard

    from dangjian_rules import Period, evaluate, load_ruleset
    from dangjian_rules.tools.generate import generate_county

    members, repeats = params["members"], params["repeats"]
    period = Period.parse("2015")
    card = load_ruleset(CARD)
    started = time.perf_counter()
    data = generate_county(members=members, seed=2015, year=2015)
    generated = time.perf_counter() - started
    _ = data.events_by_subject, data.fingerprint  # computed once per dataset, as on load
    resident = memory()["VmRSS"]
    events = len(data.events)
    timer = Timer()
    out: dict[str, Any] = {"members": len(data.members), "events": events}

    single = summary = loop = None
    for _ in range(repeats):
        single = None  # let the previous result go before the next run
        single = timer.run("engine", lambda: evaluate(card, data, period))
        summary = None
        summary = timer.run("summary", lambda: evaluate(card, data, period, with_trace=False))
        loop = timer.run("loop", lambda: hand_written_scores(data, period))
    assert single is not None and summary is not None and loop is not None
    subjects = len(single.results)
    engine_scores = {r.subject.id: (r.score, r.grade) for r in single.results}
    assert loop == engine_scores, "the hand-written loop disagrees with the engine"
    assert {r.subject.id: (r.score, r.grade) for r in summary.results} == engine_scores

    # (b) zen: a sample of members, one decision call per event
    zen = ZenCard(period)
    sample = [m for m in sorted(data.members) if m in engine_scores][: params["zen_sample"]]
    by_member = {k[1]: v for k, v in data.events_by_subject.items()}
    sample_events = sum(len(by_member.get(m, ())) for m in sample)
    got = timer.run(
        "zen", lambda: {m: zen.member(data.members[m], by_member.get(m, ())) for m in sample}
    )
    assert got == {m: engine_scores[m] for m in sample}, "zen disagrees with the engine"
    batch = [(data.members[m], by_member.get(m, ())) for m in sample]
    got = timer.run("zen_batched", lambda: zen.batched(batch))
    assert got == {m: engine_scores[m] for m in sample}

    # (c) polars: building the frame from the records, then the query (best of repeats)
    frames = timer.run("polars_frame", lambda: (event_frame(data), member_frame(data, period)))
    columnar: dict[str, tuple[Decimal, str]] = {}
    for _ in range(repeats):
        columnar = timer.run("polars", lambda: polars_scores(frames[0], frames[1], period))
    differ = mismatches(engine_scores, columnar)

    # parallel: 2 local forked workers; Dask LocalCluster with 2 worker processes
    for repeat in range(repeats):
        got_run = timer.run("workers2", lambda: evaluate(card, data, period, workers=2))
        assert same(got_run, single, repeat == 0), "workers=2 differs from one process"
        got_run = timer.run(
            "workers2_summary",
            lambda: evaluate(card, data, period, workers=2, with_trace=False),
        )
        assert same(got_run, summary, repeat == 0, with_trace=False)
    got_run = None
    if params.get("dask", True):
        out["dask"] = dask_runs(
            timer,
            card,
            data,
            period,
            params.get("dask_repeats", repeats),
            single,
            summary,
        )

    best = timer.best
    out.update(
        generate_seconds=round(generated, 2),
        subjects=subjects,
        seconds={k: round(v, 4) for k, v in best.items()},
        cpu_seconds={k: round(v, 4) for k, v in timer.cpu.items()},
        engine_events_per_s=round(events / best["engine"]),
        engine_subjects_per_s=round(subjects / best["engine"]),
        summary_events_per_s=round(events / best["summary"]),
        summary_subjects_per_s=round(subjects / best["summary"]),
        loop_events_per_s=round(events / best["loop"]),
        zen_sample_members=len(sample),
        zen_sample_events=sample_events,
        zen_us_per_event=round(best["zen"] / sample_events * 1e6, 1),
        zen_batched_us_per_event=round(best["zen_batched"] / sample_events * 1e6, 1),
        engine_us_per_event=round(best["engine"] / events * 1e6, 2),
        summary_us_per_event=round(best["summary"] / events * 1e6, 2),
        polars_events_per_s=round(events / best["polars"]),
        polars_mismatched_members=len(differ),
        polars_mismatch_examples=differ[:3],
        data_resident_mb=round(resident, 1),
        peak_rss_whole_child_mb=round(memory()["VmHWM"], 1),
    )
    cpu = timer.cpu
    out["ratios"] = {
        "full_trace_vs_loop": round(best["loop"] / best["engine"], 3),
        "summary_vs_loop": round(best["loop"] / best["summary"], 3),
        "full_trace_vs_loop_cpu": round(cpu["loop"] / cpu["engine"], 3),
        "summary_vs_loop_cpu": round(cpu["loop"] / cpu["summary"], 3),
        "per_event_vs_zen": round((best["zen"] / sample_events) / (best["engine"] / events), 1),
        "per_event_vs_zen_cpu": round((cpu["zen"] / sample_events) / (cpu["engine"] / events), 1),
        "per_event_vs_zen_batched": round(
            (best["zen_batched"] / sample_events) / (best["engine"] / events), 1
        ),
        "engine_vs_polars_query": round(best["polars"] / best["engine"], 3),
        "summary_vs_polars_query": round(best["polars"] / best["summary"], 3),
        "engine_vs_polars_query_cpu": round(cpu["polars"] / cpu["engine"], 3),
        "speedup_workers2_trace": round(best["engine"] / best["workers2"], 2),
        "speedup_workers2_summary": round(best["summary"] / best["workers2_summary"], 2),
    }
    if "dask" in out and "dask" in best:
        out["ratios"]["speedup_dask_trace"] = round(best["engine"] / best["dask"], 2)
        out["ratios"]["speedup_dask_summary"] = round(best["summary"] / best["dask_summary"], 2)
    return out


def dask_runs(
    timer: Timer,
    card: Any,
    data: Any,
    period: Any,
    repeats: int,
    reference: Any,
    reference_summary: Any,
) -> dict[str, Any]:
    """The same evaluation on a Dask LocalCluster: 2 worker processes, one thread each."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        return {"skipped": "dask[distributed] is not installed (pip install -e '.[dask]')"}
    from dangjian_rules import evaluate

    started = time.perf_counter()
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=50,
        ) as cluster,
        Client(cluster) as client,
    ):
        startup = time.perf_counter() - started
        executor = client.get_executor()
        for repeat in range(repeats):
            run = timer.run(
                "dask", lambda: evaluate(card, data, period, workers=2, executor=executor)
            )
            assert same(run, reference, repeat == 0), "the Dask run differs from one process"
            run = timer.run(
                "dask_summary",
                lambda: evaluate(
                    card, data, period, workers=2, executor=executor, with_trace=False
                ),
            )
            assert same(run, reference_summary, repeat == 0, with_trace=False)
    return {"cluster_start_seconds": round(startup, 2), "identical_to_one_process": True}


# ------------------------------------------------------------------ peak memory, one run


def memory_scenario(params: Mapping[str, Any]) -> dict[str, Any]:
    """Peak RSS of one evaluation in a fresh process: the data, then one run, nothing else
    alive (the timing children keep several results for their comparisons)."""
    from dangjian_rules import Period, evaluate, load_ruleset
    from dangjian_rules.tools.generate import generate_county

    paths = LUSHI if params["profile"] == "full" else [CARD]
    rulesets = [load_ruleset(p) for p in paths]
    period = Period.parse("2015")
    data = generate_county(params["members"], seed=2015, year=2015, profile=params["profile"])
    _ = data.events_by_subject, data.fingerprint
    gc.collect()
    before = memory()["VmRSS"]
    reset = reset_peak()
    run = evaluate(rulesets, data, period, with_trace=params["with_trace"])
    assert run.results
    return {
        "data_resident_mb": round(before, 1),
        "peak_rss_mb": round(memory()["VmHWM"], 1),
        "peak_is_of_this_step": reset,
    }


def peaks(members: int, profile: str) -> dict[str, float]:
    """Peak RSS with and without traces, each in its own fresh child."""
    out = {}
    for label, with_trace in (("engine", True), ("summary", False)):
        got = child("memory", {"members": members, "profile": profile, "with_trace": with_trace})
        out[label] = got["peak_rss_mb"]
        out["data"] = got["data_resident_mb"]
    return out


# ------------------------------------------------------------------ 卢氏 stars over a city


def lushi_scenario(params: Mapping[str, Any]) -> dict[str, Any]:
    from dangjian_rules import Period, evaluate, load_ruleset
    from dangjian_rules.tools.generate import generate_county

    rulesets = [load_ruleset(p) for p in LUSHI]
    period = Period.parse("2015")
    started = time.perf_counter()
    data = generate_county(members=params["members"], seed=2015, year=2015, profile="full")
    generated = time.perf_counter() - started
    _ = data.events_by_subject, data.fingerprint
    resident = memory()["VmRSS"]
    timer = Timer()
    single = summary = None
    for _ in range(params["repeats"]):
        single = None
        single = timer.run("engine", lambda: evaluate(rulesets, data, period))
        summary = None
        summary = timer.run("summary", lambda: evaluate(rulesets, data, period, with_trace=False))
    assert single is not None and summary is not None
    for repeat in range(params["repeats"]):
        run = timer.run("workers2", lambda: evaluate(rulesets, data, period, workers=2))
        assert same(run, single, repeat == 0), "workers=2 differs from one process"
        run = timer.run(
            "workers2_summary",
            lambda: evaluate(rulesets, data, period, workers=2, with_trace=False),
        )
    stars = Counter(
        r.stars.count for r in single.results if r.ruleset == "lushi.star-branches" and r.stars
    )
    branches = sum(stars.values())
    best = timer.best
    events = len(data.events)
    return {
        "members": len(data.members),
        "branches": branches,
        "events": events,
        "subjects": len(single.results),
        "generate_seconds": round(generated, 2),
        "stars": {str(k): v for k, v in sorted(stars.items())},
        "seconds": {k: round(v, 4) for k, v in best.items()},
        "cpu_seconds": {k: round(v, 4) for k, v in timer.cpu.items()},
        "engine_events_per_s": round(events / best["engine"]),
        "engine_subjects_per_s": round(len(single.results) / best["engine"]),
        "summary_events_per_s": round(events / best["summary"]),
        "summary_subjects_per_s": round(len(single.results) / best["summary"]),
        "data_resident_mb": round(resident, 1),
        "ratios": {
            "speedup_workers2_trace": round(best["engine"] / best["workers2"], 2),
            "speedup_workers2_summary": round(best["summary"] / best["workers2_summary"], 2),
        },
    }


# ------------------------------------------------------------------ the province stream


class _Ev:
    """What the hand-written stream loop makes of a JSON event (no library types)."""

    __slots__ = ("attributes", "date", "id", "quantity", "status", "type")

    def __init__(self, raw: dict[str, Any]) -> None:
        self.id = raw.pop("id")
        self.type = raw.pop("type")
        self.date = dt.date.fromisoformat(raw.pop("date"))
        self.status = raw.pop("status", "approved")
        quantity = raw.pop("quantity", None)
        self.quantity = None if quantity is None else Decimal(quantity)
        self.attributes = raw


def _hand_stream(folder: Path, period: Any) -> Iterator[tuple[str, Decimal, str]]:
    """The hand-written loop over the files: members and events read in step (both are in
    id order), each member's events parsed, sorted and scored by ``hand_written_member``."""
    from bench_mianchi import hand_written_member

    start, end = period.start, period.end
    with (
        (folder / "members.jsonl").open(encoding="utf-8") as people,
        (folder / "events.jsonl").open(encoding="utf-8") as records,
    ):
        pending = records.readline()
        for line in people:
            member = json.loads(line)
            joined = member.get("joined")
            left = member.get("left")
            if (joined and dt.date.fromisoformat(joined) > end) or (
                left and dt.date.fromisoformat(left) < start
            ):
                continue
            events: list[_Ev] = []
            if pending and pending.startswith('{"subject":"' + member["id"] + '"'):
                events = [_Ev(raw) for raw in json.loads(pending, parse_float=Decimal)["events"]]
                events.sort(key=lambda e: (e.date, e.id))
                pending = records.readline()
            score, grade = hand_written_member(member["status"], events, start, end)
            yield member["id"], score, grade


def province_scenario(params: Mapping[str, Any]) -> dict[str, Any]:
    """One mode over one generated province (the files already written)."""
    from province import SortedJsonlMapping, read_member, read_organization

    from dangjian_rules import Period, load_ruleset
    from dangjian_rules.engine.stream import evaluate_stream
    from dangjian_rules.io.jsonl import evaluate_file, read_jsonl_events

    folder = Path(params["folder"])
    mode = params["mode"]
    period = Period.parse("2015")
    card = load_ruleset(CARD)
    members = SortedJsonlMapping(folder / "members.jsonl", read_member)
    organizations = SortedJsonlMapping(folder / "organizations.jsonl", read_organization)
    gc.collect()
    before = memory()["VmRSS"]
    reset = reset_peak()
    started, cpu = time.perf_counter(), time.process_time()
    grades: Counter[str] = Counter()

    def tally(rows: Iterator[tuple[str, Decimal, str]]) -> Iterator[tuple[str, Decimal, str]]:
        for row in rows:
            grades[row[2]] += 1
            yield row

    if mode == "evaluate_file":
        results = evaluate_file(card, organizations, members, folder / "events.jsonl", period)
        digest = checksum(tally((r.subject.id, r.score, r.grade) for r in results))
    elif mode == "evaluate_stream":  # the core, without evaluate_file's pass for quiet members
        lines = read_jsonl_events(folder / "events.jsonl", card.schema)
        results = evaluate_stream(card, organizations, members, lines, period, with_trace=False)
        digest = checksum(tally((r.subject.id, r.score, r.grade) for r in results))
    elif mode == "hand":
        gc.disable()
        try:
            digest = checksum(tally(_hand_stream(folder, period)))
        finally:
            gc.enable()
    elif mode == "members_dict":  # what holding every member as an object costs
        gc.disable()
        with (folder / "members.jsonl").open(encoding="utf-8") as people:
            held = {m.id: m for m in (read_member(json.loads(line)) for line in people)}
        with (folder / "organizations.jsonl").open(encoding="utf-8") as orgs:
            held_orgs = {o.id: o for o in (read_organization(json.loads(line)) for line in orgs)}
        after_dicts = memory()["VmRSS"]
        ids = set(held)  # what evaluate_file's ``seen`` set and ``sorted(members)`` add
        ordered = sorted(held)
        after_ids = memory()["VmRSS"]
        gc.enable()
        return {
            "members": len(held),
            "organizations": len(held_orgs),
            "members_and_orgs_mb": round(after_dicts - before, 1),
            "bytes_per_member": round((after_dicts - before) * 1024 * 1024 / len(held)),
            "id_set_and_sorted_list_mb": round(after_ids - after_dicts, 1),
            "ids": len(ids) + len(ordered) - len(held),
        }
    else:
        raise SystemExit(f"unknown mode {mode}")
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    peak = memory()["VmHWM"]
    return {
        "mode": mode,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "subjects": sum(grades.values()),
        "grades": dict(sorted(grades.items())),
        "checksum": digest,
        "rss_before_mb": round(before, 1),
        "peak_rss_mb": round(peak, 1),
        "peak_is_of_this_step": reset,
        "member_file_reopened": members.reopened,
    }


# ------------------------------------------------------------------ the parent


def child(scenario: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Run one scenario in a fresh interpreter; its JSON answer is the last stdout line."""
    load_before = load_average()
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(Path(__file__)), "--child", scenario, json.dumps(params)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise SystemExit(f"scenario {scenario} failed")
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    answer["wall_seconds"] = round(time.perf_counter() - started, 1)
    answer["load_average"] = {"before": load_before, "after": load_average()}
    return answer


def _f(value: float) -> str:
    return f"{value:,.0f}"


def _row(label: str, wall: float, cpu: float | None, events: int, subjects: int, peak: Any) -> str:
    return (
        f"  {label:36}{wall:>8.3f}{(f'{cpu:.3f}' if cpu is not None else '—'):>8}"
        f"{_f(events / wall):>11}{(_f(events / cpu) if cpu else '—'):>11}"
        f"{_f(subjects / wall):>10}{(f'{peak:,.0f}' if peak else ''):>9}"
    ).rstrip()


_HEADER = (
    f"  {'':36}{'wall s':>8}{'CPU s':>8}{'events/s':>11}{'ev/CPU s':>11}"
    f"{'subj/s':>10}{'peak MB':>9}"
)


def print_card(name: str, row: Mapping[str, Any]) -> None:
    s, c, r = row["seconds"], row["cpu_seconds"], row["ratios"]
    events, subjects = row["events"], row["subjects"]
    print(
        f"\n== {name}: the 渑池 card, {row['members']:,} members, {events:,} events "
        f"(load average {row['load_average']['before']} → {row['load_average']['after']})"
    )
    print(_HEADER)
    peaks = row["peak_rss_mb"]
    lines: list[tuple[str, str, bool]] = [
        ("engine, full trace", "engine", True),
        ("engine, summary (no trace)", "summary", True),
        ("engine, 2 local workers, trace", "workers2", False),
        ("engine, 2 local workers, summary", "workers2_summary", False),
    ]
    if "dask" in s:
        lines += [
            ("engine, Dask 2 workers, trace", "dask", False),
            ("engine, Dask 2 workers, summary", "dask_summary", False),
        ]
    lines += [
        ("(a) hand-written loop", "loop", True),
        ("(c) polars query (2 threads)", "polars", True),
    ]
    for label, key, own in lines:
        # CPU time of the parallel runs would be this process's alone: not shown
        print(_row(label, s[key], c[key] if own else None, events, subjects, peaks.get(key)))
    sample, members = row["zen_sample_events"], row["zen_sample_members"]
    print(_row("(b) zen-engine, one call per event", s["zen"], c["zen"], sample, members, None))
    print(
        _row(
            "    zen-engine, batched by round",
            s["zen_batched"],
            c["zen_batched"],
            sample,
            members,
            None,
        )
    )
    print(
        f"  zen sample: {members} members, {sample:,} events; peak MB: one run in a fresh "
        f"process, the data ({peaks['data']:,.0f} MB) included; polars frame built in "
        f"{s['polars_frame']:.2f} s (not counted); polars ≠ engine for "
        f"{row['polars_mismatched_members']} member(s)"
    )
    print(
        f"  per event (CPU): engine {c['engine'] / events * 1e6:.2f} µs with trace, "
        f"{c['summary'] / events * 1e6:.2f} µs summary; loop {c['loop'] / events * 1e6:.2f} µs; "
        f"zen {c['zen'] / sample * 1e6:.1f} µs ({row['zen_us_per_event']} µs wall)"
    )
    print(
        f"  ratios, CPU (wall): full trace / loop {r['full_trace_vs_loop_cpu']} "
        f"({r['full_trace_vs_loop']}); summary / loop {r['summary_vs_loop_cpu']} "
        f"({r['summary_vs_loop']}); zen per event / engine per event {r['per_event_vs_zen_cpu']}× "
        f"({r['per_event_vs_zen']}×; batched {r['per_event_vs_zen_batched']}×); "
        f"polars / engine time {r['engine_vs_polars_query_cpu']} ({r['engine_vs_polars_query']})"
    )
    dask = row.get("dask", {})
    speedups = (
        f"  speed-up on 2 cores (wall): local workers {r['speedup_workers2_trace']}× with "
        f"trace, {r['speedup_workers2_summary']}× summary"
    )
    if "speedup_dask_trace" in r:
        speedups += (
            f"; Dask {r['speedup_dask_trace']}× with trace, {r['speedup_dask_summary']}× "
            f"summary (cluster start {dask['cluster_start_seconds']} s, not counted; results "
            "identical)"
        )
    elif dask.get("skipped"):
        speedups += f"; Dask skipped: {dask['skipped']}"
    print(speedups)


def print_lushi(row: Mapping[str, Any]) -> None:
    s, c, r = row["seconds"], row["cpu_seconds"], row["ratios"]
    print(
        f"\n== lushi: 卢氏 stars over a city's {row['branches']:,} branches "
        f"(+ 灵宝 venues, 渑池 card), {row['members']:,} members, {row['events']:,} events "
        f"(load average {row['load_average']['before']} → {row['load_average']['after']})"
    )
    print(_HEADER)
    peaks = row["peak_rss_mb"]
    for label, key, own in (
        ("engine, full trace", "engine", True),
        ("engine, summary", "summary", True),
        ("engine, 2 local workers, trace", "workers2", False),
        ("engine, 2 local workers, summary", "workers2_summary", False),
    ):
        print(
            _row(
                label,
                s[key],
                c[key] if own else None,
                row["events"],
                row["subjects"],
                peaks.get(key),
            )
        )
    print(
        f"  peak MB: one run in a fresh process, the data ({peaks['data']:,.0f} MB) included; "
        f"subjects: {row['subjects']:,} (members graded + branches' venues and stars); "
        f"stars: {row['stars']}; no baseline (nothing else computes star quotas)"
    )
    print(
        f"  speed-up on 2 cores (wall): {r['speedup_workers2_trace']}× with trace, "
        f"{r['speedup_workers2_summary']}× summary"
    )


def print_province(rows: Mapping[str, Any]) -> None:
    print("\n== province: the 渑池 card over a JSON Lines stream (summary mode), by size")
    print(
        f"  {'members':>10}{'events':>13}{'mode':>15}{'wall s':>8}{'CPU s':>8}{'events/s':>10}"
        f"{'ev/CPU s':>10}{'subj/s':>8}{'RSS before':>11}{'peak RSS':>10}"
    )
    for size, row in rows.items():
        counts = row["data"]
        for mode in ("evaluate_file", "evaluate_stream", "hand"):
            got = row.get(mode)
            if got is None:
                continue
            print(
                f"  {int(size):>10,}{counts['events']:>13,}{mode:>15}{got['seconds']:>8.1f}"
                f"{got['cpu_seconds']:>8.1f}{_f(counts['events'] / got['seconds']):>10}"
                f"{_f(counts['events'] / got['cpu_seconds']):>10}"
                f"{_f(got['subjects'] / got['seconds']):>8}"
                f"{got['rss_before_mb']:>9.0f}MB{got['peak_rss_mb']:>8.0f}MB"
            )
        held = row.get("members_dict")
        if held:
            print(
                f"  {'':10} holding all {held['members']:,} members and "
                f"{held['organizations']:,} organizations as objects: "
                f"{held['members_and_orgs_mb']:,.0f} MB ({held['bytes_per_member']} B/member); "
                f"a set and a sorted list of their ids: {held['id_set_and_sorted_list_mb']:,.0f} MB"
            )
        print(
            f"  {'':10} data: {counts['bytes'] / 1e9:.2f} GB of JSON Lines, "
            + (
                "reused from an earlier run"
                if counts.get("reused")
                else f"written in {counts.get('seconds', '?')} s"
            )
            + f" (load average {row['load_average']})"
        )


def verdicts(results: Mapping[str, Any]) -> list[tuple[str, float, float, float, bool]]:
    """Each target on each card scenario: (label, CPU-time ratio, wall ratio, bound, met)."""
    out = []
    for scenario in ("county", "city"):
        row = results.get(scenario)
        if not row:
            continue
        for target, bound in TARGETS.items():
            cpu, wall = row["ratios"][target + "_cpu"], row["ratios"][target]
            out.append((f"{scenario}: {target}", cpu, wall, bound, cpu >= bound))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only (smoke check)")
    parser.add_argument("--repeats", type=int, default=None, help="runs per timing (best of)")
    parser.add_argument("--only", default="", help="comma-separated scenarios to run")
    parser.add_argument("--province-sizes", default="", help="e.g. 200000,2000000")
    parser.add_argument("--fresh", action="store_true", help="regenerate the province files")
    parser.add_argument("--no-dask", action="store_true", help="leave out the Dask runs")
    parser.add_argument(
        "--stream-core",
        action="store_true",
        help="also time evaluate_stream alone (no pass for members without records)",
    )
    parser.add_argument("--json", metavar="FILE", help="also write every figure as JSON")
    parser.add_argument("--child", nargs=2, metavar=("SCENARIO", "PARAMS"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        scenario, raw = args.child
        params = json.loads(raw)
        run = {
            "card": card_scenario,
            "lushi": lushi_scenario,
            "province": province_scenario,
            "memory": memory_scenario,
        }[scenario]
        print(json.dumps(run(params), ensure_ascii=False))
        return

    plan = QUICK if args.quick else FULL
    repeats = args.repeats or (1 if args.quick else 3)
    only = {s for s in args.only.split(",") if s} or set(plan)
    sizes = [int(s) for s in args.province_sizes.split(",") if s] or plan["province"]["sizes"]
    print(
        f"dangjian-rules benchmarks{' (quick)' if args.quick else ''} — "
        f"{dt.datetime.now().isoformat(timespec='seconds')}, Python {sys.version.split()[0]}, "
        f"{os.cpu_count()} cores, load average {load_average()}, best of {repeats}"
    )
    results: dict[str, Any] = {"quick": args.quick, "repeats": repeats}
    for name in ("county", "city"):
        if name in only:
            params = dict({"repeats": repeats} | plan[name])
            if args.repeats:
                params["repeats"] = args.repeats
            params["dask"] = params.get("dask", True) and not args.no_dask
            results[name] = child("card", params)
            results[name]["peak_rss_mb"] = peaks(params["members"], "mianchi")
            print_card(name, results[name])
    if "lushi" in only:
        if all(p.exists() for p in LUSHI):
            results["lushi"] = child("lushi", dict(plan["lushi"], repeats=repeats))
            results["lushi"]["peak_rss_mb"] = peaks(plan["lushi"]["members"], "full")
            print_lushi(results["lushi"])
        else:
            print("\n== lushi: skipped (rulesets/lushi/star-branches.toml not there yet)")
    if "province" in only:
        from province import ensure_province

        province: dict[str, Any] = {}
        for size in sizes:
            folder, counts = ensure_province(size, fresh=args.fresh)
            row: dict[str, Any] = {"data": counts, "load_average": load_average()}
            modes = ["evaluate_file", "members_dict"]
            if size == min(sizes):
                modes += ["hand"]
            if args.stream_core:
                modes += ["evaluate_stream"]
            for mode in modes:
                row[mode] = child("province", {"folder": str(folder), "mode": mode})
            province[str(size)] = row
        results["province"] = province
        print_province(province)
        small = province[str(min(sizes))]
        if "hand" in small:
            assert small["hand"]["checksum"] == small["evaluate_file"]["checksum"], (
                "the hand-written stream loop disagrees with evaluate_file"
            )
            ratio = small["hand"]["seconds"] / small["evaluate_file"]["seconds"]
            ratio_cpu = small["hand"]["cpu_seconds"] / small["evaluate_file"]["cpu_seconds"]
            results["province_ratio_vs_loop"] = round(ratio, 3)
            results["province_ratio_vs_loop_cpu"] = round(ratio_cpu, 3)
            print(
                f"  ratio at {min(sizes):,} members, evaluate_file / hand-written stream loop "
                f"(both parse the JSON): {ratio_cpu:.3f} in CPU time ({ratio:.3f} wall); "
                f"results checked equal: {small['hand']['checksum']}"
            )
        if len(sizes) > 1:
            low, high = province[str(min(sizes))], province[str(max(sizes))]
            grow = high["evaluate_file"]["peak_rss_mb"] - low["evaluate_file"]["peak_rss_mb"]
            per = grow * 1024 * 1024 / (max(sizes) - min(sizes))
            results["province_peak_growth_mb"] = round(grow, 1)
            if grow < 5:
                verdict = "no measurable growth: bounded"
            else:
                verdict = (
                    f"{per:,.0f} B per extra member: it grows with the input (see "
                    "docs/performance.md, 'Streaming')"
                )
            print(
                f"  evaluate_file peak RSS grows by {grow:,.0f} MB from {min(sizes):,} to "
                f"{max(sizes):,} members: {verdict}"
            )

    if "output" in only:
        from output_memory import growth, measure, report

        small_size, large_size = plan["output"]["sizes"]
        output = [measure(small_size, old_way=True), measure(large_size, old_way=args.quick)]
        results["output"] = output
        results["output_growth_per_output_mb"] = round(
            growth(output[0]["streamed"], output[1]["streamed"]), 3
        )
        print("\n== output: peak memory of writing evaluate --format json (full trace)")
        print("\n".join("  " + line for line in report(output)))

    print(
        "\n== targets: ratios measured side by side in this run, on CPU time (the work done;"
        "\n   wall time on a shared machine also counts the waits for a core; shown after it)"
    )
    for label, cpu, wall, bound, ok in verdicts(results):
        print(f"  {'MET    ' if ok else 'NOT MET'} {label}: {cpu} (wall {wall}; target ≥ {bound})")
    print(f"\nload average at the end: {load_average()}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, ensure_ascii=False), "utf-8")


if __name__ == "__main__":
    main()
