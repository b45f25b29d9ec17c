"""A server keeps an idle connection longer than its clients do, so a client never sends on a
connection the server is closing (both at 5 s: a read error, the portal's 502)."""

import asyncio

import httpx
from fastapi import FastAPI, Request
from loopback import serve


async def test_a_connection_idle_as_long_as_a_client_keeps_it_is_still_open_on_the_server():
    app = FastAPI()

    @app.get("/port")
    async def port(request: Request) -> int:
        assert request.client is not None
        return request.client.port  # the client's end of the connection

    url, server, task = await serve(app)
    # a client that keeps idle connections a little longer than httpx's default 5 s
    async with httpx.AsyncClient(base_url=url, limits=httpx.Limits(keepalive_expiry=8)) as client:
        first = (await client.get("/port")).json()
        await asyncio.sleep(6)  # idle past the 5 s uvicorn closed connections at before
        again = (await client.get("/port")).json()
    server.should_exit = True
    await task
    assert again == first  # the same connection: the server had not closed it
