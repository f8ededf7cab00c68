"""The connected uplinks and the names they registered: which uplink serves a call.

A registered name is matched against the whole command as a regular expression (as anvil-uplink
does), so ``"train_.*"`` serves ``train_model``; a name that is not a valid regular expression
matches only itself. When several live uplinks serve a command, the one that registered last is
used. In-process functions win over uplinks (the dispatcher asks us only for names it lacks).

When the last uplink serving a name disconnects, the name is remembered: calls to it fail with
``anvil.server.UplinkDisconnectedError`` (not NoServerFunctionError) until an uplink registers it again.

Example:
    >>> class Uplink:                                     # stands in for an UplinkConnection
    ...     closed = False
    ...     def __init__(self, name): self.name, self.registered = name, []
    >>> hub = UplinkHub()
    >>> first, second = Uplink("first"), Uplink("second")
    >>> hub.register(first, "train_.*")
    >>> hub.register(second, "train_model")
    >>> hub.route("train_model").name, hub.route("train_fast").name, hub.route("predict")
    ('second', 'first', None)
    >>> hub.remove(second)
    >>> hub.route("train_model").name                     # the regex of the first still matches
    'first'
    >>> hub.remove(first)
    >>> hub.serves("train_model"), hub.is_stale("train_model"), hub.route("train_model")
    (True, True, None)
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any, Protocol

import anvil.server

from ..app_loader import AppModuleImporter
from ..calls.context import CallState
from ..calls.dispatcher import no_function_error
from ..calls.registry import FunctionRegistry
from ..config import ServerConfig
from .connection import UplinkConnection
from .outgoing import call_uplink

log = logging.getLogger("anvil_pyodide.uplink")

#: The longest name an uplink may register.
MAX_NAME_LENGTH = 1000


def compile_name(name: str) -> re.Pattern[str]:
    """The full-match pattern for a registered name; an invalid regular expression matches only itself.

    Example:
        >>> bool(compile_name("task_\\\\d+").fullmatch("task_12")), bool(compile_name("f(").fullmatch("f("))
        (True, True)
    """
    try:
        return re.compile(name)
    except re.error as e:
        log.warning("registered name %r is not a valid regular expression (%s): it matches only itself", name, e)
        return re.compile(re.escape(name))


def app_info(config: ServerConfig) -> dict[str, Any]:
    """What uplinks are told about the app (``anvil.app`` on the uplink): named after the app folder."""
    name = Path(config.app_dir).name if config.app_dir is not None else "app"
    return {"id": name, "branch": "master", "environment": {"description": name, "tags": []}}


class SharedRegistrations(Protocol):
    """Where the hub reports which names this process serves (:mod:`anvil_pyodide.store.registrations`)."""

    def serving(self, name: str) -> None: ...

    def not_serving(self, name: str) -> None: ...


class UplinkHub:
    """Registrations and routing for every uplink of one app; also the dispatcher's ``remote``."""

    def __init__(self, config: ServerConfig | None = None, local: FunctionRegistry | None = None,
                 shared: SharedRegistrations | None = None) -> None:
        self.config = config or ServerConfig()
        #: Told when a name gains its first uplink here and loses its last (the state store records it).
        self.shared = shared
        #: The in-process functions (they win over uplinks: registering one of their names is warned about).
        self.local = local
        self.app_info = app_info(self.config)
        self.import_module = AppModuleImporter(self.config.app_dir) if self.config.app_dir is not None else None
        self.connections: list[Any] = []
        #: name → the live connections that registered it, oldest first.
        self._serving: dict[str, list[Any]] = {}
        self._patterns: dict[str, re.Pattern[str]] = {}
        #: Names whose uplinks have all disconnected.
        self._stale: set[str] = set()
        #: Uplinks of other server processes (:class:`~.routing.RemoteUplinks`; only with a Redis store).
        self.remote: Any = None

    # ------------------------------------------------------------------ connections and registrations

    def add(self, connection: Any) -> None:
        self.connections.append(connection)

    def register(self, connection: Any, name: Any) -> None:
        """Record that ``connection`` serves ``name`` (a bad name is logged and ignored)."""
        if not isinstance(name, str) or not name or len(name) > MAX_NAME_LENGTH:
            log.warning("%s: REGISTER with an invalid name %r ignored", connection.name, str(name)[:100])
            return
        if name not in self._patterns:
            self._patterns[name] = compile_name(name)
        serving = self._serving.setdefault(name, [])
        if connection in serving:
            serving.remove(connection)
        elif not serving and self.shared is not None:
            self.shared.serving(name)
        serving.append(connection)
        self._stale.discard(name)
        if name not in connection.registered:
            connection.registered.append(name)
        if self.local is not None and self.local.lookup(name) is not None:
            log.warning("%s registered %r, which an in-process function already serves (that one is used)",
                        connection.name, name)

    def remove(self, connection: Any) -> None:
        """Forget a disconnected uplink; names nobody else serves become stale."""
        if connection in self.connections:
            self.connections.remove(connection)
        for name in connection.registered:
            serving = self._serving.get(name, [])
            if connection in serving:
                serving.remove(connection)
            if not serving:
                if self._serving.pop(name, None) is not None and self.shared is not None:
                    self.shared.not_serving(name)
                self._stale.add(name)

    # ------------------------------------------------------------------ routing

    def route(self, command: str) -> Any:
        """The live connection to run ``command`` on, or None."""
        serving = self._serving.get(command)
        if serving:
            live = [c for c in serving if not c.closed]
            if live:
                return live[-1]
        for name, serving in self._serving.items():
            if name != command and self._patterns[name].fullmatch(command):
                live = [c for c in serving if not c.closed]
                if live:
                    return live[-1]
        return None

    def is_stale(self, command: str) -> bool:
        """True when only uplinks that have since disconnected served ``command``."""
        return any(self._patterns[name].fullmatch(command) for name in self._stale)

    def serves(self, command: str) -> bool:
        return self.route(command) is not None or self.is_stale(command)

    async def call(self, command: str, args: list[Any], kwargs: dict[str, Any], state: CallState) -> Any:
        """Run ``command`` on an uplink serving it (the dispatcher's ``remote`` interface)."""
        connection = self.route(command)
        if connection is None and self.remote is not None:
            connection = await self.remote.connection_for(command)
            if connection is not None:
                self._served_elsewhere(command)
        if connection is None:
            if self.is_stale(command):
                raise anvil.server.UplinkDisconnectedError(f'The uplink server for "{command}" has been disconnected')
            raise no_function_error(command)
        return await call_uplink(connection, command, args, kwargs, state, self.app_info, self.import_module)

    def _served_elsewhere(self, command: str) -> None:
        """Remember a name an uplink of another process served: once none does, calls to it fail as
        disconnected (as for our own uplinks), not as unknown."""
        if command not in self._patterns:
            self._patterns[command] = re.compile(re.escape(command))
        if command not in self._serving:
            self._stale.add(command)

    # ------------------------------------------------------------------ what uplinks tell us

    def on_register(self, connection: UplinkConnection, name: Any) -> None:
        self.register(connection, name)
