from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import uuid4

from contracts.events.registry import Channel
from contracts.inputs import FreeText, OpaqueId, Text, Variables
from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from service_kit.access import ensure_found
from service_kit.auth import Caller, CurrentCaller
from service_kit.errors import NotFound, Problem, Unauthenticated
from service_kit.keys import jwks
from service_kit.storage import Document

from notifications import access, messages, templates
from notifications.announcements import (
    AnnouncementCreate,
    AnnouncementPublic,
    Announcements,
    Confirmations,
    LetterListed,
    LetterMessage,
    Preview,
)
from notifications.channels import providers
from notifications.delivery import failed_after_all
from notifications.emergencies import Emergencies, EmergencyCreate, EmergencyPublic
from notifications.messages import MessagePublic
from notifications.preferences import Preferences
from notifications.store import GUARDIANS, MESSAGES, NotificationStore


class Services:
    """What the routes use, built once in ``create_app``."""

    def __init__(
        self, store: NotificationStore, announcements: Announcements, emergencies: Emergencies
    ) -> None:
        self.store, self.announcements, self.emergencies = store, announcements, emergencies


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def school_timezone(request: Request) -> str:
    return str(request.app.state.settings.school_timezone)


SchoolTimezone = Annotated[str, Depends(school_timezone)]

router = APIRouter(prefix="/v1")
keys_router = APIRouter(tags=["links 一键链接"])


@keys_router.get("/.well-known/jwks.json", summary="一键链接的公钥 (keys one-tap links are verified with)")
async def link_keys(request: Request) -> dict[str, list[dict[str, str]]]:
    """The public key of notifications' link signing key, a JWKS (RFC 7517) the portal fetches."""
    settings = request.app.state.settings
    return jwks(settings.link_key())


def _new_id(prefix: str) -> str:
    return f"{prefix}-{uuid4().hex[:12]}"


# The inbox: guardians and staff read their own messages -------------------------------------------


@router.get("/inbox", response_model=list[MessagePublic], tags=["inbox 收件箱"])
async def inbox(caller: CurrentCaller, services: ServicesDep) -> list[MessagePublic]:
    """我的消息 (messages to the caller that have gone out, newest first)."""
    access.INBOX.role_allowed(caller)
    mine = await services.store.messages_of(
        {"recipient_id": caller.subject, "district_id": caller.district_id}
    )
    shown = [
        m
        for m in mine
        if m["status"] not in ("queued", "cancelled") and access.INBOX.allows(caller, access.message_scope(m))
    ]
    return [MessagePublic.of(m) for m in reversed(shown)]


async def _own_message(services: Services, caller: Caller, message_id: str) -> Document:
    """The caller's own message: its district and school first, then its recipient (a refusal
    leaves it unread)."""
    access.INBOX.role_allowed(caller)
    message = ensure_found(await services.store.get(MESSAGES, message_id), "通知")
    access.INBOX.check(caller, access.message_scope(message))
    return message


@router.get("/inbox/{message_id}", response_model=MessagePublic, tags=["inbox 收件箱"])
async def read_message(message_id: str, caller: CurrentCaller, services: ServicesDep) -> MessagePublic:
    """阅读消息 (reading records a read receipt)."""
    return MessagePublic.of(await _open(services, caller, message_id, confirmed=False))


@router.post("/inbox/{message_id}/confirmation", response_model=MessagePublic, tags=["inbox 收件箱"])
async def confirm_message(message_id: str, caller: CurrentCaller, services: ServicesDep) -> MessagePublic:
    """确认已读 (click to confirm a notice that asks for it)."""
    return MessagePublic.of(await _open(services, caller, message_id, confirmed=True))


async def _open(services: Services, caller: Caller, message_id: str, confirmed: bool) -> Document:
    message = await _own_message(services, caller, message_id)
    update = messages.opened(message, datetime.now(UTC), confirmed)
    if update:  # the dispatcher has finished with the message: a plain update does not race it
        await services.store.db[MESSAGES].update_one({"_id": message_id}, {"$set": update})
    if confirmed and message.get("confirms"):
        # a reminder's one-tap link confirms the letter it reminds of (the one the school counts)
        await _open(services, caller, message["confirms"], confirmed=True)
    return message | update


# Delivery status for the school ------------------------------------------------------------------


@router.get("/messages/{message_id}", response_model=MessagePublic, tags=["delivery 投递"])
async def message_status(message_id: str, caller: CurrentCaller, services: ServicesDep) -> MessagePublic:
    """投递状态 (queued, sent, delivered, read, failed; with every attempt)."""
    access.DELIVERY.role_allowed(caller)
    message = ensure_found(await services.store.get(MESSAGES, message_id), "通知")
    access.DELIVERY.check(caller, access.message_scope(message))
    return MessagePublic.of(message)


@router.get("/schools/{school_id}/messages", response_model=list[MessagePublic], tags=["delivery 投递"])
async def school_messages(
    school_id: str,
    caller: CurrentCaller,
    services: ServicesDep,
    status: Annotated[
        Literal["queued", "sent", "delivered", "read", "failed", "cancelled"] | None,
        Query(description="e.g. failed"),
    ] = None,
) -> list[MessagePublic]:
    """学校的消息 (the school admin sees what was sent and what failed, with the reason)."""
    access.SCHOOL_MESSAGES.role_allowed(caller)
    district_id = ensure_found(await services.store.school_district(school_id), "学校")
    access.SCHOOL_MESSAGES.check(caller, access.school_scope(district_id, school_id))
    where: Document = {"district_id": district_id, "school_id": school_id}
    if status:
        where["status"] = status
    return [MessagePublic.of(m) for m in await services.store.messages_of(where)]


# Preferences --------------------------------------------------------------------------------------


async def _own_preferences(caller: Caller, services: Services) -> str:
    """The guardian the token names, as the registry holds them in the caller's own district."""
    access.PREFERENCES.role_allowed(caller)
    # the same words for a guardian nobody knows and one of another district
    guardian = ensure_found(await services.store.get(GUARDIANS, caller.subject), access.PREFERENCES.resource)
    access.PREFERENCES.check(caller, access.own_record_scope(guardian))
    return str(guardian["_id"])


@router.get("/preferences", response_model=Preferences, tags=["preferences 偏好"])
async def my_preferences(caller: CurrentCaller, services: ServicesDep) -> Preferences:
    """我的接收偏好 (channel order, instant or digest, quiet hours, language)."""
    stored = await services.store.preferences(await _own_preferences(caller, services))
    return Preferences.model_validate({k: v for k, v in stored.items() if k != "_id"})


@router.put("/preferences", response_model=Preferences, tags=["preferences 偏好"])
async def set_preferences(chosen: Preferences, caller: CurrentCaller, services: ServicesDep) -> Preferences:
    """设置接收偏好 (a field left out keeps the default)."""
    guardian_id = await _own_preferences(caller, services)
    await services.store.set_preferences(guardian_id, chosen.model_dump(mode="json"))
    return chosen


# Templates ----------------------------------------------------------------------------------------


class TemplateInfo(BaseModel):
    name: str
    languages: list[str]
    variables: list[str]
    sample: dict[str, Any]


class TemplatePreview(BaseModel):
    model_config = ConfigDict(extra="forbid")

    template: Text
    language: templates.Language = "zh-CN"
    variables: Variables | None = Field(default=None, description="Omitted: the template's sample data.")


@router.get("/templates", response_model=list[TemplateInfo], tags=["templates 模板"])
async def list_templates(caller: CurrentCaller) -> list[TemplateInfo]:
    """模板列表 (names, languages, the variables each needs, sample data)."""
    access.TEMPLATES.role_allowed(caller)
    return [
        TemplateInfo(
            name=name,
            languages=list(templates.LANGUAGES),
            variables=templates.required_variables(name),
            sample=templates.SAMPLES.get(name, {}),
        )
        for name in templates.names()
    ]


@router.post("/templates/preview", response_model=templates.Rendered, tags=["templates 模板"])
async def preview_template(
    request: TemplatePreview, caller: CurrentCaller, timezone: SchoolTimezone
) -> templates.Rendered:
    """模板预览 (rendered with sample data, or with the variables given)."""
    access.TEMPLATES.role_allowed(caller)
    if request.variables is None:
        return templates.preview(request.template, request.language, timezone)
    return templates.render(request.template, request.language, request.variables, timezone)


# Announcements ------------------------------------------------------------------------------------


@router.post("/announcements/preview", response_model=Preview, tags=["announcements 通知"])
async def preview_announcement(
    request: AnnouncementCreate, caller: CurrentCaller, services: ServicesDep
) -> Preview:
    """发送前预览 (who it reaches, who opted out, who has no contact; the text in each language)."""
    return await services.announcements.preview(caller, request)


@router.post(
    "/announcements", status_code=201, response_model=AnnouncementPublic, tags=["announcements 通知"]
)
async def send_announcement(
    request: AnnouncementCreate, caller: CurrentCaller, services: ServicesDep
) -> AnnouncementPublic:
    """发送通知 (致家长的一封信) to a school, grade, classes, a care category or named guardians."""
    return await services.announcements.send(caller, request, _new_id("ann"))


@router.get(
    "/schools/{school_id}/announcements", response_model=list[LetterListed], tags=["announcements 通知"]
)
async def school_announcements(
    school_id: str,
    caller: CurrentCaller,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=200, description="The newest this many.")] = 50,
) -> list[LetterListed]:
    """学校的通知 (the school's letters, newest first: title, audience, confirmation, when sent,
    how many it reached, confirmed, failed)."""
    return await services.announcements.of_school(caller, school_id, limit)


@router.get(
    "/announcements/{announcement_id}", response_model=AnnouncementPublic, tags=["announcements 通知"]
)
async def announcement(
    announcement_id: str, caller: CurrentCaller, services: ServicesDep
) -> AnnouncementPublic:
    """通知投递情况 (messages per status)."""
    return await services.announcements.summary(caller, announcement_id)


@router.get(
    "/announcements/{announcement_id}/confirmations",
    response_model=Confirmations,
    tags=["announcements 通知"],
)
async def confirmations(announcement_id: str, caller: CurrentCaller, services: ServicesDep) -> Confirmations:
    """确认情况 (students whose guardians have not confirmed yet)."""
    return await services.announcements.confirmations(caller, announcement_id)


@router.get(
    "/announcements/{announcement_id}/messages",
    response_model=list[LetterMessage],
    tags=["announcements 通知"],
)
async def letter_messages(
    announcement_id: str, caller: CurrentCaller, services: ServicesDep
) -> list[LetterMessage]:
    """通知的逐条消息 (each guardian's message of the letter: status, channel, confirmed; no contacts)."""
    return await services.announcements.messages(caller, announcement_id)


class Reminded(BaseModel):
    reminded_guardian_ids: list[str]


@router.post(
    "/announcements/{announcement_id}/reminders", response_model=Reminded, tags=["announcements 通知"]
)
async def remind(announcement_id: str, caller: CurrentCaller, services: ServicesDep) -> Reminded:
    """提醒未确认的家长 (only those who have not confirmed)."""
    made = await services.announcements.remind(caller, announcement_id)
    return Reminded(reminded_guardian_ids=sorted({m["recipient_id"] for m in made}))


# Emergencies --------------------------------------------------------------------------------------


@router.post("/emergencies", status_code=201, response_model=EmergencyPublic, tags=["emergencies 紧急联系"])
async def raise_emergency(
    request: EmergencyCreate, caller: CurrentCaller, services: ServicesDep
) -> EmergencyPublic:
    """紧急联系 (a student is ill or injured: guardians, then the head teacher, until one answers)."""
    emergency = await services.emergencies.raise_(caller, request, _new_id("emg"))
    return EmergencyPublic.model_validate(await services.emergencies.view(caller, emergency["_id"]))


@router.get("/emergencies/{emergency_id}", response_model=EmergencyPublic, tags=["emergencies 紧急联系"])
async def emergency(emergency_id: str, caller: CurrentCaller, services: ServicesDep) -> EmergencyPublic:
    """紧急联系记录 (every step: who was contacted when, and who acknowledged)."""
    return EmergencyPublic.model_validate(await services.emergencies.view(caller, emergency_id))


@router.post(
    "/emergencies/{emergency_id}/acknowledgement",
    response_model=EmergencyPublic,
    tags=["emergencies 紧急联系"],
)
async def acknowledge(emergency_id: str, caller: CurrentCaller, services: ServicesDep) -> EmergencyPublic:
    """确认收到紧急联系 (a guardian of the student or staff of the class; the first one counts)."""
    return EmergencyPublic.model_validate(await services.emergencies.acknowledge(caller, emergency_id))


# Delivery reports from the providers ---------------------------------------------------------------


class Receipt(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message_id: OpaqueId
    status: Literal["delivered", "failed"]
    reason: FreeText | None = Field(default=None, max_length=500)


@router.post("/providers/{channel}/receipts", status_code=204, tags=["delivery 投递"])
async def provider_receipt(
    channel: Literal["sms", "wechat"], request: Request, services: ServicesDep
) -> None:
    """短信/消息平台回执 (a provider reports delivery; signed like our requests to it)."""
    body = await request.body()
    provider = providers(request.app.state.settings)[Channel(channel)]
    headers = request.headers
    if not provider.signed_by(
        headers.get("x-api-key", ""), headers.get("x-timestamp", ""), body, headers.get("x-signature", "")
    ):
        raise Unauthenticated("回执签名无效 (bad receipt signature)")
    try:  # read after the signature check, which needs the raw bytes
        receipt = Receipt.model_validate_json(body)
    except ValidationError as exc:
        raise RequestValidationError(
            [error | {"loc": ("body", *error["loc"])} for error in exc.errors(include_url=False)]
        ) from exc
    message = await services.store.get(MESSAGES, receipt.message_id)
    if message is not None and message["status"] == "queued":
        # sent, but its batch's round has not recorded it yet: the provider tries again later
        raise Problem(
            409, "not-yet-recorded", "该消息的发送尚未记录，请稍后重试 (send not recorded yet; retry)"
        )
    if message is None or message.get("sent_channel") != channel:
        raise NotFound("通知")  # a provider's receipt: no caller, so no access refusal to log
    if receipt.status == "delivered":
        await services.store.record_delivered(message, datetime.now(UTC))
    else:
        await failed_after_all(services.store, message, f"provider: {receipt.reason}", datetime.now(UTC))
