from fastapi import FastAPI
from service_kit.runtime import ServiceRuntime

from notifications.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Health and readiness only for now; its records arrive with their own issue."""
    runtime = ServiceRuntime(settings or Settings())
    return runtime.build_app(
        title="通知服务 Notifications",
        description="向家长和教职工发送通知、提醒与紧急联系 (messages to guardians and staff).",
    )
