from datetime import UTC, datetime

import pytest
from notifications import templates
from notifications.templates import TemplateProblem

BEIJING = "Asia/Shanghai"


@pytest.mark.parametrize("name", templates.names())
@pytest.mark.parametrize("language", templates.LANGUAGES)
def test_every_template_renders_its_sample_in_both_languages(name, language):
    rendered = templates.preview(name, language, BEIJING)
    assert rendered.subject
    assert rendered.body
    assert "{{" not in rendered.subject + rendered.body


def test_the_guardians_language_chooses_the_text_and_times_are_shown_in_beijing_time():
    variables = templates.SAMPLES["meeting_reminder"] | {
        "starts_at": datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    }
    assert "2026年11月20日 10:00" in templates.render("meeting_reminder", "zh-CN", variables, BEIJING).body
    assert "20 Nov 2026 10:00" in templates.render("meeting_reminder", "en", variables, BEIJING).body


def test_times_follow_the_schools_time_zone_from_the_settings():
    variables = templates.SAMPLES["meeting_reminder"] | {
        "starts_at": datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    }
    assert (
        "2026年11月20日 08:00" in templates.render("meeting_reminder", "zh-CN", variables, "Asia/Urumqi").body
    )


def test_an_unknown_template_is_named():
    with pytest.raises(TemplateProblem) as problem:
        templates.render("no_such", "zh-CN", {}, BEIJING)
    assert problem.value.status == 422
    assert problem.value.errors == [
        {"field": "body.template", "message": "没有名为 no_such 的模板 (unknown template)"}
    ]


def test_a_missing_variable_is_named():
    with pytest.raises(TemplateProblem) as problem:
        templates.render("announcement", "zh-CN", {"school_name": "良舍小学", "title": "通知"}, BEIJING)
    assert problem.value.errors is not None
    assert problem.value.errors[0]["field"] == "body.variables.body"


def test_a_letter_asks_to_confirm_only_when_asked_for():
    variables = templates.SAMPLES["announcement"] | {"link_url": "https://portal/l#t"}
    plain = templates.render("announcement", "zh-CN", variables, BEIJING)
    asked = templates.render("announcement", "zh-CN", variables | {"confirmation": True}, BEIJING)
    assert "查看通知：https://portal/l#t" in plain.body
    assert "请阅读后点击确认：https://portal/l#t" in asked.body


@pytest.mark.parametrize("name", templates.names())
@pytest.mark.parametrize("language", templates.LANGUAGES)
@pytest.mark.parametrize("confirmation", [False, True])
def test_no_template_links_to_an_api_route(name, language, confirmation):
    rendered = templates.render(
        name, language, templates.SAMPLES.get(name, {}) | {"confirmation": confirmation}, BEIJING
    )
    text = rendered.subject + rendered.body
    assert "/v1/" not in text
    assert "_url" not in text


GUARDIANS_ACT = {
    "meeting_invitation": "请点击回复是否出席：",
    "meeting_rescheduled": "请点击重新回复是否出席：",
    "announcement_reminder": "请阅读后点击确认：",
    "emergency": "请点击确认已收到：",
    "visit_summary": "查看并确认家访：",
}


@pytest.mark.parametrize("name", [n for n in templates.names() if n not in ("digest", "meeting_cancelled")])
@pytest.mark.parametrize("language", templates.LANGUAGES)
def test_every_message_carries_its_one_tap_link(name, language):
    variables = templates.SAMPLES.get(name, {}) | {"link_url": "https://portal.example.cn/l#tok"}
    body = templates.render(name, language, variables, BEIJING).body
    assert body.endswith("https://portal.example.cn/l#tok")
    if language == "zh-CN" and name in GUARDIANS_ACT:
        assert f"{GUARDIANS_ACT[name]}https://portal.example.cn/l#tok" in body


@pytest.mark.parametrize(("confirmation", "ending"), [(True, "查看并确认家访："), (False, "查看家访小结：")])
def test_a_visit_summary_asks_to_confirm_only_when_the_teacher_asked(confirmation, ending):
    variables = templates.SAMPLES["visit_summary"] | {
        "confirmation": confirmation,
        "link_url": "https://p.cn/l#t",
    }
    body = templates.render("visit_summary", "zh-CN", variables, BEIJING).body
    assert body.endswith(f"{ending}https://p.cn/l#t")


def test_a_cancelled_meeting_says_so_and_links_nowhere():
    variables = templates.SAMPLES["meeting_cancelled"] | {"link_url": "https://portal.example.cn/l#tok"}
    body = templates.render("meeting_cancelled", "zh-CN", variables, BEIJING).body
    assert "会议已取消" in body
    assert "http" not in body


def test_the_link_is_the_services_to_give_not_a_variable_the_caller_must_name():
    assert "link_url" not in templates.required_variables("meeting_invitation")
    assert "confirmation" not in templates.required_variables("announcement")


@pytest.mark.parametrize(
    ("name", "variables"),
    [
        ("meeting_invitation", {"starts_at": "下周五上午"}),  # no date
        ("visit_planned", {"planned_on": 20261124}),  # no date either
        ("digest", {"items": "冬季安全提示"}),  # no list of messages
    ],
)
def test_variables_that_do_not_fit_the_template_are_a_422_naming_them(name, variables):
    with pytest.raises(TemplateProblem) as problem:
        templates.render(name, "zh-CN", templates.SAMPLES[name] | variables, BEIJING)

    assert problem.value.status == 422
    assert problem.value.errors is not None
    assert problem.value.errors[0]["field"] == "body.variables"
