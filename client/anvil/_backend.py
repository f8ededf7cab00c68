"""Which side of the wire this interpreter is on, decided once at import.

Example:
    >>> IS_SERVER_SIDE in (True, False)
    True
"""

import sys

#: True in Pyodide (the browser or Node running Pyodide).
IN_BROWSER: bool = sys.platform == "emscripten"

#: True in CPython hosting server code (and in host-side tests).
IS_SERVER_SIDE: bool = not IN_BROWSER
