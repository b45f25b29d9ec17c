"""The shared request types: text without control characters, and real periods."""

import pytest
from contracts.inputs import (
    FreeText,
    Month,
    OpaqueId,
    SchoolYear,
    Term,
    Text,
    Variables,
    month_problem,
    school_year_problem,
    term_problem,
)
from pydantic import BaseModel, ConfigDict, Field, ValidationError


class Letter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    class_id: OpaqueId
    title: Text = Field(max_length=80)
    aside: Text | None = None
    tags: list[Text] = Field(default_factory=list)
    body: FreeText
    variables: Variables = Field(default_factory=dict)


GOOD = {"class_id": "cls-3-2", "title": "冬季安全", "body": "第一段\n\t第二段\r\n"}


def refusal(**changed: object) -> dict[str, object]:
    with pytest.raises(ValidationError) as raised:
        Letter.model_validate(GOOD | changed)
    [error] = raised.value.errors()
    return {"loc": error["loc"], "type": error["type"], "msg": error["msg"]}


def test_free_text_keeps_tabs_and_line_breaks():
    assert Letter.model_validate(GOOD).body == "第一段\n\t第二段\r\n"


@pytest.mark.parametrize("character", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9f", "\n", "\t", "\r"])
def test_short_text_refuses_every_control_character(character: str):
    found = refusal(title=f"冬季{character}安全")

    assert found["loc"] == ("title",)
    assert found["type"] == "control_character"
    assert f"U+{ord(character):04X}" in str(found["msg"])
    assert "控制字符" in str(found["msg"])


@pytest.mark.parametrize("character", ["\x00", "\x0b", "\x0c", "\x1f", "\x7f", "\x80"])
def test_free_text_refuses_the_other_control_characters(character: str):
    assert refusal(body=f"第一段{character}")["loc"] == ("body",)


def test_optional_and_listed_text_is_checked_too():
    assert refusal(aside="\x00")["loc"] == ("aside",)
    assert refusal(tags=["ok", "bad\x00"])["loc"] == ("tags", 1)


def test_an_id_with_a_nul_or_nothing_in_it_is_refused():
    assert refusal(class_id="cls-3-2\x00")["loc"] == ("class_id",)
    assert refusal(class_id="")["loc"] == ("class_id",)


def test_printable_unicode_is_text():
    letter = Letter.model_validate(GOOD | {"title": "Ümit 阿依古丽 😀 ‹›"})

    assert letter.title == "Ümit 阿依古丽 😀 ‹›"


def test_template_variables_are_free_text_under_identifier_names():
    fine = Letter.model_validate(GOOD | {"variables": {"title": "a\nb", "items": [{"subject": "x"}], "n": 3}})
    assert fine.variables["n"] == 3

    nested = refusal(variables={"items": [{"subject": "x\x00"}]})
    assert nested["loc"] == ("variables",)
    assert "items.0.subject" in str(nested["msg"])
    assert refusal(variables={"ti\x00tle": "x"})["type"] == "variable_name"
    assert refusal(variables={"$where": "x"})["type"] == "variable_name"
    assert refusal(variables={"title\n": "x"})["type"] == "variable_name"


def test_the_json_schema_marks_every_checked_string():
    properties = Letter.model_json_schema()["properties"]

    assert properties["title"]["x-control-characters"] == "refused"
    assert properties["body"]["x-control-characters"] == "tab-and-line-breaks-only"
    assert properties["tags"]["items"]["x-control-characters"] == "refused"
    assert properties["class_id"]["pattern"]


class Period(BaseModel):
    school_year: SchoolYear | None = None
    term: Term | None = None
    month: Month | None = None


@pytest.mark.parametrize("good", ["2026-2027", "2000-2001", "3456-3457", "8999-9000"])
def test_a_school_year_is_two_following_years(good: str):
    assert school_year_problem(good) is None
    assert Period(school_year=good).school_year == good


@pytest.mark.parametrize(
    "bad",
    [
        "0000-0000",
        "0000-0001",
        "9998-9999",
        "1999-2000",
        "2026-2028",
        "2027-2026",
        "2026",
        "２０２６-２０２７",
    ],
)
def test_year_zero_absurd_years_and_gaps_are_no_school_year(bad: str):
    assert school_year_problem(bad) is not None
    with pytest.raises(ValidationError) as raised:
        Period(school_year=bad)
    assert raised.value.errors()[0]["type"] == "bad_period"
    assert raised.value.errors()[0]["loc"] == ("school_year",)


def test_terms_and_months_are_checked_the_same_way():
    assert term_problem("2026-2027-autumn") is None
    assert term_problem("2026-2027-spring") is None
    for bad in ("0000-0001-autumn", "2026-2028-autumn", "2026-2027-winter", "2026-2027-autumn\x00"):
        assert term_problem(bad) is not None
    assert month_problem("2026-10") is None
    for bad in ("0000-10", "9999-01", "2026-13", "2026-00", "2026-1", "2026-10\n"):
        assert month_problem(bad) is not None
    with pytest.raises(ValidationError):
        Period(month="0000-01")
    with pytest.raises(ValidationError):
        Period(term="0000-0001-spring")
