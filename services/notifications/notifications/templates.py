"""Message templates (Jinja2), one file per template and language under ``templates/<language>/``.

A template's first line is the subject, the rest its body. Guardians get their own language
(zh-CN by default, English available). Variables are checked before rendering, so a missing one is
a 422 naming it rather than a half-rendered message.

No template links to an API route: a guardian cannot send a POST from an SMS. ``link_url`` is the
message's one-tap link to the portal's page (``notifications.links``), given by the service for
every message, as is ``confirmation`` (whether the message asks to be confirmed).
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import jinja2
import jinja2.meta
from service_kit.errors import Invalid

Language = Literal["zh-CN", "en"]
LANGUAGES: tuple[Language, ...] = ("zh-CN", "en")
TEMPLATE_DIR = Path(__file__).parent / "templates"
PERSONAL_LINK = "https://district.example.cn/l#<一键链接 personal link>"
# What the service gives every message itself; a preview without them shows these.
SUPPLIED: dict[str, Any] = {"link_url": PERSONAL_LINK, "confirmation": False}

_MODES = {
    "zh-CN": {"in_person": "上门", "phone": "电话", "video": "视频", "school_visit": "来校面谈"},
    "en": {"in_person": "in person", "phone": "by phone", "video": "by video", "school_visit": "at school"},
}
_ACTIVITIES = {
    "zh-CN": {
        "legal_education": "法制教育",
        "volunteer_service": "志愿服务",
        "safety_drill": "安全演练",
        "science_talk": "科普讲座",
        "cultural_event": "文化活动",
        "health_service": "健康服务",
        "social_practice": "社会实践",
    },
    "en": {},
}

SAMPLES: dict[str, dict[str, Any]] = {
    "meeting_invitation": {
        "school_name": "叶城县第九小学",
        "title": "三年级2班期中家长会",
        "starts_at": datetime(2026, 11, 20, 2, 0, tzinfo=UTC),  # 10:00 in Beijing
        "place": "三年级2班教室",
    },
    "visit_planned": {"school_name": "叶城县第九小学", "planned_on": date(2026, 11, 24), "mode": "in_person"},
    "visit_summary": {
        "school_name": "叶城县第九小学",
        "visited_on": date(2026, 11, 18),
        "mode": "in_person",
        "summary": "孩子在校表现积极，建议每天陪伴阅读二十分钟。",
        "confirmation": True,
    },
    "partner_activity": {
        "school_name": "叶城县第九小学",
        "held_on": date(2026, 11, 12),
        "kind": "safety_drill",
    },
    "announcement": {
        "school_name": "叶城县第九小学",
        "title": "致家长的一封信：冬季安全提示",
        "body": "天气转冷，请提醒孩子注意交通与用火用电安全。",
    },
    "announcement_reminder": {
        "school_name": "叶城县第九小学",
        "title": "致家长的一封信：冬季安全提示",
    },
    "emergency": {
        "school_name": "叶城县第九小学",
        "summary": "孩子在体育课上扭伤脚踝，已由校医处理。",
    },
    "emergency_staff": {
        "student_id": "stu-0001",
        "summary": "孩子在体育课上扭伤脚踝，已由校医处理。",
    },
    "digest": {
        "school_name": "叶城县第九小学",
        "items": [{"subject": "冬季安全提示", "body": "请提醒孩子注意交通安全。"}],
    },
}
SAMPLES["meeting_rescheduled"] = SAMPLES["meeting_reminder"] = SAMPLES["meeting_cancelled"] = SAMPLES[
    "meeting_invitation"
]


class TemplateProblem(Invalid):
    kind = "template-invalid"


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


def _when(language: Language, zone: ZoneInfo) -> Any:
    def when(value: datetime | str) -> str:
        moment = (datetime.fromisoformat(value) if isinstance(value, str) else value).astimezone(zone)
        if language == "zh-CN":
            return f"{moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M}"
        return f"{moment.day} {moment:%b %Y %H:%M}"

    return when


def _day(language: Language) -> Any:
    def day(value: date | str) -> str:
        moment = date.fromisoformat(value) if isinstance(value, str) else value
        return (
            f"{moment.year}年{moment.month}月{moment.day}日" if language == "zh-CN" else f"{moment:%d %b %Y}"
        )

    return day


@cache
def _environment(language: Language, timezone: str) -> jinja2.Environment:
    """Times are shown in the schools' time zone (the settings' ``school_timezone``)."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR / language),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # plain text: SMS, email text parts, the inbox
        keep_trailing_newline=False,
    )
    environment.filters["when"] = _when(language, ZoneInfo(timezone))
    environment.filters["day"] = _day(language)
    environment.filters["mode"] = lambda value: _MODES[language].get(str(value), str(value))
    environment.filters["activity"] = lambda value: _ACTIVITIES[language].get(
        str(value), str(value).replace("_", " ")
    )
    return environment


def names() -> list[str]:
    return sorted(path.stem for path in (TEMPLATE_DIR / "zh-CN").glob("*.txt"))


def required_variables(name: str) -> list[str]:
    if name not in names():
        raise TemplateProblem("body.template", f"没有名为 {name} 的模板 (unknown template)")
    environment = _environment("zh-CN", "UTC")  # parsed, not rendered: the zone does not matter
    assert environment.loader is not None
    source, _, _ = environment.loader.get_source(environment, f"{name}.txt")
    return sorted(jinja2.meta.find_undeclared_variables(environment.parse(source)) - set(SUPPLIED))


def render(name: str, language: Language, variables: dict[str, Any], timezone: str) -> Rendered:
    """Render a template, times in ``timezone``; unknown template or missing variable → 422 naming it."""
    for variable in required_variables(name):
        if variable not in variables:
            raise TemplateProblem(
                f"body.variables.{variable}", f"模板 {name} 缺少变量 {variable} (missing template variable)"
            )
    try:
        text = _environment(language, timezone).get_template(f"{name}.txt").render(**SUPPLIED | variables)
    except (jinja2.TemplateError, ValueError, TypeError, AttributeError) as exc:
        # The caller's variables, not the template: a date that is no date, a list that is none.
        raise TemplateProblem(
            "body.variables", f"变量不适用于模板 {name} (the variables do not fit the template): {exc}"
        ) from exc
    subject, _, body = text.partition("\n")
    return Rendered(subject.strip(), body.strip())


def preview(
    name: str, language: Language, timezone: str, variables: dict[str, Any] | None = None
) -> Rendered:
    """Render with sample data, overridden by what the caller gives."""
    required_variables(name)
    return render(name, language, SAMPLES.get(name, {}) | (variables or {}), timezone)
