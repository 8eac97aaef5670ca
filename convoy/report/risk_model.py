"""The report's paragraph on what the risk rests on.

The background share, the IED trigger split, the hourly profile, the age of the events.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from convoy.document import PlanDocument


def risk_model_sentences(doc: PlanDocument) -> list[str]:
    """
    Plain sentences on the risk model of a plan document (empty for old documents).

    The background share of the optimised plan and the baselines, the share of IEDs
    priced as command-initiated, the hourly profile, and stale events.
    """
    rm = doc.risk_model
    if rm is None:
        return []
    out: list[str] = []
    s = doc.summary
    share = s.background_share
    if rm.background and share is not None:
        others = ", ".join(
            f"{name.replace('_', ' ')} {100 * b.background_share:.0f} %"
            for name, b in doc.baselines.items()
            if b.background_share is not None
        )
        out.append(
            f"Background: {100 * share:.0f} % of the optimised plan's expected "
            f"incidents ({s.background_incidents or 0:.2f}) come from the background "
            f"rate every road carries, {rm.background_factor:g} times the network's "
            f"mean ({rm.background_ied_per_km:.2g} IED per km, "
            f"{rm.background_ambush_per_km_h:.2g} ambush per hour per km of column), "
            "not from reported events" + (f"; baselines: {others}." if others else ".")
        )
    elif not rm.background:
        out.append(
            "Background: off ([risk] background = false): roads with no reported "
            "event count as safe."
        )
    out.append(
        f"IEDs: {100 * rm.ied_command_share:.0f} % priced as command-initiated, "
        f"growing with the column's length against the {rm.ied_reference_km:.1f} km "
        "reference column; the rest strike the head of the column."
    )
    out.append(
        "Hour of day: "
        + {
            "flat": "every hour alike (no source gives the hour of attacks).",
            "shaped": 'the shaped profiles of [risk] diurnal = "shaped", an '
            "unsourced planning assumption.",
        }.get(rm.diurnal, "the profiles given in [risk].")
    )
    stale = rm.stale_message()
    if stale:
        out.append(f"Stale events: {stale}")
    return out


def risk_model_note(doc: PlanDocument) -> Markup:
    """The sentences as an HTML paragraph, stale events in the warning style."""
    sentences = risk_model_sentences(doc)
    if not sentences:
        return Markup("")
    cls = "warning" if doc.risk_model and doc.risk_model.events_stale else "note"
    body = " ".join(str(escape(t)) for t in sentences)
    return Markup(f'<p class="{cls}" id="risk-model"><b>Risk model.</b> {body}</p>')
