from contracts.topics import (
    INTERNAL_REGISTRY_V1,
    PARTNER_ACTIVITIES_V1,
    REGISTRY_V1,
    VISITS_V1,
    portal_internal,
    scheduling_internal,
)
from contracts.topics import notifications_internal as delivered_topic
from fastapi import FastAPI
from service_kit.messaging import subscribe
from service_kit.runtime import ServiceRuntime, Worker

from notifications import api, handlers
from notifications.announcements import Announcements
from notifications.credentials import KIND as credential_kind
from notifications.credentials import Credentials
from notifications.delivery import Dispatcher, Outbox
from notifications.emergencies import Emergencies
from notifications.keeper import AudienceKeeper
from notifications.settings import Settings
from notifications.store import NotificationStore
from notifications.waiting import KIND as waiting_kind
from notifications.waiting import WaitingForRegistry


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings)
    store = NotificationStore(runtime.db, settings.school_today, settings.delivery_batch_size)
    outbox = Outbox(store, settings)
    emergencies = Emergencies(store, outbox)
    announcements = Announcements(store, outbox)
    waiting = WaitingForRegistry(store, settings, handlers.reactions(store, outbox))
    dispatcher = Dispatcher(
        store,
        settings,
        {
            "escalation": emergencies.escalate,
            "fanout": announcements.finish_fan_out,
            waiting_kind: waiting.retry,
        },
    )
    dispatcher.make_planned = announcements.made_at_first_round
    credentials = Credentials(store, settings, lambda: dispatcher.channels)
    dispatcher.handlers[credential_kind] = credentials.send
    for event in delivered_topic.TOPIC.events:
        runtime.announce(event)
    registry = handlers.on_registry_event(store)
    subscribe(runtime.broker, settings, INTERNAL_REGISTRY_V1, registry)
    subscribe(runtime.broker, settings, REGISTRY_V1, registry)
    becoming_messages = {
        scheduling_internal.TOPIC.name: "Invitations, reschedules, cancellations and reminders of meetings; "
        "visit summaries.",
        VISITS_V1: "A planned (or moved) home visit: the child's guardians learn the date and mode.",
        PARTNER_ACTIVITIES_V1: "A partner activity with classes: their guardians hear of it "
        "(non-essential, needs consent).",
    }
    for topic, description in becoming_messages.items():
        subscribe(runtime.broker, settings, topic, waiting.handler(), description=description)
    subscribe(runtime.broker, settings, portal_internal.TOPIC.name, credentials.handler())
    workers: list[Worker] = [runtime.relay(), dispatcher]
    if settings.audience_keep_seconds:
        workers.append(AudienceKeeper(store, announcements, settings.audience_keep_seconds))
    return runtime.build_app(
        title="通知服务 Notifications",
        description="向家长和教职工发送通知、提醒与紧急联系 (messages to guardians and staff).",
        routers=[api.router, api.keys_router],
        on_startup=[store.create_indexes],
        workers=workers,
        state={
            "store": store,
            "dispatcher": dispatcher,
            "services": api.Services(store, announcements, emergencies),
        },
    )
