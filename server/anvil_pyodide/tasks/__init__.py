"""Background tasks: the manager and its ``Task`` handles, the process runner and the code run in a
task's process, uplink tasks, the journal, ``task_state``, and the LiveObject calls on Tasks.

May import: ``calls``, ``sessions``, ``uplink`` (for tasks that run on an uplink), ``config``,
``app_loader`` and ``server_api`` (the task's process installs it). Never imports transports or web.

Example:
    >>> from anvil_pyodide.tasks.packing import pack, unpack
    >>> unpack(pack({"n": 1}))
    {'n': 1}
"""
