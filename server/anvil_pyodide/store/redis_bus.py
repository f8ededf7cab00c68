"""Requests between server processes sharing one Redis: each process reads its own Redis Stream (its inbox).

A request is one stream entry ``XADD``-ed to the target process's inbox: its ``kind``, an ``id``,
the sender's process id (where the reply goes), a JSON ``body`` and any binary ``parts`` (media,
carried as they are: never base64, never decoded here). The target runs the handler registered for
the kind and ``XADD``-s the reply to the sender's inbox under the same ``id``. Each process reads its
inbox with a blocking ``XREAD`` and deletes what it has read, so a stream holds only unread entries
(and expires ``process_ttl`` after its last write, so a dead process's inbox goes away by itself).

While a request waits for its reply, the sender checks every ``process_ttl / 3`` seconds that the
target still sends heartbeats; once it does not (it died, or lost Redis), the request fails with
:class:`ProcessGoneError`. So a request to a dead process fails within ``process_ttl`` plus a third
of it (20 s by default) of the target's last heartbeat — never hangs.

Example (needs a running Redis, so not run here):
    bus = RedisBus(store, "host:12:ab")
    bus.on("ping", lambda request: reply("pong"))
    asyncio.create_task(bus.run())
    answer = await bus.request("host:34:cd", "ping", {"n": 1})
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from .base import ProcessId, StoreUnavailableError

if TYPE_CHECKING:
    from .redis_store import RedisStore

log = logging.getLogger("anvil_pyodide.store")

#: How long one blocking read of the inbox waits at most (ms); less when the client's socket timeout is shorter.
READ_BLOCK_MS = 2000
#: Entries read from the inbox at once.
READ_COUNT = 64
#: The stream field names of an entry; binary parts are ``p:0``, ``p:1``, ...
KIND, ID, SENDER, BODY = "kind", "id", "from", "body"
REPLY = "reply"
FAILED = "failed"


class ProcessGoneError(RuntimeError):
    """The process a request went to stopped sending heartbeats before it replied."""

    def __init__(self, process: ProcessId) -> None:
        super().__init__(f"the server process {process} stopped before it replied")
        self.process = process


class HandlerFailedError(RuntimeError):
    """The target's handler raised (a bug there); the message is its one-line description."""


@dataclass
class Envelope:
    """A request or a reply: a JSON-able ``body`` and binary ``parts`` carried alongside it.

    Example:
        >>> Envelope.from_fields(Envelope({"n": 1}, [b"\\x00"]).fields("ping", "r1", "p1"))
        Envelope(body={'n': 1}, parts=[b'\\x00'])
    """

    body: Any
    parts: list[bytes] = field(default_factory=list)

    def fields(self, kind: str, request_id: str, sender: ProcessId) -> dict[str, Any]:
        fields: dict[str, Any] = {KIND: kind, ID: request_id, SENDER: sender, BODY: json.dumps(self.body)}
        fields.update({f"p:{i}": part for i, part in enumerate(self.parts)})
        return fields

    @classmethod
    def from_fields(cls, fields: dict[Any, bytes]) -> "Envelope":
        text = {(k.decode() if isinstance(k, bytes) else k): v for k, v in fields.items()}
        count = sum(1 for k in text if k.startswith("p:"))
        return cls(json.loads(text[BODY]), [bytes(text[f"p:{i}"]) for i in range(count)])


Handler = Callable[[Envelope], Awaitable[Envelope]]


def _field(fields: dict[Any, bytes], name: str) -> str:
    value = fields.get(name.encode(), fields.get(name))  # type: ignore[call-overload]
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisBus:
    """This process's inbox and its requests to other processes' inboxes (all on one event loop)."""

    def __init__(self, store: "RedisStore", process: ProcessId) -> None:
        self.store = store
        self.process = process
        self.handlers: dict[str, Handler] = {}
        self._waiting: dict[str, asyncio.Future[Envelope]] = {}
        self._running: set[asyncio.Task[None]] = set()

    def on(self, kind: str, handler: Handler) -> None:
        """Run ``handler`` for each request of ``kind``; what it returns is the reply."""
        self.handlers[kind] = handler

    @property
    def check_interval(self) -> float:
        """Seconds between checks that a process we wait on is alive."""
        return self.store.settings.process_ttl / 3

    async def request(self, process: ProcessId, kind: str, envelope: Envelope) -> Envelope:
        """Send a request to ``process`` and wait for its reply.

        Raises :class:`ProcessGoneError` when ``process`` stops sending heartbeats first,
        :class:`HandlerFailedError` when its handler failed, :class:`~.base.StoreUnavailableError`
        when Redis cannot be reached.
        """
        request_id = secrets.token_hex(12)
        reply: asyncio.Future[Envelope] = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = reply
        try:
            await self._send(process, envelope.fields(kind, request_id, self.process))
            while True:
                try:
                    return await asyncio.wait_for(asyncio.shield(reply), self.check_interval)
                except asyncio.TimeoutError:
                    if not await self.alive(process):
                        raise ProcessGoneError(process) from None
        finally:
            self._waiting.pop(request_id, None)
            if not reply.done():
                reply.cancel()

    async def alive(self, process: ProcessId) -> bool:
        """Whether ``process``'s heartbeat has not expired."""
        return bool(await self.store.alive([process]))

    async def _send(self, process: ProcessId, fields: dict[str, Any]) -> None:
        key = inbox_key(process)
        with self.store.errors():
            async with self.store.client.pipeline(transaction=True) as pipe:
                pipe.xadd(key, fields)
                pipe.pexpire(key, max(1, int(self.store.settings.process_ttl * 1000)))
                await pipe.execute()

    async def run(self) -> None:
        """Read this process's inbox until cancelled (an outage is logged once and waited out).

        Entries are handled as soon as they are read, and deleted from the stream after."""
        key = inbox_key(self.process)
        block = read_block_ms(self.store.client)
        last = "0"
        outage = False
        while True:
            try:
                with self.store.errors():
                    found = await self.store.client.xread({key: last}, count=READ_COUNT, block=block)
                    ids = []
                    for _, entries in found:
                        for entry_id, fields in entries:
                            ids.append(entry_id)
                            last = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
                            self._on_entry(fields)
                    if ids:
                        await self.store.client.xdel(key, *ids)
            except StoreUnavailableError as e:
                if not outage:
                    log.warning("cannot read this process's inbox: %s (retrying)", e)
                outage = True
                await asyncio.sleep(self.check_interval)
                continue
            if outage:
                log.warning("this process's inbox is readable again")
            outage = False

    def _on_entry(self, fields: dict[Any, bytes]) -> None:
        try:
            kind, request_id, sender = _field(fields, KIND), _field(fields, ID), _field(fields, SENDER)
            envelope = Envelope.from_fields(fields)
        except Exception as e:  # noqa: BLE001 - not one of ours: dropped, the loop goes on
            log.warning("dropped an unreadable inbox entry: %r", e)
            return
        if kind in (REPLY, FAILED):
            waiting = self._waiting.get(request_id)
            if waiting is None or waiting.done():
                return  # its caller gave up
            if kind == REPLY:
                waiting.set_result(envelope)
            else:
                waiting.set_exception(HandlerFailedError(str(envelope.body)))
            return
        task = asyncio.get_running_loop().create_task(self._serve(kind, request_id, sender, envelope))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _serve(self, kind: str, request_id: str, sender: ProcessId, envelope: Envelope) -> None:
        handler = self.handlers.get(kind)
        try:
            if handler is None:
                raise LookupError(f"no handler for requests of kind {kind!r}")
            reply, reply_kind = await handler(envelope), REPLY
        except Exception as e:  # noqa: BLE001 - the requester gets a one-line reason, the log the traceback
            log.exception("request %r from %s failed", kind, sender)
            reply, reply_kind = Envelope(f"{type(e).__name__}: {e}"), FAILED
        try:
            await self._send(sender, reply.fields(reply_kind, request_id, self.process))
        except StoreUnavailableError as e:
            log.warning("the reply to a %r request from %s was not sent: %s", kind, sender, e)

    async def close(self) -> None:
        """Stop the requests being served and forget this process's inbox."""
        for task in list(self._running):
            task.cancel()
        try:
            with self.store.errors():
                await self.store.client.delete(inbox_key(self.process))
        except StoreUnavailableError:
            pass


def read_block_ms(client: Any) -> int:
    """How long a blocking read may wait: :data:`READ_BLOCK_MS`, or half the client's socket timeout if shorter
    (a read blocked past it would count as Redis not answering).

    Example:
        >>> class Client:
        ...     class connection_pool:
        ...         connection_kwargs = {"socket_timeout": 1.0}
        >>> read_block_ms(Client())
        500
    """
    timeout = client.connection_pool.connection_kwargs.get("socket_timeout")
    return READ_BLOCK_MS if not timeout else max(1, min(READ_BLOCK_MS, int(timeout * 500)))


def inbox_key(process: ProcessId) -> str:
    """The stream a process reads its requests and replies from.

    Example:
        >>> inbox_key("host:12:ab")
        'anvil-pyodide:inbox:host:12:ab'
    """
    return f"anvil-pyodide:inbox:{process}"
