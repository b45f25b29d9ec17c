"""RFC 9457 problem details for every error a service answers."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from opentelemetry import metrics
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("district.access")
_denied = metrics.get_meter("district.access").create_counter(
    "district.access.denied", unit="{request}", description="requests refused for role (403) or scope (404)"
)

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://district.example/problems/"

_TITLES = {
    400: "请求无效 (bad request)",
    401: "未认证 (unauthenticated)",
    403: "无权限 (forbidden)",
    404: "未找到 (not found)",
    405: "方法不允许 (method not allowed)",
    409: "冲突 (conflict)",
    422: "数据校验失败 (validation failed)",
    503: "服务暂不可用 (unavailable)",
}


class FieldError(BaseModel):
    field: str
    message: str
    code: str | None = None


class ProblemDetails(BaseModel):
    """RFC 9457 problem details, as every error is answered (``application/problem+json``)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[FieldError] | None = None


_COMPONENT = "#/components/schemas/{model}"


def problem_schemas() -> dict[str, dict[str, Any]]:
    """``ProblemDetails`` and the models it nests, as OpenAPI components.

    The answers refer to them by ``$ref``: a pydantic schema put inline keeps its own ``$defs``,
    which nothing in an OpenAPI document resolves (client generators and validators refuse it)."""
    schema = ProblemDetails.model_json_schema(ref_template=_COMPONENT, mode="serialization")
    nested: dict[str, dict[str, Any]] = schema.pop("$defs", {})
    return nested | {ProblemDetails.__name__: schema}


def documented_problem(description: str) -> dict[str, Any]:
    """An answer of a route's ``responses``: problem+json, described."""
    schema = {"$ref": _COMPONENT.format(model=ProblemDetails.__name__)}
    return {"description": description, "content": {PROBLEM_JSON: {"schema": schema}}}


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: documented_problem("缺少或无效的访问令牌 (missing or invalid bearer token)"),
    403: documented_problem("角色无权进行此操作 (the caller's role may not do this)"),
    404: documented_problem("记录不存在或不在权限范围内 (not found, or outside the caller's scope)"),
    422: documented_problem("数据校验失败，errors 列出每个字段 (validation failed; errors name each field)"),
}

# What any write may answer besides its own rules: a body that is not readable JSON (FastAPI answers
# 400 to bytes that are not UTF-8) or a bad Idempotency-Key; a record changed since it was read, or
# the same Idempotency-Key still in progress, or a step that cannot be taken twice (409).
_WRITES = ("post", "put", "patch", "delete")
_WRITE_PROBLEMS: dict[str, dict[str, Any]] = {
    "400": documented_problem(
        "请求体无法读取，或 Idempotency-Key 无效 (unreadable body, or a bad Idempotency-Key)"
    ),
    "409": documented_problem(
        "冲突：记录已被修改、相同请求仍在处理中，或此操作不能重复 "
        "(conflict: changed meanwhile, the same request still in progress, or a step already taken)"
    ),
}


class Problem(Exception):
    """An error answered as problem+json; ``kind`` becomes the stable ``type`` URI."""

    def __init__(
        self,
        status: int,
        kind: str,
        detail: str,
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.kind, self.detail = status, kind, detail
        self.errors, self.headers = errors, headers


class Invalid(Problem):
    """422 naming the field at fault (``body.visited_on``); subclasses name the kind of problem."""

    kind = "invalid"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(422, type(self).kind, message, errors=[{"field": field, "message": message}])


class Forbidden(Problem):
    def __init__(self, detail: str) -> None:
        super().__init__(403, "forbidden", detail)


class NotFound(Problem):
    def __init__(self, what: str = "记录") -> None:
        super().__init__(404, "not-found", f"{what}不存在或不在您的权限范围内")


class OutOfScope(NotFound):
    """404 for a record outside the caller's scope, word for word the answer to a missing record;
    the reason is only logged."""

    def __init__(self, what: str, reason: str) -> None:
        super().__init__(what)
        self.reason = reason


def is_denial(problem: Problem) -> bool:
    """A refusal of access: any 403, and a 404 for a record outside the caller's scope (a record
    that does not exist is not a refusal)."""
    return problem.status == 403 or isinstance(problem, OutOfScope)


def record_denial(request: Request, problem: Problem) -> None:
    """Log a refused access with who, where and why (ids and roles only: no name, phone or free
    text of a person), and count it per service, status and route."""
    caller = getattr(request.state, "caller", None)
    route = getattr(request.scope.get("route"), "path", request.url.path)
    settings = getattr(request.app.state, "settings", None)
    service = getattr(settings, "service_name", "unknown")
    reason = getattr(problem, "reason", problem.kind)
    log.warning(
        "access denied",
        extra={
            "status": problem.status,
            "method": request.method,
            "route": route,
            "reason": reason,
            "caller_subject": getattr(caller, "subject", None),
            "caller_role": str(getattr(caller, "role", "")) or None,
            "caller_district": getattr(caller, "district_id", None),
            "caller_school": getattr(caller, "school_id", None),
        },
    )
    _denied.add(1, {"service": service, "status": problem.status, "route": route})


class Unauthenticated(Problem):
    def __init__(self, detail: str) -> None:
        super().__init__(401, "unauthenticated", detail, headers={"WWW-Authenticate": "Bearer"})


def problem_response(problem: Problem, instance: str) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + problem.kind,
        "title": _TITLES.get(problem.status, "错误 (error)"),
        "status": problem.status,
        "detail": problem.detail,
        "instance": instance,
    }
    if problem.errors:
        body["errors"] = problem.errors
    return JSONResponse(body, status_code=problem.status, media_type=PROBLEM_JSON, headers=problem.headers)


def field_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    """One entry per bad field, with a JSON-pointer-like dotted location (``body.student_id``)."""
    return [
        {
            "field": ".".join(str(part) for part in error["loc"]),
            "message": error["msg"],
            "code": error["type"],
        }
        for error in exc.errors()
    ]


def document_problems(app: FastAPI) -> None:
    """Add the problem+json components that ``PROBLEM_RESPONSES`` refers to to the app's OpenAPI,
    and the problems every write of a router may answer (``_WRITE_PROBLEMS``)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = generate()  # FastAPI keeps it as app.openapi_schema: completed once, here
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        for name, schema in problem_schemas().items():
            if schemas.setdefault(name, schema) != schema:
                raise RuntimeError(f"another model is also named {name} in the OpenAPI components")
        for path in document.get("paths", {}).values():
            for method, operation in path.items():
                responses = operation.get("responses", {})
                if method in _WRITES and "401" in responses:  # a router's route, not /healthz
                    for status, answer in _WRITE_PROBLEMS.items():
                        responses.setdefault(status, answer)
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def install_problem_handlers(app: FastAPI) -> None:
    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        if is_denial(exc):
            record_denial(request, exc)
        return problem_response(exc, request.url.path)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = field_errors(exc)
        fields = ", ".join(e["field"] for e in errors)
        return problem_response(
            Problem(422, "validation-failed", f"请求数据不合法: {fields}", errors=errors), request.url.path
        )

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        kind = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        return problem_response(
            Problem(exc.status_code, kind, str(exc.detail), headers=dict(exc.headers or {})), request.url.path
        )

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        return problem_response(Problem(500, "internal-error", "服务内部错误，请稍后重试"), request.url.path)

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)
