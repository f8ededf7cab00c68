"""Rate limits on failed attempts (wrong uplink keys), per client address, with a log line per interval.

Each address has a bucket of ``per_minute`` failures that refills continuously; an address whose
bucket is empty is refused before its key is even looked at, so guessing runs at ``per_minute``
a minute instead of as fast as the network allows. Buckets that have refilled are forgotten, and at
most ``max_addresses`` are kept (the least recently failing go first), so memory stays bounded.

Example:
    >>> now = [0.0]
    >>> limit = FailureLimit(per_minute=2, clock=lambda: now[0])
    >>> limit.blocked("10.0.0.1"), limit.fail("10.0.0.1"), limit.fail("10.0.0.1"), limit.blocked("10.0.0.1")
    (False, False, True, True)
    >>> limit.retry_after("10.0.0.1")
    30
    >>> now[0] = 30.0
    >>> limit.blocked("10.0.0.1"), limit.blocked("10.0.0.2")
    (False, False)
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

log = logging.getLogger("anvil_pyodide.uplink")


@dataclass
class _Bucket:
    tokens: float
    updated: float
    failures_since_log: int = 0
    logged_at: float = -math.inf


class FailureLimit:
    """At most ``per_minute`` failures a minute from one address (0: no limit)."""

    def __init__(self, per_minute: int, what: str = "uplink handshakes", log_interval: float = 60.0,
                 max_addresses: int = 100_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.what = what
        self.log_interval = log_interval
        self.max_addresses = max_addresses
        self.clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def _refill(self, address: str, now: float) -> _Bucket | None:
        bucket = self._buckets.get(address)
        if bucket is not None:
            bucket.tokens = min(self.per_minute, bucket.tokens + (now - bucket.updated) * self.per_minute / 60)
            bucket.updated = now
        return bucket

    def blocked(self, address: str | None) -> bool:
        """True when ``address`` has used up its failures: refuse it without checking anything."""
        if not self.per_minute or address is None:
            return False
        bucket = self._refill(address, self.clock())
        return bucket is not None and bucket.tokens < 1

    def retry_after(self, address: str | None) -> int:
        """Whole seconds until ``address`` may try again."""
        bucket = self._buckets.get(address or "")
        if bucket is None or bucket.tokens >= 1:
            return 0
        return math.ceil((1 - bucket.tokens) * 60 / self.per_minute)

    def fail(self, address: str | None) -> bool:
        """Count a failure; True when the address is now blocked. Logs once per interval per address."""
        if not self.per_minute or address is None:
            return False
        now = self.clock()
        self._forget_recovered(now)
        bucket = self._refill(address, now) or _Bucket(tokens=self.per_minute, updated=now)
        bucket.tokens = max(0.0, bucket.tokens - 1)
        bucket.failures_since_log += 1
        self._buckets[address] = bucket
        self._buckets.move_to_end(address)
        if now - bucket.logged_at >= self.log_interval:
            log.warning("failed %s from %s: %d since the last report%s", self.what, address,
                        bucket.failures_since_log,
                        f"; refusing it for {self.retry_after(address)} s" if bucket.tokens < 1 else "")
            bucket.failures_since_log, bucket.logged_at = 0, now
        return bucket.tokens < 1

    def _forget_recovered(self, now: float) -> None:
        """Drop the oldest buckets once refilled (or beyond ``max_addresses``): O(1) amortised."""
        while self._buckets:
            address, oldest = next(iter(self._buckets.items()))
            refilled = oldest.tokens + (now - oldest.updated) * self.per_minute / 60 >= self.per_minute
            if not refilled and len(self._buckets) < self.max_addresses:
                break
            del self._buckets[address]
