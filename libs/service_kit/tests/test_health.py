import httpx
from fastapi import FastAPI
from pymongo import AsyncMongoClient
from service_kit.health import health_router
from service_kit.messaging import build_broker
from service_kit.settings import ServiceSettings


async def test_readiness_is_503_problem_naming_what_is_unreachable():
    settings = ServiceSettings(kafka_bootstrap_servers="127.0.0.1:1")
    client = AsyncMongoClient("mongodb://127.0.0.1:1", serverSelectionTimeoutMS=300)
    app = FastAPI()
    app.include_router(health_router(build_broker(settings), client))

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        alive = await http.get("/healthz")
        ready = await http.get("/readyz")
    await client.close()

    assert alive.status_code == 200
    assert ready.status_code == 503
    assert ready.headers["content-type"] == "application/problem+json"
    assert ready.json()["checks"] == {"kafka": "unreachable", "mongodb": "unreachable"}
