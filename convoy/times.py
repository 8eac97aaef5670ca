"""The one place times are parsed: ISO 8601 UTC times, event dates, times of day.

Every parser raises :class:`ValueError` whose message says what was expected (for
example ``"an ISO 8601 time such as '2023-10-31T06:00:00Z'"``), so that a reader can
put it in a :class:`~convoy.errors.Problem` beside the value it found.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import numpy as np

#: What an ISO 8601 time looks like, for messages.
ISO_EXAMPLE = "an ISO 8601 time such as '2023-10-31T06:00:00Z'"

_MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_MONTHS = {m: i + 1 for i, m in enumerate(_MONTH_NAMES)}
_MONTHS.update({k[:3]: v for k, v in list(_MONTHS.items())})
_MONTHS["sept"] = 9

_ISO_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$")
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})[ \-]([A-Za-z]+)\.?[ \-,]*(\d{4})$")
_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def parse_utc(value: str | datetime) -> datetime:
    """
    A timezone-aware UTC datetime from an ISO 8601 string or a TOML datetime.

    The time must carry its zone (``Z`` or an offset such as ``+00:00``); it is
    converted to UTC.

    Raises
    ------
    ValueError
        If the value is not an ISO 8601 time, or has no zone; the message says
        what was expected.

    Examples
    --------
    >>> parse_utc("2023-10-31T06:00:00Z").isoformat()
    '2023-10-31T06:00:00+00:00'
    """
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(ISO_EXAMPLE) from None
    if not isinstance(value, datetime):
        raise ValueError(ISO_EXAMPLE)
    if value.tzinfo is None or value.utcoffset() is None:
        msg = "a time with 'Z' or a UTC offset (times are UTC)"
        raise ValueError(msg)
    return value.astimezone(UTC)


def as_utc(value: datetime | date | str | np.datetime64) -> datetime:
    """
    A UTC datetime from a datetime, a date, an ISO 8601 string or a datetime64.

    Lenient where :func:`parse_utc` is strict: a time without zone and a date
    (midnight) are read as UTC.

    Raises
    ------
    ValueError
        If a string is not an ISO 8601 time.

    Examples
    --------
    >>> as_utc("2023-10-31").isoformat()
    '2023-10-31T00:00:00+00:00'
    """
    if isinstance(value, np.datetime64):
        value = str(np.datetime_as_string(value.astype("datetime64[s]")))
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(ISO_EXAMPLE) from None
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def format_utc(value: datetime) -> str:
    """
    A UTC time as messages write it: ``2023-10-31T06:00Z``.

    Examples
    --------
    >>> format_utc(parse_utc("2023-10-31T06:00:00Z"))
    '2023-10-31T06:00Z'
    """
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def parse_event_date(text: str) -> date:
    """
    Parse an event date as ACLED and UCDP write them.

    Accepts ``2023-10-31`` (optionally followed by a time, as UCDP writes
    ``date_start``), ``31 October 2023``, ``31-Oct-2023`` and ``31/10/2023``
    (day first, as older ACLED exports).

    Raises
    ------
    ValueError
        If the text is none of these or not a real calendar date.

    Examples
    --------
    >>> parse_event_date("22 February 2019")
    datetime.date(2019, 2, 22)
    """
    s = text.strip()
    if m := _ISO_DAY.match(s):
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    elif m := _DAY_MONTH_YEAR.match(s):
        mon = _MONTHS.get(m[2].lower())
        if mon is None:
            msg = f"unknown month {m[2]!r}"
            raise ValueError(msg)
        y, mo, d = int(m[3]), mon, int(m[1])
    elif m := _SLASHED.match(s):
        y, mo, d = int(m[3]), int(m[2]), int(m[1])
    else:
        msg = f"not a date: {text!r}"
        raise ValueError(msg)
    return date(y, mo, d)


def parse_hhmm(text: str) -> int:
    """
    Minutes after midnight UTC of an ``"HH:MM"`` string (``"24:00"`` allowed).

    Raises
    ------
    ValueError
        If the text is not a time of day.

    Examples
    --------
    >>> parse_hhmm("06:30")
    390
    """
    try:
        hh, mm = text.split(":")
        h, m = int(hh), int(mm)
    except (ValueError, AttributeError):
        msg = f"a time of day 'HH:MM', got {text!r}"
        raise ValueError(msg) from None
    if not (0 <= h <= 24 and 0 <= m < 60 and h * 60 + m <= 1440):
        msg = f"a time of day between 00:00 and 24:00, got {text!r}"
        raise ValueError(msg)
    return h * 60 + m


#: Months as a date-time group writes them.
MONTHS: tuple[str, ...] = (
    *("JAN", "FEB", "MAR", "APR", "MAY", "JUN"),
    *("JUL", "AUG", "SEP", "OCT", "NOV", "DEC"),
)


def dtg(t: datetime | None, *, short: bool = False) -> str:
    """
    A time as a military date-time group in UTC, ``DDHHMMZ MON YY``.

    Day of month, hours and minutes (seconds rounded half up to the minute), the
    zone letter Z, the month's three-letter abbreviation in capitals and the
    two-digit year (the NATO form, STANAG 2014 / ATP-3.2.2). ``short`` gives
    ``DDHHMMZ`` alone, for tables whose month is plain from context. ``None``
    gives an empty string.

    Examples
    --------
    >>> dtg(datetime(2023, 10, 31, 11, 0, 29, tzinfo=UTC))
    '311100Z OCT 23'
    >>> dtg(datetime(2023, 10, 31, 11, 0, 30, tzinfo=UTC), short=True)
    '311101Z'
    >>> dtg(None)
    ''
    """
    if t is None:
        return ""
    if t.tzinfo is not None:
        t = t.astimezone(UTC)
    t = (t + timedelta(seconds=30)).replace(second=0, microsecond=0)
    head = f"{t:%d%H%M}Z"
    return head if short else f"{head} {MONTHS[t.month - 1]} {t:%y}"
