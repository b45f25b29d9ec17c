"""What a guardian chose: channel order, instant or daily digest, quiet hours, language. No I/O.

Defaults (DOMAIN.md and the settings): the registry's preferred channel first, instant delivery,
a digest at 18:00 for those who want one, quiet hours 21:30–07:00 in the schools' time zone, and
the language the school recorded in the registry. Emergencies ignore all of it but the contacts
and the language.
"""

from datetime import datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from contracts.events.registry import Channel
from pydantic import BaseModel, ConfigDict, Field

from notifications.templates import Language

FALLBACK_ORDER = (Channel.sms, Channel.wechat, Channel.email)


class Preferences(BaseModel):
    """A guardian's choices; a field left out keeps the district's default."""

    model_config = ConfigDict(extra="forbid")

    channel_order: list[Channel] | None = Field(
        default=None, description="渠道顺序; by default the preferred channel, then SMS, WeChat, email."
    )
    delivery: Literal["instant", "digest"] = Field(
        default="instant", description="instant 即时, or digest 每日汇总 (non-urgent messages only)."
    )
    digest_at: time | None = Field(
        default=None, description="When the daily digest goes out (default 18:00)."
    )
    quiet_hours: bool = Field(default=True, description="Hold non-urgent messages during quiet hours.")
    quiet_start: time | None = Field(default=None, description="免打扰开始 (default 21:30).")
    quiet_end: time | None = Field(default=None, description="免打扰结束 (default 07:00).")
    language: Language | None = Field(
        default=None,
        description="页面和通知的语言 zh-CN or en; null keeps the language the school set in the registry.",
    )


def language(registry_language: Any, chosen: dict[str, Any]) -> Language:
    """The language a guardian's messages are written in: their own choice when they made one,
    else the registry's (set by the school), else zh-CN."""
    for candidate in (chosen.get("language"), registry_language):
        if candidate == "en":
            return "en"
        if candidate == "zh-CN":
            return "zh-CN"
    return "zh-CN"


def address(channel: Channel, contacts: dict[str, Any]) -> str | None:
    """Where a channel reaches someone, or None when they gave no such contact."""
    if channel is Channel.app:
        return "inbox"
    field = {Channel.sms: "phone", Channel.email: "email", Channel.wechat: "messaging_handle"}[channel]
    value = contacts.get(field)
    return str(value) if value else None


def channel_plan(contacts: dict[str, Any], preferred: Channel, chosen: list[Channel] | None) -> list[Channel]:
    """Channels to try in order, keeping only those the person can be reached on.

    The in-app inbox is a channel only when chosen (or preferred): every message is readable in the
    inbox anyway, but counting it as a delivery would hide a guardian nobody can actually reach.
    """
    order = chosen or [preferred, *FALLBACK_ORDER]
    plan: list[Channel] = []
    for channel in order:
        if channel not in plan and address(channel, contacts) is not None:
            if channel is Channel.app and channel not in (chosen or [preferred]):
                continue
            plan.append(channel)
    return plan


def every_channel(contacts: dict[str, Any]) -> list[Channel]:
    """An emergency goes out on every channel the person has, and always to the inbox."""
    return [channel for channel in (*FALLBACK_ORDER, Channel.app) if address(channel, contacts) is not None]


def quiet_until(now: datetime, start: time, end: time, timezone: ZoneInfo) -> datetime | None:
    """The end of the quiet hours ``now`` falls in, or None outside them (windows may span midnight)."""
    local = now.astimezone(timezone)
    clock = local.time()
    spans_midnight = start > end
    inside = (clock >= start or clock < end) if spans_midnight else (start <= clock < end)
    if not inside or start == end:
        return None
    ends = datetime.combine(local.date(), end, timezone)
    if ends <= local:
        ends += timedelta(days=1)
    return ends


def next_digest(now: datetime, at: time, timezone: ZoneInfo) -> datetime:
    """The next time the daily digest goes out, today or tomorrow."""
    local = now.astimezone(timezone)
    due = datetime.combine(local.date(), at, timezone)
    return due if due > local else due + timedelta(days=1)
