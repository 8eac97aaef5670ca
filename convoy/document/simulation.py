"""The ``simulation`` object of plan.json: the Monte Carlo spread of a plan."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from convoy.document._fields import Fields, iso
from convoy.simulate import SimulationResult, result_histograms

#: Quantile keys of every distribution.
QUANTILE_KEYS: tuple[str, ...] = ("p50", "p90", "p99")

#: Keys of the ``uncertainty`` object: what the Monte Carlo drew beyond the
#: planner's rates (null shape: a fixed rate), and the incidents' variance.
UNCERTAINTY_KEYS: tuple[str, ...] = (
    "rate_shape_ied",
    "rate_shape_ambush",
    "near_repeat_boost",
    "near_repeat_km",
    "near_repeat_h",
    "incidents_variance",
)

#: The count statistics of a simulation, in the order the report lists them.
COUNT_KEYS: tuple[str, ...] = (
    "incidents",
    "ied",
    "ambush",
    "breakdowns",
    "vehicles_destroyed",
    "vehicles_lost_breakdown",
    "vehicles_lost",
)


@dataclass(frozen=True, slots=True)
class ValueStats:
    """Mean, standard deviation, standard error, maximum and quantiles of a value."""

    mean: float
    std: float
    stderr: float
    max: float
    p50: float
    p90: float
    p99: float

    @classmethod
    def read(cls, f: Fields) -> ValueStats:
        """Read a statistics object."""
        return cls(
            *(f.num(k) for k in ("mean", "std", "stderr", "max", *QUANTILE_KEYS))
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON object: the fields by name."""
        return dataclasses.asdict(self)


@dataclass(frozen=True, slots=True)
class CountStats:
    """COUNT: :class:`ValueStats` of a count plus P(0), P(>=1) and P(>=3)."""

    mean: float
    std: float
    stderr: float
    max: float
    p50: float
    p90: float
    p99: float
    p0: float
    p_ge1: float
    p_ge3: float

    @classmethod
    def read(cls, f: Fields) -> CountStats:
        """Read a COUNT object."""
        keys = ("mean", "std", "stderr", "max", *QUANTILE_KEYS, "p0", "p_ge1", "p_ge3")
        return cls(*(f.num(k) for k in keys))

    def to_dict(self) -> dict[str, Any]:
        """The JSON object: the fields by name."""
        return dataclasses.asdict(self)


@dataclass(frozen=True, slots=True)
class SimulationPlanned:
    """What the planner expected of the simulated plan."""

    expected_incidents: float
    expected_ied_incidents: float
    expected_ambush_incidents: float
    arrive: datetime
    deadline: datetime
    slack_h: float
    distance_km: float
    vehicles_moving: int
    recovery_vehicles_free: int
    expected_breakdowns: float | None = None

    @classmethod
    def read(cls, f: Fields) -> SimulationPlanned:
        """Read the ``planned`` object."""
        return cls(
            f.num("expected_incidents"),
            f.num("expected_ied_incidents"),
            f.num("expected_ambush_incidents"),
            f.time("arrive"),
            f.time("deadline"),
            f.num("slack_h"),
            f.num("distance_km"),
            f.int_("vehicles_moving"),
            f.int_("recovery_vehicles_free"),
            f.num_or_none("expected_breakdowns"),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON object."""
        extra = (
            {}
            if self.expected_breakdowns is None
            else {"expected_breakdowns": self.expected_breakdowns}
        )
        return {
            **extra,
            "expected_incidents": self.expected_incidents,
            "expected_ied_incidents": self.expected_ied_incidents,
            "expected_ambush_incidents": self.expected_ambush_incidents,
            "arrive": iso(self.arrive),
            "deadline": iso(self.deadline),
            "slack_h": self.slack_h,
            "distance_km": self.distance_km,
            "vehicles_moving": self.vehicles_moving,
            "recovery_vehicles_free": self.recovery_vehicles_free,
        }


@dataclass(frozen=True, slots=True)
class CountHistogram:
    """Runs per count: ``counts[k]`` runs with exactly k (the last bar open-topped)."""

    counts: tuple[int, ...]
    open_top: bool

    @classmethod
    def read(cls, f: Fields) -> CountHistogram:
        """Read a count histogram."""
        counts = f.nums("counts")
        if not counts or not all(isinstance(c, int) for c in counts):
            f.fail("counts", "a non-empty list of run counts")
        return cls(tuple(int(c) for c in counts if c is not None), f.bool_("open_top"))

    def to_dict(self) -> dict[str, Any]:
        """The JSON object."""
        return {"counts": list(self.counts), "open_top": self.open_top}


@dataclass(frozen=True, slots=True)
class DelayHistogram:
    """Runs per delay interval of ``bin_h`` hours, from 0."""

    bin_h: float
    counts: tuple[int, ...]

    @classmethod
    def read(cls, f: Fields) -> DelayHistogram:
        """Read the delay histogram."""
        counts = f.nums("counts")
        if not counts or not all(isinstance(c, int) for c in counts):
            f.fail("counts", "a non-empty list of run counts")
        bin_h = f.num("bin_h")
        if not bin_h > 0:
            f.fail("bin_h", "hours > 0")
        return cls(bin_h, tuple(int(c) for c in counts if c is not None))

    def to_dict(self) -> dict[str, Any]:
        """The JSON object."""
        return {"bin_h": self.bin_h, "counts": list(self.counts)}


@dataclass(frozen=True, slots=True)
class Histograms:
    """The histograms the report draws."""

    incidents: CountHistogram
    vehicles_lost: CountHistogram
    delay_h: DelayHistogram

    @classmethod
    def read(cls, f: Fields) -> Histograms:
        """Read the ``histograms`` object."""
        return cls(
            CountHistogram.read(f.obj("incidents")),
            CountHistogram.read(f.obj("vehicles_lost")),
            DelayHistogram.read(f.obj("delay_h")),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON object."""
        return {
            "incidents": self.incidents.to_dict(),
            "vehicles_lost": self.vehicles_lost.to_dict(),
            "delay_h": self.delay_h.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class SimulationSummary:
    """SIMULATION: a Monte Carlo of one plan (simulation.json, plus histograms)."""

    format: str
    plan: str
    num_runs: int
    seed: int
    params: dict[str, float]
    planned: SimulationPlanned
    counts: dict[str, CountStats]
    delay_h: ValueStats
    arrival: dict[str, datetime]
    p_miss_deadline: float
    histograms: Histograms | None = None
    uncertainty: dict[str, float | None] | None = None
    tows: CountStats | None = None

    @property
    def incidents(self) -> CountStats:
        """Incidents (IED and ambush) per run."""
        return self.counts["incidents"]

    @property
    def vehicles_lost(self) -> CountStats:
        """Vehicles lost per run."""
        return self.counts["vehicles_lost"]

    @classmethod
    def read(cls, f: Fields) -> SimulationSummary:
        """Read a ``simulation`` object (or a simulation.json document)."""
        params = f.mapping("params")
        if not all(
            isinstance(v, int | float) and not isinstance(v, bool)
            for v in params.values()
        ):
            f.fail("params", "an object of numbers")
        arrival = f.obj("arrival")
        hist = f.obj_or_none("histograms")
        unc = f.obj_or_none("uncertainty")
        tows = f.obj_or_none("tows")
        return cls(
            f.str_("format"),
            f.str_("plan"),
            f.int_("num_runs"),
            f.int_("seed"),
            params,
            SimulationPlanned.read(f.obj("planned")),
            {k: CountStats.read(f.obj(k)) for k in COUNT_KEYS},
            ValueStats.read(f.obj("delay_h")),
            {q: arrival.time(q) for q in QUANTILE_KEYS},
            f.num("p_miss_deadline", lo=0.0),
            None if hist is None else Histograms.read(hist),
            None
            if unc is None
            else {k: unc.num_or_none(k) for k in UNCERTAINTY_KEYS if unc.has(k)},
            None if tows is None else CountStats.read(tows),
        )

    @classmethod
    def from_result(
        cls, result: SimulationResult, *, histograms: bool = True
    ) -> SimulationSummary:
        """The summary of a simulation, with the report's histograms."""
        doc = result.to_document()
        if histograms:
            doc["histograms"] = result_histograms(result)
        return cls.read(Fields(doc, "simulation"))

    def to_dict(self) -> dict[str, Any]:
        """The JSON object."""
        out: dict[str, Any] = {
            "format": self.format,
            "plan": self.plan,
            "num_runs": self.num_runs,
            "seed": self.seed,
            "params": dict(self.params),
            "planned": self.planned.to_dict(),
            **{k: v.to_dict() for k, v in self.counts.items()},
            "delay_h": self.delay_h.to_dict(),
            "arrival": {q: iso(t) for q, t in self.arrival.items()},
            "p_miss_deadline": self.p_miss_deadline,
        }
        if self.histograms is not None:
            out["histograms"] = self.histograms.to_dict()
        if self.uncertainty is not None:
            out["uncertainty"] = dict(self.uncertainty)
        if self.tows is not None:
            out["tows"] = self.tows.to_dict()
        return out
