"""
Plan one scenario in this interpreter and print what it took, as one JSON line.

Run as ``python -m benchmarks.scale_run FOLDER``: reads the scenario, runs the whole
default plan without Monte Carlo (``plan_withdrawal(..., runs=0)``, what
``convoy plan --no-maps --runs 0`` computes) and prints ``read_s``, ``plan_s``,
the seconds of each planning phase (``phases``, from the planner's progress
messages), the schedule searches' own seconds (``search_s``, summed over the
threads that run them side by side, so it may exceed ``plan_s``), the road network's
size and the peak resident memory (``maxrss_mb``, this process). A refused plan
(a :class:`~convoy.errors.ConvoyError`) prints its message as ``error`` instead.
:mod:`benchmarks.test_scale` runs it in a fresh process per workload, so the peak
memory is that plan's alone.
"""

from __future__ import annotations

import itertools
import json
import resource
import sys
import time


def main(folder: str) -> None:
    """Plan the scenario in ``folder`` and print the figures."""
    from convoy.document import PlanDocument
    from convoy.errors import ConvoyError
    from convoy.io.scenario import read_scenario
    from convoy.plan import plan_withdrawal
    from convoy.schedule import search

    search_s = [0.0]
    fill = search._fill_labels

    def timed_fill(*args, **kwargs):  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        out = fill(*args, **kwargs)
        search_s[0] += time.perf_counter() - t
        return out

    search._fill_labels = timed_fill
    out: dict[str, object] = {}
    t0 = time.perf_counter()
    scn = read_scenario(folder)
    t1 = time.perf_counter()
    out |= {"read_s": t1 - t0, "edges": len(scn.roads.edge_u)}
    out["nodes"] = scn.roads.num_nodes
    out["horizon_days"] = scn.horizon_min / 1440.0
    marks: list[tuple[str, float]] = []
    try:
        doc = PlanDocument.from_plan(
            plan_withdrawal(
                scn, runs=0, progress=lambda m: marks.append((m, time.perf_counter()))
            )
        ).to_dict()
        out["expected_incidents"] = doc["summary"]["expected_incidents"]
    except ConvoyError as err:
        out["error"] = str(err)
    t2 = time.perf_counter()
    marks.append(("end", t2))
    phases: dict[str, float] = {}
    for (m, a), (_, b) in itertools.pairwise(marks):
        key = "risk table" if m.startswith("risk table") else m
        phases[key] = phases.get(key, 0.0) + b - a
    out |= {"plan_s": t2 - t1, "search_s": search_s[0], "phases": phases}
    out["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
