"""Background loops run beside a service's HTTP server (the change relay, a dispatcher, a
schedule): ``start`` creates the task of ``run``, ``stop`` cancels it and waits for it."""

import asyncio
import contextlib


class BackgroundLoop:
    task_name = "background-loop"

    _task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name=self.task_name)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
