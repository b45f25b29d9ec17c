"""``/healthz`` says the process is alive; ``/readyz`` that the broker and the store answer."""

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient

from service_kit.errors import PROBLEM_JSON, documented_problem
from service_kit.storage import Document, store_is_reachable


def health_router(broker: KafkaBroker, client: AsyncMongoClient[Document]) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="进程存活 (liveness)")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="依赖就绪 (readiness: broker and store)",
        responses={503: documented_problem("代理或存储不可达 (broker or store unreachable)")},
    )
    async def readyz() -> JSONResponse:
        broker_ok, store_ok = await asyncio.gather(_broker_ok(broker), store_is_reachable(client))
        checks = {
            "kafka": "ok" if broker_ok else "unreachable",
            "mongodb": "ok" if store_ok else "unreachable",
        }
        if broker_ok and store_ok:
            return JSONResponse({"status": "ready", "checks": checks})
        return JSONResponse(
            {
                "type": "https://district.example/problems/not-ready",
                "title": "服务暂不可用 (unavailable)",
                "status": 503,
                "detail": "依赖服务不可达",
                "instance": "/readyz",
                "checks": checks,
            },
            status_code=503,
            media_type=PROBLEM_JSON,
        )

    return router


async def _broker_ok(broker: KafkaBroker) -> bool:
    try:
        return bool(await broker.ping(timeout=2.0))
    except Exception:
        return False
