"""Functions that fail in the ways the tests check."""

import anvil.server
from basic_shared import OutOfStock


def _check(value):
    if value < 0:
        raise ValueError(f"bad value {value}")  # LINE:inner
    return value


@anvil.server.callable
def fail_value_error(value):
    return _check(value)  # LINE:outer


@anvil.server.callable
def fail_custom(item):
    raise OutOfStock(f"{item} is sold out")  # LINE:custom


@anvil.server.callable(require_user=True)
def needs_user():
    return "secret"


@anvil.server.callable
def shout(text):
    print(text)
    return "printed"


@anvil.server.callable
def print_pieces():
    """Output in pieces: two whole lines, then a last line without its newline."""
    print("one", end="")
    print(" two")
    print("three\nfour", end="")
    return "printed"


@anvil.server.callable
def exit_now():
    """App code that calls sys.exit (a BaseException, not an Exception)."""
    import sys
    sys.exit(3)


@anvil.server.callable
async def async_exit_now():
    import sys
    sys.exit(4)
