"""Reading received JSON text with orjson (3–5× faster than ``json.loads``, and far fewer garbage-collector
passes on a big message), giving exactly what ``json.loads`` gives and raising what it raises.

orjson refuses a few texts ``json.loads`` reads — ``NaN``/``Infinity`` literals (browsers' ``JSON.stringify``
never writes them, but the README promises they are read as floats), a number too big for a double, lone
surrogates, nesting past 1,024 levels — and reads one kind differently: an integer outside 64 bits becomes a
float. Such texts (an integer literal of 19 or more digits, or any such digit run in a string; refused ones
after orjson has refused them) are read by ``json.loads``, so its values, errors and messages come out as before.

A text of ``GC_PAUSE_CHARS`` or more is parsed with the cyclic garbage collector paused (for every thread; a
parse holds the GIL anyway): building millions of containers otherwise sets off collections of the whole heap
over and over, which cost more than the parse itself. Afterwards the new objects go straight to the oldest
generation (``gc.freeze()`` then ``gc.unfreeze()``: two list splices), so the next young collection does not
walk them all either (a 16 MiB message, docs/performance.md: ~400 ms of CPU holding the GIL with ``json.loads``,
~160 ms now).

Example:
    >>> loads('{"id": "c1", "args": [1, 2.5, null]}')
    {'id': 'c1', 'args': [1, 2.5, None]}
    >>> loads('[NaN, -Infinity, 18446744073709551616, -0.0013206914347847487]')
    [nan, -inf, 18446744073709551616, -0.0013206914347847487]
    >>> loads('[1, ')
    Traceback (most recent call last):
    json.decoder.JSONDecodeError: Expecting value: line 1 column 5 (char 4)
"""

from __future__ import annotations

import gc
import json
import threading
from contextlib import contextmanager
from typing import Any, Iterator

import orjson

#: Outside -2**63 .. 2**64 - 1 an integer has 19 digits or more: orjson reads such a literal as a float.
LONG_DIGITS = 19
#: Every byte of a text's UTF-8 as "0" for a digit, " " for anything else (to find runs of digits in C).
_DIGITS_AS_ZEROS = bytes(48 if 48 <= byte <= 57 else 32 for byte in range(256))
_RUN = b"0" * LONG_DIGITS
#: Texts at least this long are parsed with the cyclic garbage collector paused.
GC_PAUSE_CHARS = 1 << 20


def loads(text: str) -> Any:
    """``json.loads(text)``, faster: raises ``ValueError`` (``json.JSONDecodeError``) for text that is not JSON
    and ``RecursionError`` for text nested too deeply, exactly as ``json.loads`` does."""
    if len(text) >= GC_PAUSE_CHARS:
        with _collector.paused():
            return _loads(text)
    return _loads(text)


def has_long_integer(text: str) -> bool:
    """Whether ``text`` may hold an integer literal of LONG_DIGITS or more digits: a run of that many digits that is
    not part of a fraction or an exponent (a run in a string counts too: it merely takes the slower path). Found
    with bytes.translate and bytes.find (16 MiB: ~30 ms, where a regular expression takes ~200 ms).

    Example:
        >>> has_long_integer('[18446744073709551616]'), has_long_integer('[-0.0013206914347847487, 1e-0000000000000000000005]')
        (True, False)
    """
    if len(text) < LONG_DIGITS:
        return False
    data = text.encode("utf-8", "surrogatepass")
    digits = data.translate(_DIGITS_AS_ZEROS)
    start = digits.find(_RUN)
    while start != -1:
        end = start + LONG_DIGITS
        while end < len(digits) and digits[end] == 48:
            end += 1
        before = data[start - 1:start] if start else b""
        if before == b"-" and start > 1:
            before = data[start - 2:start - 1] if data[start - 2:start - 1] in (b"e", b"E") else b""
        after = data[end:end + 1]
        if before not in (b".", b"e", b"E", b"+") and after not in (b".", b"e", b"E"):
            return True
        start = digits.find(_RUN, end)
    return False


def _loads(text: str) -> Any:
    if not has_long_integer(text):
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass  # not JSON to orjson: json.loads reads it, or says why it cannot
    return json.loads(text)


class CollectorPause:
    """Pauses Python's cyclic garbage collector while any caller is inside :meth:`paused` (calls from any thread
    may overlap); it is enabled again when the last one leaves, unless it was disabled before the first came.
    What was made meanwhile is moved to the oldest generation then (unless something else uses ``gc.freeze``).

    Example:
        >>> pause = CollectorPause()
        >>> with pause.paused():
        ...     gc.isenabled()
        False
        >>> gc.isenabled()
        True
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inside = 0
        self._enable_after = False

    @contextmanager
    def paused(self) -> Iterator[None]:
        with self._lock:
            if self._inside == 0:
                self._enable_after = gc.isenabled()
                gc.disable()
            self._inside += 1
        try:
            yield
        finally:
            with self._lock:
                self._inside -= 1
                if self._inside == 0 and self._enable_after:
                    if gc.get_freeze_count() == 0:
                        gc.freeze()  # every tracked object to the permanent generation,
                        gc.unfreeze()  # and back into the oldest one: no young collection walks them now
                    gc.enable()


_collector = CollectorPause()
