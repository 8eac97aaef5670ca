"""The reference trip of ``[calibration]``, parsed and checked at read time.

The risk is calibrated so that the observed convoy (left at ``depart``, arrived at
``arrive``, along ``route``) shows the IED incidents it met. Its times are checked
here, at read time, so that a scenario dated another year with the default
(2023) trip is refused with the other problems instead of planning with a
reference trip months before its start.
"""

from __future__ import annotations

from datetime import datetime

from convoy._problems import Problems
from convoy.errors import ScenarioError
from convoy.params import CalibrationParams
from convoy.scenario import ReferenceTrip
from convoy.times import format_utc, parse_utc

_WHERE = "[calibration]"
_ADVICE = "set [calibration] enabled = false or give the reference trip's dates"


def _parse_times(
    cal: CalibrationParams, file: str, problems: Problems | None
) -> dict[str, datetime]:
    """Depart and arrive that parse; the others recorded (when ``problems``)."""
    out: dict[str, datetime] = {}
    for key in ("depart", "arrive"):
        text = getattr(cal, key)
        try:
            out[key] = parse_utc(text)
        except ValueError as exc:
            if problems is not None:
                problems.add(file, _WHERE, key, f"{exc} ({_ADVICE})", repr(text))
    return out


def _frame_problems(
    depart: datetime,
    arrive: datetime,
    start: datetime | None,
    deadline: datetime | None,
    file: str,
    problems: Problems,
) -> None:
    """Depart before arrive, the departure in [start, deadline], arrival after start."""
    if not depart < arrive:
        problems.add(
            file,
            _WHERE,
            "arrive",
            f"a time after depart ({format_utc(depart)})",
            format_utc(arrive),
        )
    if start is None or deadline is None or deadline <= start:
        return  # the calendar's own problem is reported by the header checks
    if not start <= depart <= deadline:
        problems.add(
            file,
            _WHERE,
            "depart",
            f"a time between {format_utc(start)} (start) and "
            f"{format_utc(deadline)} (deadline)",
            f"{format_utc(depart)}; {_ADVICE}",
        )
    if arrive < start:
        problems.add(
            file,
            _WHERE,
            "arrive",
            f"a time after {format_utc(start)} (start)",
            f"{format_utc(arrive)}; {_ADVICE}",
        )


def read_reference_trip(
    cal: CalibrationParams,
    *,
    start: datetime | None,
    deadline: datetime | None,
    origin: str | None,
    destination: str | None,
    file: str,
    problems: Problems,
) -> ReferenceTrip | None:
    """
    The reference trip of ``[calibration]``, checked against the scenario's calendar.

    When calibration is enabled, each of these is a problem recorded at
    ``[calibration]``: ``depart`` or ``arrive`` not an ISO 8601 UTC time; ``arrive``
    not after ``depart``; ``depart`` outside ``[start, deadline]``; ``arrive`` before
    ``start``; a ``route`` that
    does not run from the origin to the destination. (The arrival may fall after the
    deadline: the observed column may have been slower than the plan is allowed to
    be.) That the route names sites is checked with the other site references by
    :func:`convoy.io.validate.check_scenario`.

    Parameters
    ----------
    cal
        The ``[calibration]`` table.
    start, deadline, origin, destination
        From ``[scenario]``; None where unreadable (its problem is recorded
        elsewhere).
    file
        The scenario file, as messages name it.
    problems
        Where problems are recorded.

    Returns
    -------
    ReferenceTrip or None
        None when the trip cannot be built: a problem was recorded, the header is
        incomplete, or (calibration disabled) its times do not make a trip.

    Examples
    --------
    >>> trip = read_reference_trip(CalibrationParams(), start=..., deadline=...,
    ...     origin="Kidal", destination="Gao", file="scenario.toml",
    ...     problems=Problems())  # doctest: +SKIP
    """
    report = problems if cal.enabled else Problems(file)
    before = len(report)
    times = _parse_times(cal, file, report)
    if len(times) == 2:
        _frame_problems(times["depart"], times["arrive"], start, deadline, file, report)
    route = cal.route or ((origin, destination) if origin and destination else ())
    endpoints = (route[0], route[-1]) if route else (origin, destination)
    if cal.enabled and origin and destination and endpoints != (origin, destination):
        report.add(
            file,
            _WHERE,
            "route",
            f"site names from {origin!r} to {destination!r}",
            repr(list(route)),
        )
    if len(times) < 2 or origin is None or destination is None:
        return None
    if cal.enabled and len(report) > before:
        return None
    if not times["depart"] < times["arrive"]:
        return None
    try:
        return ReferenceTrip(
            depart=times["depart"],
            arrive=times["arrive"],
            route=tuple(str(n) for n in route),
            vehicles=cal.vehicles,
            ied_incidents=cal.ied_incidents,
        )
    except ScenarioError as exc:
        report.take(exc, file=file, where=_WHERE)
        return None
