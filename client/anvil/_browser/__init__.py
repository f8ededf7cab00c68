"""The browser backend of ``anvil.server``: calls go through the JavaScript bridge.

Only imported inside Pyodide, after the page loader registered the ``_anvil_bridge`` module.

Example:
    >>> from anvil._browser.updates import show_output
    >>> show_output({"id": "c1", "output": "hello from the server\\n"})
    hello from the server
"""
