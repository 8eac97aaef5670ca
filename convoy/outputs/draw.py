"""Draw one plan of a mix on the day: ``convoy draw PLANDIR``.

A plan made with ``convoy plan --adversary mixed`` holds a mix of plans with their
probabilities (plan.json's ``adversary.mix``). :func:`draw_plan` picks one, with a
seeded generator (repeatable, for rehearsal and tests) or the operating system's
random source (:mod:`secrets`, for the day: nobody can predict or replay it), and
writes its march table and a record of the draw into the plan folder, together
and atomically (:func:`convoy.outputs.write.staged_outputs`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from convoy.document import PLAN_FILE, PlanDocument, canonical_json, iso
from convoy.document.adversary import MixEntry
from convoy.errors import Problem, ScenarioError
from convoy.outputs.tables import write_march_table
from convoy.outputs.write import staged_outputs

#: The march table of the drawn plan, written into the plan folder.
DRAWN_MARCH_FILE = "drawn_march_table.csv"

#: What was drawn, how, and with which probability.
DRAWN_FILE = "drawn.json"


@dataclass(frozen=True, slots=True)
class Drawn:
    """The outcome of a draw."""

    entry: MixEntry
    source: str
    seed: int | None
    u: float
    files: tuple[Path, ...]


def pick(mix: tuple[MixEntry, ...], u: float) -> MixEntry:
    """
    The plan whose share of [0, 1) holds ``u`` (cumulative probabilities).

    Examples
    --------
    >>> from types import SimpleNamespace as N
    >>> mix = (N(name="a", probability=0.25), N(name="b", probability=0.75))
    >>> pick(mix, 0.1).name, pick(mix, 0.3).name, pick(mix, 0.999).name
    ('a', 'b', 'b')
    """
    total = 0.0
    for m in mix:
        total += m.probability
        if u < total:
            return m
    return mix[-1]


def draw_plan(
    plan_dir: str | Path, *, seed: int | None = None, overwrite: bool = False
) -> Drawn:
    """
    Draw one plan of the mix in ``plan_dir`` and write its march table.

    Parameters
    ----------
    plan_dir
        A folder written by ``convoy plan --adversary mixed``.
    seed
        Seed of a NumPy generator; None draws from the operating system
        (:func:`secrets.SystemRandom`), which cannot be replayed.
    overwrite
        Replace an earlier draw's files.

    Raises
    ------
    ConvoyError
        No plan.json, no mix in it, or the files exist and ``overwrite`` is false.
    """
    plan_dir = Path(plan_dir)
    path = plan_dir / PLAN_FILE
    doc = PlanDocument.read_folder(plan_dir)
    adv = doc.adversary
    if adv is None or not adv.mix:
        raise ScenarioError(
            Problem(
                str(path),
                "",
                "adversary.mix",
                "a mix of plans (made by `convoy plan --adversary mixed`)",
                "none" if adv is None else f"adversary mode {adv.mode!r}, no mix",
            )
        )
    if seed is None:
        u = secrets.SystemRandom().random()
        source = "hardware"
    else:
        u = float(np.random.default_rng(seed).random())
        source = "seeded"
    entry = pick(adv.mix, u)
    names = [DRAWN_MARCH_FILE, DRAWN_FILE]
    with staged_outputs(plan_dir, names, overwrite=overwrite) as tmp:
        rows = entry.plan.march_table or ()
        write_march_table(rows, tmp / DRAWN_MARCH_FILE)
        record = {
            "plan": entry.name,
            "probability": entry.probability,
            "source": source,
            "seed": seed,
            "u": u,
            "depart": iso(entry.plan.summary.depart),
            "expected_incidents": entry.plan.summary.expected_incidents,
        }
        (tmp / DRAWN_FILE).write_text(canonical_json(record), encoding="utf-8")
    return Drawn(entry, source, seed, u, tuple(plan_dir / n for n in names))
