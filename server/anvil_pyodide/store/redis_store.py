"""``redis://HOST:PORT/DB``: the store in Redis, for several processes and several machines.

Every key starts with ``anvil-pyodide:``; give each app its own DB number (or Redis). A session is
one hash (``secret`` and one ``d:KEY`` field per session key) whose TTL is the idle timeout,
renewed on each use, so a save writes only the fields it changed and two processes writing
different keys both land. A task is a hash (with a TTL of ``task_retention`` once it has ended)
indexed by a sorted set on start time; a process's heartbeat is a key with a TTL of
``process_ttl``. redis-py's asyncio client reconnects by itself; while Redis is away every
operation raises :class:`~.base.StoreUnavailableError` naming the store.

Example (needs a running Redis, so not run here):
    store = RedisStore("redis://127.0.0.1:6379/0")
    await store.open()
    session = await store.create_session()
"""

from __future__ import annotations

import secrets
import time
from contextlib import contextmanager
from typing import Any, Iterable, Iterator, Mapping
from urllib.parse import urlsplit, urlunsplit

from .base import ProcessId, SessionRecord, Store, StoreSettings, StoreUnavailableError, StoredTask, final_status
from .redis_bus import RedisBus
from .redis_users import RedisUsers
from .task_update import apply_task_update

PREFIX = "anvil-pyodide:"
#: Seconds to connect to / wait for Redis before an operation fails (``?socket_timeout=`` in the URL overrides).
DEFAULT_TIMEOUT = 5.0

#: A session's fields, counting as use (one command: cheaper than a MULTI/EXEC pipeline).
GET_SESSION = """
local fields = redis.call('HGETALL', KEYS[1])
if #fields > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return fields
"""

SAVE_SESSION = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local n = tonumber(ARGV[1])
for i = 2, 2 * n, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
for i = 2 * n + 2, #ARGV do redis.call('HDEL', KEYS[1], ARGV[i]) end
return 1
"""

TASK_FIELDS = ("name", "start", "status", "state", "value", "error", "process", "ended")


def redacted(url: str) -> str:
    """The URL without its password, for messages.

    Example:
        >>> redacted("redis://:hunter2@db.example:6379/0")
        'redis://:***@db.example:6379/0'
    """
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


class RedisStore(RedisUsers, Store):
    """The store in one Redis database, shared by every process given the same URL."""

    shared = True

    def __init__(self, url: str, settings: StoreSettings | None = None) -> None:
        super().__init__(settings)
        self.url = url
        self.description = redacted(url)
        self._redis: Any = None
        self._save_session: Any = None
        self._get_session: Any = None

    async def open(self) -> None:
        from redis.asyncio import Redis
        from redis.asyncio.retry import Retry
        from redis.backoff import ExponentialBackoff

        self._redis = Redis.from_url(self.url, socket_timeout=DEFAULT_TIMEOUT, socket_connect_timeout=DEFAULT_TIMEOUT,
                                     retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 2))
        self._save_session = self._redis.register_script(SAVE_SESSION)
        self._get_session = self._redis.register_script(GET_SESSION)
        with self._errors():
            await self._redis.ping()

    @property
    def client(self) -> Any:
        """The redis-py asyncio client (after :meth:`open`)."""
        if self._redis is None:
            raise StoreUnavailableError(self.description, "it is not open")
        return self._redis

    def twin(self) -> "RedisStore":
        return RedisStore(self.url, self.settings)  # redis-py's asyncio connections belong to their loop

    def bus(self, process: ProcessId) -> "RedisBus":
        """Requests between the processes sharing this Redis (:mod:`.redis_bus`)."""
        return RedisBus(self, process)

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None

    # Sessions --------------------------------------------------------------------------------
    async def create_session(self) -> SessionRecord:
        record = SessionRecord(secrets.token_urlsafe(24), secrets.token_bytes(32))
        key = _session_key(record.token)
        with self._errors():
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hset(key, "secret", record.secret)
                pipe.pexpire(key, _ms(self.settings.session_first_use_timeout))
                await pipe.execute()
        return record

    async def get_session(self, token: str) -> SessionRecord | None:
        with self._errors():
            flat = await self._get_session(keys=[_session_key(token)], args=[_ms(self.settings.session_idle_timeout)])
        fields = dict(zip(flat[::2], flat[1::2]))
        if b"secret" not in fields:
            return None
        data = {k[2:].decode(): v.decode() for k, v in fields.items() if k.startswith(b"d:")}
        return SessionRecord(token, fields[b"secret"], data)

    async def save_session(self, token: str, changed: Mapping[str, str], deleted: Iterable[str]) -> bool:
        args: list[Any] = [len(changed)]
        for key, value in changed.items():
            args += [f"d:{key}", value]
        args += [f"d:{key}" for key in deleted]
        with self._errors():
            return bool(await self._save_session(keys=[_session_key(token)], args=args))

    async def delete_session(self, token: str) -> None:
        with self._errors():
            await self._redis.delete(_session_key(token))

    # Background tasks ------------------------------------------------------------------------
    async def put_task(self, task: StoredTask) -> None:
        with self._errors():
            async with self._redis.pipeline(transaction=True) as pipe:
                self._queue_put_task(pipe, task)
                await pipe.execute()

    def _queue_put_task(self, pipe: Any, task: StoredTask) -> None:
        key = _task_key(task.id)
        pipe.delete(key)
        pipe.hset(key, mapping={name: _to_field(getattr(task, name)) for name in TASK_FIELDS
                                if getattr(task, name) is not None})
        pipe.zadd(PREFIX + "tasks", {task.id: task.start})
        if task.ended is not None:
            pipe.pexpireat(key, _ms(task.ended + self.settings.task_retention))

    async def get_task(self, task_id: str) -> StoredTask | None:
        with self._errors():
            fields = await self._redis.hgetall(_task_key(task_id))
        return _task_from(task_id, fields)

    async def list_tasks(self) -> list[StoredTask]:
        with self._errors():
            ids = [i.decode() for i in await self._redis.zrange(PREFIX + "tasks", 0, -1)]
            found = await self._each("hgetall", [_task_key(task_id) for task_id in ids])
        tasks = [_task_from(task_id, fields) for task_id, fields in zip(ids, found)]
        return sorted((t for t in tasks if t is not None), key=lambda t: (t.start, t.id))

    async def update_task(self, task_id: str, *, state: str | None = None, status: str | None = None,
                          value: str | None = None, error: str | None = None) -> bool:
        from redis.exceptions import WatchError

        key = _task_key(task_id)
        with self._errors():
            async with self._redis.pipeline(transaction=True) as pipe:
                while True:
                    try:
                        await pipe.watch(key)
                        task = _task_from(task_id, await pipe.hgetall(key))
                        if task is None or final_status(task.status):
                            await pipe.unwatch()
                            return False
                        pipe.multi()
                        self._queue_put_task(pipe, apply_task_update(task, time.time(), state=state, status=status,
                                                                     value=value, error=error))
                        await pipe.execute()
                        return True
                    except WatchError:
                        continue  # another process changed it meanwhile: read again

    # Processes and uplink registrations --------------------------------------------------------
    async def heartbeat(self, process: ProcessId) -> None:
        with self._errors():
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.set(_process_key(process), 1, px=_ms(self.settings.process_ttl))
                pipe.sadd(PREFIX + "processes", process)
                await pipe.execute()

    async def live_processes(self) -> set[ProcessId]:
        with self._errors():
            known = [p.decode() for p in await self._redis.smembers(PREFIX + "processes")]
            return set(await self.alive(known))

    async def alive(self, processes: list[ProcessId]) -> list[ProcessId]:
        """Those of ``processes`` whose heartbeat has not expired (one round trip)."""
        alive = await self._each("exists", [_process_key(process) for process in processes])
        return [p for p, ok in zip(processes, alive) if ok]

    async def _each(self, command: str, keys: list[str]) -> list[Any]:
        """``command`` on each key, in one round trip (a pipeline without MULTI)."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for key in keys:
                getattr(pipe, command)(key)
            return await pipe.execute()

    async def register_uplink(self, name: str, process: ProcessId) -> None:
        await self._pair_membership("sadd", name, process)

    async def unregister_uplink(self, name: str, process: ProcessId) -> None:
        await self._pair_membership("srem", name, process)

    async def _pair_membership(self, command: str, name: str, process: ProcessId) -> None:
        """Add (``sadd``) or remove (``srem``) the pair in both indexes: name → processes, process → names."""
        with self._errors():
            async with self._redis.pipeline(transaction=True) as pipe:
                getattr(pipe, command)(_uplink_key(name), process)
                getattr(pipe, command)(_process_names_key(process), name)
                await pipe.execute()

    async def uplink_owners(self, name: str) -> list[ProcessId]:
        with self._errors():
            owners = sorted(p.decode() for p in await self._redis.smembers(_uplink_key(name)))
            return await self.alive(owners)

    async def drop_process(self, process: ProcessId) -> None:
        with self._errors():
            names = [n.decode() for n in await self._redis.smembers(_process_names_key(process))]
            async with self._redis.pipeline(transaction=True) as pipe:
                for name in names:
                    pipe.srem(_uplink_key(name), process)
                pipe.delete(_process_names_key(process), _process_key(process))
                pipe.srem(PREFIX + "processes", process)
                await pipe.execute()

    async def purge_expired(self) -> None:
        """Sessions and ended tasks expire by their TTLs; this drops index entries and dead processes."""
        with self._errors():
            ids = [i.decode() for i in await self._redis.zrange(PREFIX + "tasks", 0, -1)]
            kept = await self._each("exists", [_task_key(task_id) for task_id in ids])
            gone = [task_id for task_id, ok in zip(ids, kept) if not ok]
            if gone:
                await self._redis.zrem(PREFIX + "tasks", *gone)
            known = [p.decode() for p in await self._redis.smembers(PREFIX + "processes")]
            alive = set(await self.alive(known))
        for process in known:
            if process not in alive:
                await self.drop_process(process)

    @contextmanager
    def _errors(self) -> Iterator[None]:
        from redis.exceptions import RedisError, WatchError

        if self._redis is None:
            raise StoreUnavailableError(self.description, "it is not open")
        try:
            yield
        except WatchError:
            raise
        except (RedisError, OSError) as e:
            raise StoreUnavailableError(self.description, f"{type(e).__name__}: {e}") from e

    #: For the other modules of the Redis store (:mod:`.redis_bus`): Redis failures as StoreUnavailableError.
    errors = _errors


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


def _session_key(token: str) -> str:
    return f"{PREFIX}s:{token}"


def _task_key(task_id: str) -> str:
    return f"{PREFIX}t:{task_id}"


def _process_key(process: ProcessId) -> str:
    return f"{PREFIX}p:{process}"


def _process_names_key(process: ProcessId) -> str:
    return f"{PREFIX}pu:{process}"


def _uplink_key(name: str) -> str:
    return f"{PREFIX}u:{name}"


def _to_field(value: Any) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def _task_from(task_id: str, fields: dict[bytes, bytes]) -> StoredTask | None:
    if not fields:
        return None
    text = {k.decode(): v.decode() for k, v in fields.items()}
    ended = text.get("ended")
    return StoredTask(task_id, text["name"], float(text["start"]), status=text.get("status"),
                      state=text.get("state", "{}"), value=text.get("value"), error=text.get("error"),
                      process=text.get("process"), ended=float(ended) if ended is not None else None)
