"""Time zones for Skulpt's ``datetime`` (which has no ``datetime.timezone``), named as in Anvil's ``anvil.tz``.

Example (in the Skulpt runtime):
    >>> import datetime
    >>> datetime.datetime(2024, 5, 1, 12, tzinfo=tzoffset(hours=-3, minutes=-30)).utcoffset()
    datetime.timedelta(days=-1, seconds=73800)
"""

import datetime


class tzoffset(datetime.tzinfo):
    """A fixed offset from UTC: ``tzoffset(hours=1)``, ``tzoffset(minutes=-210)``."""

    def __init__(self, hours=0, minutes=0, seconds=0):
        self._offset = datetime.timedelta(hours=hours, minutes=minutes, seconds=seconds)

    def utcoffset(self, dt):
        return self._offset

    def dst(self, dt):
        return datetime.timedelta(0)

    def tzname(self, dt):
        total = int(self._offset.total_seconds()) // 60
        sign = "-" if total < 0 else "+"
        return "UTC" + sign + "%02d:%02d" % (abs(total) // 60, abs(total) % 60)

    def __eq__(self, other):
        return isinstance(other, tzoffset) and other._offset == self._offset

    def __hash__(self):
        return hash(self._offset)

    def __repr__(self):
        return "tzoffset(" + self.tzname(None) + ")"


class tzutc(tzoffset):
    """UTC."""

    def __init__(self):
        tzoffset.__init__(self)


UTC = tzutc()


class timezone(tzoffset):
    """``datetime.timezone`` for Skulpt (which lacks it): ``timezone(timedelta(hours=1))``, ``timezone.utc``.
    Importing ``anvil`` installs it as ``datetime.timezone``, so code written for CPython runs unchanged."""

    def __init__(self, offset, name=None):
        if not isinstance(offset, datetime.timedelta):
            raise TypeError("timezone() argument 1 must be datetime.timedelta, not " + type(offset).__name__)
        tzoffset.__init__(self, seconds=offset.total_seconds())
        self._name = name

    def tzname(self, dt):
        return self._name if self._name is not None else tzoffset.tzname(self, dt)


timezone.utc = timezone(datetime.timedelta(0), "UTC")


def _fields(*names):
    return lambda self: tuple(getattr(self, name) for name in names)


def _state_of_time(self):
    return ((self._hour, self._minute, self._second, self._microsecond), self._tzinfo)


def _state_of_datetime(self):
    return ((self._year, self._month, self._day, self._hour, self._minute, self._second, self._microsecond),
            self._tzinfo)


def install_timezone():
    """Give Skulpt's ``datetime`` module what it lacks (done once by ``import anvil``): ``timezone``, and the
    ``_getstate`` its own comparisons and hashes call but it never defines (without it ``timedelta == timedelta``,
    aware datetime comparisons and ``hash(date)`` raise AttributeError), and ``timedelta.__bool__``."""
    if not hasattr(datetime, "timezone"):
        datetime.timezone = timezone
    if not hasattr(datetime.timedelta, "_getstate"):
        datetime.timedelta._getstate = _fields("_days", "_seconds", "_microseconds")
        datetime.date._getstate = _fields("_year", "_month", "_day")
        datetime.time._getstate = _state_of_time
        datetime.datetime._getstate = _state_of_datetime
    if datetime.timedelta(0):  # Skulpt's timedelta has only Python 2's __nonzero__: every one was true
        datetime.timedelta.__bool__ = lambda self: bool(self._days or self._seconds or self._microseconds)
