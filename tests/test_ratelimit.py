from __future__ import annotations

from xinyong.domain.ratelimit import RateLimiter


def test_burst_then_refusal_with_retry_after() -> None:
    rl = RateLimiter(per_minute=60, burst=3)
    assert [rl.check("a", 0.0).allowed for _ in range(3)] == [True, True, True]
    refused = rl.check("a", 0.0)
    assert not refused.allowed and refused.retry_after == 1
    assert rl.check("a", 1.0).allowed  # one token a second at 60/min


def test_clients_are_independent_and_offenders_recorded() -> None:
    rl = RateLimiter(per_minute=6, burst=1)
    assert rl.check("a", 0.0).allowed
    assert not rl.check("a", 0.0).allowed
    assert not rl.check("a", 1.0).allowed
    assert rl.check("b", 1.0).allowed
    top = rl.top_offenders()
    assert [(o.client, o.refused) for o in top] == [("a", 2)]
    assert rl.check("a", 11.0).allowed  # 6/min = one every 10 s


def test_zero_means_unlimited() -> None:
    rl = RateLimiter(per_minute=0, burst=0)
    assert all(rl.check("a", 0.0).allowed for _ in range(1000))


def test_tracked_clients_are_bounded() -> None:
    rl = RateLimiter(per_minute=60, burst=1, max_clients=10)
    for i in range(100):
        rl.check(f"c{i}", 0.0)
    assert len(rl._buckets) == 10
