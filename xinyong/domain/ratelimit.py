"""Token-bucket rate limits per client (pure; the clock is passed in).

The 2020 reform names illegal collection of credit information; bulk harvesting of the
one-click check is throttled per client, and the clients that hit the limit are kept for
the operator to see.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until one request is allowed again (0 when allowed)
    remaining: int


@dataclass
class Offender:
    client: str
    refused: int = 0
    first: float = 0.0
    last: float = 0.0


@dataclass
class RateLimiter:
    """``per_minute`` requests a minute on average, bursts of ``burst``; ``max_clients`` tracked at most."""

    per_minute: int
    burst: int
    max_clients: int = 100_000
    _buckets: OrderedDict[str, _Bucket] = field(default_factory=OrderedDict)
    offenders: dict[str, Offender] = field(default_factory=dict)

    def check(self, client: str, now: float) -> Verdict:
        if self.per_minute <= 0:
            return Verdict(True, 0, self.burst)
        rate = self.per_minute / 60.0
        bucket = self._bucket(client, now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * rate)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return Verdict(True, 0, int(bucket.tokens))
        self._note(client, now)
        return Verdict(False, max(1, math.ceil((1.0 - bucket.tokens) / rate)), 0)

    def _bucket(self, client: str, now: float) -> _Bucket:
        bucket = self._buckets.get(client)
        if bucket is None:
            bucket = _Bucket(float(self.burst), now)
            self._buckets[client] = bucket
            if len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(client)
        return bucket

    def _note(self, client: str, now: float) -> None:
        o = self.offenders.setdefault(client, Offender(client, 0, now, now))
        o.refused += 1
        o.last = now
        if len(self.offenders) > 10_000:
            oldest = min(self.offenders.values(), key=lambda x: x.last)
            del self.offenders[oldest.client]

    def top_offenders(self, n: int = 50) -> list[Offender]:
        return sorted(self.offenders.values(), key=lambda o: o.refused, reverse=True)[:n]
