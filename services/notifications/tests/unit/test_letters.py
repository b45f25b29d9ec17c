"""A letter's text per language and the school's list of letters, without I/O: the words each
language's guardians read, the 422s naming the field, who may list a school's letters, and a
letter's line in the list counted from its messages' counts."""

from datetime import UTC, datetime

import pytest
from notifications import access, messages
from notifications.announcements import AnnouncementCreate, listed
from notifications.settings import Settings
from pydantic import ValidationError
from service_kit.access import RoleRefused
from service_kit.auth import Caller, Role
from service_kit.errors import Invalid, OutOfScope

D, SCHOOL = "d-yecheng", "sch-yecheng-9"
SETTINGS = Settings()
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
GUARDIAN = {"_id": "gdn-1", "student_ids": ["stu-1"], "contacts": {"phone": "13900000001"}, "language": "en"}


def notice(**overrides) -> messages.Notice:
    fields = {
        "key": "ann-1",
        "purpose": "announcement",
        "district_id": D,
        "school_id": SCHOOL,
        "source_id": "ann-1",
        "variables": {"school_name": "良舍小学", "title": "冬季安全", "body": "注意安全。"},
    }
    return messages.Notice(**(fields | overrides))


def letter(**fields) -> AnnouncementCreate:
    return AnnouncementCreate.model_validate(
        {
            "school_id": SCHOOL,
            "audience": {"kind": "school"},
            "variables": {"title": "冬季安全", "body": "注意安全。"},
        }
        | fields
    )


def test_a_letter_without_texts_is_its_variables_as_before():
    assert letter().words() == ({"title": "冬季安全", "body": "注意安全。"}, {})


def test_each_language_keeps_its_own_title_and_body_and_zh_cn_may_be_given_among_them():
    request = letter(
        variables={},
        texts={
            "zh-CN": {"title": " 冬季安全 ", "body": "注意安全。"},
            "en": {"title": "Winter safety", "body": "Stay safe."},
        },
    )
    words, others = request.words()
    assert words == {"title": "冬季安全", "body": "注意安全。"}
    assert others == {"en": {"title": "Winter safety", "body": "Stay safe."}}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"texts": {"fr": {"title": "Sécurité", "body": ""}}}, "body.texts.fr"),
        ({"variables": {"title": " ", "body": "注意安全。"}}, "body.variables.title"),
        ({"variables": {}, "texts": {"en": {"title": "Winter", "body": ""}}}, "body.variables.title"),
    ],
)
def test_an_unknown_language_or_a_missing_zh_cn_title_is_a_422_naming_the_field(fields, field):
    with pytest.raises(Invalid) as refused:
        letter(**fields).words()
    assert refused.value.status == 422
    assert [e["field"] for e in refused.value.errors] == [field]


def test_an_empty_title_in_a_language_is_refused_where_it_is():
    with pytest.raises(ValidationError) as refused:
        letter(texts={"en": {"title": "  ", "body": "Stay safe."}})
    assert [e["loc"] for e in refused.value.errors()] == [("texts", "en", "title")]


def test_a_guardian_reads_the_letter_in_their_language_else_in_zh_cn():
    english = {"en": {"title": "Winter safety", "body": "Stay safe."}}
    [en] = messages.address(notice(by_language=english), GUARDIAN, {}, NOW, SETTINGS)
    assert en["subject"] == "[良舍小学] Winter safety"
    assert en["body"].startswith("Stay safe.")
    [zh] = messages.address(notice(by_language=english), GUARDIAN | {"language": "zh-CN"}, {}, NOW, SETTINGS)
    assert zh["subject"] == "【良舍小学】冬季安全"
    # no English text: the English frame around the Chinese words
    [fallback] = messages.address(notice(), GUARDIAN, {}, NOW, SETTINGS)
    assert fallback["subject"] == "[良舍小学] 冬季安全"


def caller(role: Role, district: str = D, school: str | None = SCHOOL) -> Caller:
    return Caller("someone", role, district, school, frozenset(), frozenset())


SCOPE = access.school_scope(D, SCHOOL)


@pytest.mark.parametrize(
    "who", [caller(Role.school_admin), caller(Role.bureau, school=None)], ids=["admin", "bureau"]
)
def test_the_schools_admin_and_its_districts_bureau_list_its_letters(who):
    access.SCHOOL_LETTERS.check(who, SCOPE)


@pytest.mark.parametrize(
    "who",
    [
        caller(Role.school_admin, school="sch-other"),
        caller(Role.bureau, district="d-other", school=None),
    ],
    ids=["another school's admin", "another district's bureau"],
)
def test_another_school_or_district_finds_no_such_school(who):
    with pytest.raises(OutOfScope):
        access.SCHOOL_LETTERS.check(who, SCOPE)


@pytest.mark.parametrize("role", [Role.teacher, Role.guardian, Role.partner])
def test_other_roles_are_refused_the_list(role):
    with pytest.raises(RoleRefused):
        access.SCHOOL_LETTERS.role_allowed(caller(role))


def test_a_listed_letter_counts_reached_confirmed_and_failed_and_names_no_family():
    announcement = {
        "_id": "ann-1",
        "school_id": SCHOOL,
        "variables": {"title": "冬季安全", "body": "注意安全。"},
        "texts": {"en": {"title": "Winter safety", "body": ""}},
        "audience": {"kind": "guardians", "guardian_ids": ["gdn-1", "gdn-2"]},
        "template": "announcement",
        "confirmation": "any_guardian",
        "created_at": datetime(2026, 11, 20, tzinfo=UTC),
        "recipient_count": 5,
    }
    row = listed(announcement, {"sent": 2, "read": 1, "failed": 1, "queued": 1}, confirmed=1)
    assert (row.title, row.recipients, row.reached, row.confirmed, row.failed) == ("冬季安全", 5, 3, 1, 1)
    assert row.languages == ["zh-CN", "en"]
    assert row.audience.guardians == 2
    assert "gdn-1" not in row.model_dump_json()
