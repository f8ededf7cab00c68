"""The browser backend of ``anvil.server``: calls go through the JavaScript bridge.

Only imported inside Pyodide, after the page loader registered the ``_anvil_bridge`` module.

Example:
    >>> from anvil._browser.updates import normalise_scope_key
    >>> normalise_scope_key('["doc",  1]')
    '["doc", 1]'
"""
