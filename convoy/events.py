"""Threat events: past incidents, as read from ACLED, UCDP GED or any point layer.

The risk field (:mod:`convoy.risk.field`) is a kernel sum over these events. This
module holds the record only; :mod:`convoy.io.events` reads, checks and projects the
files. What an event type means for the risk is decided by the channel rules in
:class:`convoy.params.RiskParams`.

The formats read (ACLED, UCDP GED, any point layer) are described in
:mod:`convoy.io.events`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from convoy.errors import ScenarioError


@dataclass(frozen=True, slots=True, eq=False)
class ThreatEvents:
    """
    Past threat events, checked and projected; one array entry per event.

    Parameters
    ----------
    lonlat
        (K, 2) WGS 84 longitude and latitude, in degrees.
    xy
        (K, 2) the same points in ``crs``, in metres.
    date
        (K,) ``datetime64[D]`` event dates.
    age_days
        (K,) days from the event's date (midnight UTC) to the scenario start, >= 0.
    event_type, sub_event_type
        (K,) type strings (``""`` where there is no sub-type); UCDP types are
        ``"ucdp:1"`` (state-based), ``"ucdp:2"`` (non-state), ``"ucdp:3"``
        (one-sided).
    fatalities
        (K,) reported fatalities, >= 0.
    geo_precision
        (K,) location precision code (ACLED ``geo_precision`` or UCDP
        ``where_prec``; 1 is the most precise).
    source
        The file read, as given.
    fmt
        ``"acled"``, ``"ucdp"`` or ``"layer"``.
    num_after_start
        Events ignored because they are dated after the start.
    num_imprecise
        Events dropped because their precision code is above the limit.
    crs
        The projected CRS of ``xy``, as WKT or an authority string.
    """

    lonlat: NDArray[np.float64]
    xy: NDArray[np.float64]
    date: NDArray[np.datetime64]
    age_days: NDArray[np.float64]
    event_type: NDArray[np.str_]
    sub_event_type: NDArray[np.str_]
    fatalities: NDArray[np.float64]
    geo_precision: NDArray[np.int64]
    source: str
    fmt: str
    num_after_start: int = 0
    num_imprecise: int = 0
    crs: str = ""

    def __post_init__(self) -> None:
        k = len(self.age_days)
        shapes = {
            "lonlat": (self.lonlat.shape, (k, 2)),
            "xy": (self.xy.shape, (k, 2)),
            "date": (self.date.shape, (k,)),
            "event_type": (self.event_type.shape, (k,)),
            "sub_event_type": (self.sub_event_type.shape, (k,)),
            "fatalities": (self.fatalities.shape, (k,)),
            "geo_precision": (self.geo_precision.shape, (k,)),
        }
        for name, (got, want) in shapes.items():
            if got != want:
                msg = f"ThreatEvents.{name}: expected shape {want}, found {got}"
                raise ScenarioError(msg)
        if k and not (np.isfinite(self.age_days).all() and (self.age_days >= 0).all()):
            msg = "ThreatEvents.age_days: expected finite days >= 0"
            raise ScenarioError(msg)

    def __len__(self) -> int:
        return len(self.age_days)

    @property
    def num_events(self) -> int:
        """Number of events kept."""
        return len(self.age_days)

    def type_keys(self) -> NDArray[np.str_]:
        """
        ``"event_type|sub_event_type"`` per event (``"event_type"`` when no sub-type).

        These are the keys of :meth:`convoy.params.RiskParams.channel_rules`.
        """
        out = [
            f"{t}|{s}" if s else str(t)
            for t, s in zip(self.event_type, self.sub_event_type, strict=True)
        ]
        return np.array(out, dtype=np.str_) if out else np.empty(0, dtype="<U1")
