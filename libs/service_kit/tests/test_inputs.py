"""Path and query parameters refuse control characters: a 422 naming the parameter, before the route."""

import httpx
from fastapi import Depends, FastAPI
from service_kit.errors import install_problem_handlers
from service_kit.inputs import refuse_control_characters

reached: list[str] = []


def make_app() -> FastAPI:
    app = FastAPI(dependencies=[Depends(refuse_control_characters)])
    install_problem_handlers(app)

    @app.get("/students/{student_id}")
    async def read(student_id: str, term: str | None = None) -> dict[str, str | None]:
        reached.append(student_id)
        return {"student_id": student_id, "term": term}

    return app


async def get(path: str, **kwargs: object) -> httpx.Response:
    transport = httpx.ASGITransport(app=make_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get(path, **kwargs)  # type: ignore[arg-type]


async def test_a_nul_in_a_path_parameter_is_a_422_naming_it_and_the_route_never_runs():
    reached.clear()

    answer = await get("/students/stu-1%00")

    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    [error] = answer.json()["errors"]
    assert error["field"] == "path.student_id"
    assert error["code"] == "control_character"
    assert "U+0000" in error["message"]
    assert "控制字符" in error["message"]
    assert reached == []


async def test_control_characters_in_query_values_and_names_are_refused():
    answer = await get("/students/stu-1", params={"term": "2026-2027-autumn\x1b", "x\x7f": "1"})

    assert answer.status_code == 422
    assert {e["field"] for e in answer.json()["errors"]} == {"query.term", "query.xU+007F"}


async def test_a_c1_control_character_is_refused_too():
    answer = await get("/students/stu-1%C2%85")  # U+0085, NEL

    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "path.student_id"


async def test_ordinary_parameters_pass():
    answer = await get("/students/%E9%98%BF%E4%BE%9D", params={"term": "2026-2027-autumn"})

    assert answer.status_code == 200
    assert answer.json() == {"student_id": "阿依", "term": "2026-2027-autumn"}
