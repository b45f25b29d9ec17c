from fastapi import FastAPI
from service_kit.runtime import ServiceRuntime

from registry.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Health and readiness only for now; its records arrive with their own issue."""
    runtime = ServiceRuntime(settings or Settings())
    return runtime.build_app(
        title="注册服务 Registry",
        description="全区基础数据：学校、班级、学生、家长、共建单位与区级政策 (master data).",
    )
