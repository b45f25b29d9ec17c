import logging

import httpx
from contracts.topics import INTERNAL_REGISTRY_V1, portal_internal
from fastapi import FastAPI
from service_kit.keys import DEV_LINK_KEY, DEV_LINK_KID, SigningKey, TrustedKeys, jwks
from service_kit.messaging import subscribe
from service_kit.runtime import ServiceRuntime

from portal import auth_api, calendar_feed, gateway, handlers, links, web
from portal.settings import Settings
from portal.store import PortalStore, Purge


def link_keys(settings: Settings) -> TrustedKeys:
    """Notifications' keys, which sign one-tap links; its development key outside production."""
    fixed = (
        {}
        if settings.environment == "production"
        else {DEV_LINK_KID: SigningKey.from_pem(DEV_LINK_KEY, DEV_LINK_KID).public}
    )
    return TrustedKeys(settings.link_jwks_url, fixed)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings)
    store = PortalStore(runtime.db)
    for event in portal_internal.TOPIC.events:
        runtime.announce(event)
    subscribe(
        runtime.broker,
        settings,
        INTERNAL_REGISTRY_V1,
        handlers.on_registry_event(store, runtime.broker, settings),
    )
    http = httpx.AsyncClient(timeout=settings.gateway_timeout_seconds)

    async def close_http() -> None:
        await http.aclose()

    app = runtime.build_app(
        title="门户 Portal",
        description="网页、登录与转发 (the web app, sign-in, and the one origin browsers talk to).",
        routers=[auth_api.router, calendar_feed.router, links.router, gateway.router],
        on_startup=[store.create_indexes],
        on_shutdown=[close_http],
        workers=[Purge(store, every=600)],
        state={"store": store, "http": http, "link_keys": link_keys(settings)},
        # Browsers present a session cookie, not a bearer token, so a key check here would put
        # every person's keys in one space (and replay one teacher's answer to another): the
        # gateway forwards the key, and each service keeps it per person.
        idempotency=False,
    )

    @app.get(
        "/.well-known/jwks.json",
        tags=["tokens 令牌"],
        summary="门户的公钥 (keys the services verify tokens with)",
    )
    async def portal_keys() -> dict[str, list[dict[str, str]]]:
        return jwks(settings.signing_key())

    access_log = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, calendar_feed.RedactFeedTokens) for f in access_log.filters):
        access_log.addFilter(calendar_feed.RedactFeedTokens())
    app.include_router(web.router)
    app.add_middleware(web.SecurityHeaders)
    return app
