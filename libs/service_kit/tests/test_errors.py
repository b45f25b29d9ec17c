"""Every error is RFC 9457 problem+json; validation errors name each bad field."""

import httpx
from fastapi import FastAPI
from pydantic import BaseModel
from service_kit.errors import NotFound, install_problem_handlers


class Visit(BaseModel):
    student_id: str
    count: int


def make_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/visits")
    async def create(visit: Visit) -> Visit:
        return visit

    @app.get("/missing")
    async def missing() -> None:
        raise NotFound("家访记录")

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("database exploded with secret details")

    return app


async def request(method: str, path: str, **kwargs) -> httpx.Response:
    transport = httpx.ASGITransport(app=make_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.request(method, path, **kwargs)


async def test_validation_error_names_every_bad_field():
    answer = await request("POST", "/visits", json={"count": "many"})

    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert body["type"].endswith("/validation-failed")
    assert {e["field"] for e in body["errors"]} == {"body.student_id", "body.count"}


async def test_not_found_is_a_problem():
    answer = await request("GET", "/missing")

    assert answer.status_code == 404
    assert answer.json()["detail"] == "家访记录不存在或不在您的权限范围内"


async def test_unknown_route_is_a_problem_too():
    answer = await request("GET", "/nowhere")

    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"


async def test_unexpected_error_hides_internal_details():
    answer = await request("GET", "/boom")

    assert answer.status_code == 500
    assert "secret" not in answer.text
    assert answer.json()["type"].endswith("/internal-error")
