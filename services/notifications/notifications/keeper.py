"""Keeps each school's audience counted, and its roster kept, as the registry changes its people.

The bureau's preview of a letter to its district reads the counts kept per generation of each
school's people (``Announcements.district_audience``). Counted only when first asked, a county's
first preview read 150,000 guardians and 100,000 students: half a minute. Counted here in the
background after a start and after each change, the preview finds them kept (well under 2 s).
"""

import asyncio
import logging

from service_kit.loops import BackgroundLoop

from notifications.announcements import Announcements
from notifications.store import NotificationStore

log = logging.getLogger(__name__)


class AudienceKeeper(BackgroundLoop):
    """Counts again, every ``seconds``, the schools whose people changed since they were counted
    (a few at a time; a school counted at its current generation costs nothing). Replicas may
    each run one: counting again keeps the same value."""

    task_name = "audience-keeper"

    def __init__(self, store: NotificationStore, announcements: Announcements, seconds: float) -> None:
        self.store, self.announcements, self.seconds = store, announcements, seconds

    async def keep_once(self) -> None:
        for district_id in sorted(await self.store.districts()):
            try:
                await self.announcements.district_audience(district_id)
            except Exception:  # its preview counts what is not kept: nothing is lost meanwhile
                log.exception(
                    "keeping the schools' audiences counted failed", extra={"district_id": district_id}
                )

    async def run(self) -> None:
        while True:
            try:
                await self.keep_once()
            except Exception:
                log.exception("keeping the schools' audiences counted failed")
            await asyncio.sleep(self.seconds)
