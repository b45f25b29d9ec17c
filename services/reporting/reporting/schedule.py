"""The monthly bulletin on a schedule: once the month's submission deadline has passed, the
previous month's bulletin of every district is published (publishing is idempotent)."""

import asyncio
import contextlib
import logging
from datetime import date

from service_kit.loops import BackgroundLoop

from reporting.bulletin_store import Bulletins
from reporting.periods import Month
from reporting.projection import Projection
from reporting.settings import Settings
from reporting.store import ActiveStore

log = logging.getLogger(__name__)


class BulletinSchedule(BackgroundLoop):
    task_name = "bulletin-schedule"

    def __init__(self, store: ActiveStore, projection: Projection, settings: Settings) -> None:
        self.store, self.projection, self.settings = store, projection, settings

    async def publish_due(self, today: date | None = None) -> list[str]:
        """Publish last month's bulletin of each district once its policy's deadline has passed."""
        today = today or self.settings.school_today()
        month = Month.of(today).previous()
        await self.projection.ready()
        published = []
        for district_id, snapshot in sorted(self.projection.snapshots.items()):
            if not snapshot.records("school"):
                continue  # a district reporting knows only from stray facts
            try:
                if today <= snapshot.submission_deadline(month):
                    continue
                await Bulletins(self.store, self.projection).publish(district_id, month, today)
                published.append(district_id)
            except Exception:
                log.exception(
                    "scheduled bulletin failed", extra={"district_id": district_id, "month": str(month)}
                )
        return published

    async def run(self) -> None:
        while True:
            with contextlib.suppress(Exception):
                await self.publish_due()
            await asyncio.sleep(self.settings.bulletin_check_seconds)

    def start(self) -> None:
        if self.settings.bulletin_check_seconds > 0:
            super().start()
