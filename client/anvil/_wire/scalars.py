"""Text forms of the scalar types JSON cannot hold: Long, Float specials, Date and DateTime.

Every parser raises ``ValueError`` with a message on bad text; the decoder turns that into a
SerializationError naming the path.

Example:
    >>> import datetime as dt
    >>> format_datetime(dt.datetime(2024, 5, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=1))))
    '2024-05-01 12:00:00.000000+0100'
    >>> parse_datetime('2024-05-01 12:00:00.000000-0330').utcoffset() == -dt.timedelta(hours=3, minutes=30)
    True
"""

from __future__ import annotations

import datetime as dt
import math
import re

INT_LIMIT = 2147483647

_LONG = re.compile(r"-?[0-9]+")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_DATETIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[ T]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,6}))?"
    r"(?:([+-])([0-9]{2}):?([0-9]{2})|Z)?"
)
_FLOAT_TEXT = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def fits_inline(value: int) -> bool:
    """True when an int travels as plain JSON rather than as a Long."""
    return -INT_LIMIT <= value <= INT_LIMIT


def format_long(value: int) -> str:
    return str(value)


def parse_long(text: object) -> int:
    if not isinstance(text, str) or not _LONG.fullmatch(text):
        raise ValueError(f"bad Long value {text!r}")
    return int(text)


def format_float(value: float) -> str:
    """The text of a non-finite float."""
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def parse_float(text: object) -> float:
    if not isinstance(text, str) or text not in _FLOAT_TEXT:
        raise ValueError(f"bad Float value {text!r}")
    return _FLOAT_TEXT[text]


def format_date(value: dt.date) -> str:
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def parse_date(text: object) -> dt.date:
    match = _DATE.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"bad Date value {text!r}")
    return dt.date(*map(int, match.groups()))


def format_datetime(value: dt.datetime) -> str:
    """``YYYY-MM-DD HH:MM:SS.ffffff±HHMM``; a naive value is stamped with this machine's local offset."""
    offset = value.utcoffset() if value.tzinfo is not None else value.astimezone().utcoffset()
    assert offset is not None
    total_seconds = int(offset.total_seconds())
    if total_seconds % 60:
        raise ValueError(f"its UTC offset {offset} has seconds, which a DateTime cannot carry")
    sign = "-" if total_seconds < 0 else "+"
    hours, minutes = divmod(abs(total_seconds) // 60, 60)
    return (f"{value.year:04d}-{value.month:02d}-{value.day:02d} "
            f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}.{value.microsecond:06d}"
            f"{sign}{hours:02d}{minutes:02d}")


def parse_datetime(text: object) -> dt.datetime:
    """Parse a DateTime; with no offset the result is naive, with one it is aware."""
    match = _DATETIME.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"bad DateTime value {text!r}")
    year, month, day, hour, minute, second, fraction, sign, off_h, off_m = match.groups()
    microsecond = int(fraction.ljust(6, "0")) if fraction else 0
    tz = None
    if sign is not None:
        tz = _timezones.get(text[-6:])
        if tz is None:
            tz = _timezone(text, sign, off_h, off_m)
    elif text.endswith("Z"):
        tz = dt.timezone.utc
    return dt.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), microsecond, tz)


#: The timezones of offsets parsed before, by the text's last 6 characters (a message's values share a few).
_timezones: dict[str, dt.timezone] = {}


def _timezone(text: str, sign: str, off_h: str, off_m: str) -> dt.timezone:
    offset = dt.timedelta(hours=int(off_h), minutes=int(off_m))
    if offset >= dt.timedelta(hours=24):
        raise ValueError(f"bad DateTime offset in {text!r}")
    tz = dt.timezone(-offset if sign == "-" else offset)
    if len(_timezones) < 256:
        _timezones[text[-6:]] = tz
    return tz
