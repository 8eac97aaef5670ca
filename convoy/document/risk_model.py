"""What the risk rests on: plan.json's ``risk_model`` and each plan's background part.

The background rate, the IED trigger split, the hourly profiles and the age of the
events.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from convoy.document._fields import Fields, with_optional
from convoy.plan import Plan, Trip
from convoy.schedule import trajectory_exposure


@dataclass(frozen=True, slots=True)
class RiskModelInfo:
    """
    The assumptions of the risk the plans were priced with.

    Parameters
    ----------
    background
        Whether every road carries a background rate (``[risk] background``).
    background_factor
        Its fraction of each channel's mean along the network.
    background_ied_per_km
        The IED background, expected incidents per km traversed (calibrated).
    background_ambush_per_km_h
        The ambush background, expected incidents per hour per km of column.
    diurnal
        ``"flat"`` or ``"shaped"`` (``"custom"`` when profiles were given).
    ied_command_share
        Share of IEDs priced as command-initiated (growing with the column).
    ied_reference_km
        Day length of the column the IED channel is calibrated on, km.
    newest_event_date, newest_event_age_days, newest_event_decay_weight
        The newest event kept, its age at the start (days) and its time-decay
        weight there (None without events).
    stale_after_days
        Age beyond which the events are called stale.
    events_stale
        Whether the newest event is older than that.
    """

    background: bool
    background_factor: float
    background_ied_per_km: float
    background_ambush_per_km_h: float
    diurnal: str
    ied_command_share: float
    ied_reference_km: float
    stale_after_days: float
    events_stale: bool
    newest_event_date: str | None = None
    newest_event_age_days: float | None = None
    newest_event_decay_weight: float | None = None

    @classmethod
    def read(cls, f: Fields) -> RiskModelInfo:
        """Read the ``risk_model`` object."""
        return cls(
            f.bool_("background"),
            f.num("background_factor", lo=0.0),
            f.num("background_ied_per_km", lo=0.0),
            f.num("background_ambush_per_km_h", lo=0.0),
            f.str_("diurnal"),
            f.num("ied_command_share", lo=0.0),
            f.num("ied_reference_km", lo=0.0),
            f.num("stale_after_days", lo=0.0),
            f.bool_("events_stale"),
            f.str_or_none("newest_event_date"),
            f.num_or_none("newest_event_age_days"),
            f.num_or_none("newest_event_decay_weight"),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON object."""
        return with_optional(
            {
                "background": self.background,
                "background_factor": self.background_factor,
                "background_ied_per_km": self.background_ied_per_km,
                "background_ambush_per_km_h": self.background_ambush_per_km_h,
                "diurnal": self.diurnal,
                "ied_command_share": self.ied_command_share,
                "ied_reference_km": self.ied_reference_km,
                "stale_after_days": self.stale_after_days,
                "events_stale": self.events_stale,
            },
            newest_event_date=self.newest_event_date,
            newest_event_age_days=self.newest_event_age_days,
            newest_event_decay_weight=self.newest_event_decay_weight,
        )

    def stale_message(self) -> str:
        """One sentence on stale events, or "" when they are not."""
        if not self.events_stale:
            return ""
        return (
            f"The newest event ({self.newest_event_date}) is "
            f"{self.newest_event_age_days or 0:.0f} days before the start, more than "
            f"{self.stale_after_days:g}; its time-decay weight at the start is "
            f"{self.newest_event_decay_weight or 0:.3g}, but calibration rescales "
            "the field to the reference trip: the risk reads as if current."
        )


def _diurnal_name(plan: Plan) -> str:
    risk = plan.scenario.risk
    from_choice = (
        dataclasses.replace(risk, diurnal_ied=(), diurnal_ambush=())
        if risk.diurnal_ied or risk.diurnal_ambush
        else risk
    )
    same = (
        risk.diurnal_ied == from_choice.diurnal_ied
        and risk.diurnal_ambush == from_choice.diurnal_ambush
    )
    return risk.diurnal if same else "custom"


def risk_model_info(plan: Plan) -> RiskModelInfo:
    """The ``risk_model`` of a plan."""
    risk, er = plan.scenario.risk, plan.edge_risk
    st = plan.risk_field.staleness
    return RiskModelInfo(
        background=risk.background,
        background_factor=risk.background_factor if risk.background else 0.0,
        background_ied_per_km=er.background_ied,
        background_ambush_per_km_h=er.background_ambush,
        diurnal=_diurnal_name(plan),
        ied_command_share=plan.optimised.model.ied_command_share,
        ied_reference_km=plan.optimised.model.ied_reference_km,
        stale_after_days=risk.stale_after_days,
        events_stale=bool(st is not None and st.stale),
        newest_event_date=None if st is None else st.newest_date,
        newest_event_age_days=None if st is None else st.newest_age_days,
        newest_event_decay_weight=None if st is None else st.decay_weight,
    )


def background_incidents(plan: Plan, trip: Trip) -> float:
    """
    The part of a trip's expected incidents (IED and ambush) due to the background.

    The trip is priced again on its own model with the background tables alone;
    pricing is linear in the tables, so the rest is the events' part.
    """
    er = plan.edge_risk
    assert er.edge_bg_ied is not None and er.edge_bg_ambush is not None
    assert er.node_bg_ambush is not None
    model = trip.model
    if len(er.edge_bg_ied) != model.num_edges:  # not on the network's own edges
        return 0.0
    bg = dataclasses.replace(
        model,
        edge_ied=er.edge_bg_ied,
        edge_ambush=er.edge_bg_ambush,
        node_ambush=er.node_bg_ambush,
    )
    traj = trip.trip.trajectory
    return float(trajectory_exposure(bg, traj.legs, traj.halts).total)
