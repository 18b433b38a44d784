"""China's calendar day: one definition (xinyong.chinatime), whatever the server's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from xinyong import chinatime, ids


def test_a_day_changes_at_midnight_in_china_not_in_utc() -> None:
    assert chinatime.day_of(datetime(2026, 11, 28, 15, 59, 59, tzinfo=UTC)) == date(2026, 11, 28)
    assert chinatime.day_of(datetime(2026, 11, 28, 16, 0, tzinfo=UTC)) == date(2026, 11, 29)
    assert chinatime.day_of(datetime(2026, 11, 28, 16, 0)) == date(2026, 11, 29)  # naive: stored UTC
    assert chinatime.day_of(datetime(2026, 7, 1, 1, 0, tzinfo=chinatime.CHINA)) == date(2026, 7, 1)


def test_today_is_china_s_and_the_identifier_check_s_cached_day_agrees() -> None:
    """``ids`` keeps a faster, cached YYYYMMDD of the same day for its hot path."""
    before = (datetime.now(UTC) + timedelta(hours=8)).date()
    got, cached = chinatime.today(), ids._china_today_str()
    after = (datetime.now(UTC) + timedelta(hours=8)).date()
    assert got in (before, after)
    assert cached in (before.strftime("%Y%m%d"), after.strftime("%Y%m%d"))
