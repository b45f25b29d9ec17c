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


def test_a_confirmation_link_appears_only_when_asked_for():
    plain = templates.render("announcement", "zh-CN", templates.SAMPLES["announcement"], BEIJING)
    asked = templates.render(
        "announcement",
        "zh-CN",
        templates.SAMPLES["announcement"] | {"confirm_url": "https://x/confirm"},
        BEIJING,
    )
    assert "https://x/confirm" not in plain.body
    assert "请阅读后点击确认：https://x/confirm" in asked.body


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
