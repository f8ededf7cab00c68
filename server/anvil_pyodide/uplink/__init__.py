"""Uplinks once connected: their connections, the hub that routes calls to the names they registered,
our calls out to them (with session merging), and the uplink's own peer policy for the calls they make.

May import: ``calls``, ``sessions``, ``config``, ``app_loader``. Never imports transports, tasks or web.

Example:
    >>> from anvil_pyodide.uplink.hub import compile_name
    >>> bool(compile_name("train_.*").fullmatch("train_model"))
    True
"""
