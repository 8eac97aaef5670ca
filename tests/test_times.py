"""Parsing times: ISO 8601 UTC times, event dates, times of day."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from convoy.times import as_utc, format_utc, parse_event_date, parse_hhmm, parse_utc


def test_parse_utc():
    """Zoned ISO times and TOML datetimes become UTC; a naive time is refused."""
    want = datetime(2023, 10, 31, 6, tzinfo=UTC)
    assert parse_utc("2023-10-31T06:00:00Z") == want
    assert parse_utc(" 2023-10-31T07:00:00+01:00 ") == want
    assert parse_utc(want) == want
    with pytest.raises(ValueError, match="UTC offset"):
        parse_utc("2023-10-31T06:00:00")
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_utc("31/10/2023")
    with pytest.raises(ValueError, match="ISO 8601"):
        parse_utc(42)  # type: ignore[arg-type]


def test_as_utc_and_format():
    """The lenient reading takes dates and naive times as UTC."""
    assert as_utc("2023-10-31") == datetime(2023, 10, 31, tzinfo=UTC)
    assert as_utc(date(2023, 10, 31)) == datetime(2023, 10, 31, tzinfo=UTC)
    assert format_utc(as_utc("2023-10-31T06:00Z")) == "2023-10-31T06:00Z"
    with pytest.raises(ValueError):
        as_utc("soon")


def test_parse_hhmm():
    """Times of day are minutes after midnight; 24:00 is the end of the day."""
    assert parse_hhmm("06:30") == 390
    assert parse_hhmm("24:00") == 1440
    for bad in ("24:01", "6h30", "", "12:60"):
        with pytest.raises(ValueError, match="time of day"):
            parse_hhmm(bad)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023-10-31", date(2023, 10, 31)),
        ("22 February 2019", date(2019, 2, 22)),
        ("22-Feb-2019", date(2019, 2, 22)),
        ("22/02/2019", date(2019, 2, 22)),
        ("2019-02-22 00:00:00.000", date(2019, 2, 22)),
    ],
)
def test_parse_event_date(text, expected):
    """ACLED and UCDP date spellings parse to the same calendar day."""
    assert parse_event_date(text) == expected


@pytest.mark.parametrize("text", ["2023-02-30", "31 Octobre 2023", "yesterday", ""])
def test_parse_event_date_rejects(text):
    """Impossible or unknown dates raise ValueError."""
    with pytest.raises(ValueError):
        parse_event_date(text)
