"""Daily jobs: a registry of idempotent ``name -> callable(platform, today) -> dict``.

Run by ``xinyong jobs run [--today DATE]`` and by the in-app :class:`Scheduler` thread (setting
``XINYONG_JOBS_INTERVAL_S``; 0 turns it off). Every job must be safe to run twice or concurrently:
it works out what is due from the data and claims each change with a conditional update.

Other areas register their jobs by adding their module to ``JOB_MODULES`` and calling
:func:`register` at import time.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from xinyong.domain.actor import Actor
from xinyong.domain.permissions import require
from xinyong.errors import NotFound
from xinyong.services import events

if TYPE_CHECKING:
    from xinyong.services.platform import Platform

Job = Callable[["Platform", date], dict[str, Any]]
JOBS: dict[str, Job] = {}
JOB_MODULES: tuple[str, ...] = ("xinyong.services.jobs", "xinyong.services.remedy_jobs")
log = logging.getLogger(__name__)


def register(name: str, job: Job) -> Job:
    JOBS[name] = job
    return job


def registered() -> dict[str, Job]:
    for module in JOB_MODULES:
        importlib.import_module(module)
    return dict(sorted(JOBS.items()))


def run(
    platform: Platform, today: date, names: list[str] | None = None, actor: Actor | None = None
) -> dict[str, dict[str, Any]]:
    """Run the named jobs (all by default) for ``today``; each result is also an audit event."""
    actor = actor or Actor.system("jobs")
    require(actor, "jobs.run")
    jobs = registered()
    unknown = sorted(set(names or ()) - set(jobs))
    if unknown:
        raise NotFound(
            f"no job {unknown[0]!r}; jobs: {', '.join(jobs)}", message_zh="没有该任务", rule="jobs.unknown"
        )
    results: dict[str, dict[str, Any]] = {}
    for name in names or list(jobs):
        results[name] = jobs[name](platform, today)
        with platform.store.write() as conn:
            events.append(conn, actor, "job:run", "job", name, {"today": today.isoformat(), **results[name]})
    return results


class Scheduler(threading.Thread):
    """Runs every job once per interval for the platform's current day, until stopped."""

    def __init__(self, platform: Platform, interval_s: float) -> None:
        super().__init__(name="xinyong-jobs", daemon=True)
        self.platform, self.interval_s = platform, interval_s
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                run(self.platform, self.platform.today())
            except Exception:  # a failing job must not kill the scheduler; it is logged and retried
                log.exception("scheduled jobs failed")
            self.stopped.wait(self.interval_s)

    def stop(self) -> None:
        self.stopped.set()


def _expire_lists(platform: Platform, today: date) -> dict[str, Any]:
    from xinyong.services import lists  # lazily: lists imports the platform

    return lists.expire(platform, today)


register("lists.expire", _expire_lists)


def start_scheduler(platform: Platform) -> Scheduler | None:
    """Start the in-app scheduler unless ``XINYONG_JOBS_INTERVAL_S`` is 0."""
    interval = platform.settings.jobs_interval_s
    if interval <= 0:
        return None
    scheduler = Scheduler(platform, interval)
    scheduler.start()
    return scheduler
