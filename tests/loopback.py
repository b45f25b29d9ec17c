"""Serving an app in the test's own event loop on a free loopback port."""

import asyncio
import socket

import uvicorn
from fastapi import FastAPI
from service_kit.runtime import KEEP_ALIVE_SECONDS


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def serve(app: FastAPI, port: int | None = None) -> tuple[str, uvicorn.Server, asyncio.Task[None]]:
    """The app's address, its server (set ``should_exit`` to stop it) and the serving task."""
    port = port or free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_config=None,
        lifespan="on",
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    return f"http://127.0.0.1:{port}", server, task
