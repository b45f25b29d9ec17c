"""What a request may carry, in every service: text without control characters, and real periods.

Every string of a request body is typed ``Text`` (identifiers, names, short fields: no control
character at all, C0, DEL or C1) or ``FreeText`` (findings, summaries, minutes, letters: line
breaks and tabs kept). The store under FerretDB is PostgreSQL, which refuses ``\\u0000`` in a
document, so a NUL that got through validation used to come back as a 500; no field of ours has a
use for the other control characters either. Path and query parameters get the same check from
``service_kit.inputs``. The JSON Schema of such a string carries ``x-control-characters``, so the
committed OpenAPI documents show (and a test checks) that no request string was left unchecked.

Periods as the bureau names them: a school year ``2026-2027`` (the second year the first plus
one), a term ``2026-2027-autumn``, a month ``2026-10``; years outside 2000–9000 are refused, so
year 0 cannot reach ``datetime.date`` and a month or school year after the last one stays within
it. The upper bound is generous on purpose: the end-to-end tests give each run a far-future school
year of its own (3000–5900) to stay apart on a store that persists.
"""

import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, GetCoreSchemaHandler, GetJsonSchemaHandler, StringConstraints
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LAYOUT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # keeps \t \n \r

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
FIRST_YEAR, LAST_YEAR = 2000, 9000


def control_character(text: str, *, free_text: bool = False) -> str | None:
    """The first control character of ``text`` as ``U+0000``, or None; free text may hold \\t \\n \\r."""
    found = (_CONTROL_BUT_LAYOUT if free_text else _CONTROL).search(text)
    return None if found is None else f"U+{ord(found[0]):04X}"


def control_character_message(character: str) -> str:
    return f"不能包含控制字符 {character} (control characters are not allowed)"


@dataclass(frozen=True)
class NoControlCharacters:
    """Refuses control characters in a string; ``free_text`` keeps tabs and line breaks."""

    free_text: bool = False

    def check(self, value: str) -> str:
        character = control_character(value, free_text=self.free_text)
        if character is not None:
            raise PydanticCustomError("control_character", control_character_message(character))
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        shown = handler(schema)
        shown["x-control-characters"] = "tab-and-line-breaks-only" if self.free_text else "refused"
        return shown


Text = Annotated[str, NoControlCharacters()]
"""An identifier, a name or a short field: no control character at all."""

FreeText = Annotated[str, NoControlCharacters(free_text=True)]
"""Free text (findings, summaries, minutes, letters): tabs and line breaks, no other control character."""

OpaqueId = Annotated[str, StringConstraints(pattern=ID_PATTERN), NoControlCharacters()]
"""An id another service issued (``stu-000481``, ``cls-3-2``)."""


# Template variables: names and free-text values, at any depth --------------------------------------

_VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def _free_text_tree(value: Any, where: str = "") -> Any:
    if isinstance(value, str):
        character = control_character(value, free_text=True)
        if character is not None:
            raise PydanticCustomError(
                "control_character", "{where}: " + control_character_message(character), {"where": where}
            )
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _free_text_tree(item, f"{where}.{i}")
    elif isinstance(value, dict):
        for key, item in value.items():
            if not _VARIABLE_NAME.fullmatch(key):
                raise PydanticCustomError(
                    "variable_name",
                    "变量名只能包含字母、数字和下划线 (variable names are identifiers): {name}",
                    {"name": ascii(key)},
                )
            _free_text_tree(item, f"{where}.{key}" if where else key)
    return value


Variables = Annotated[dict[str, Any], AfterValidator(_free_text_tree)]
"""Template variables: identifier names; every string inside is free text."""


# Periods --------------------------------------------------------------------------------------------

# [0-9], not \d: Python's \d also matches full-width digits (２０２６), which int() would accept.
SCHOOL_YEAR_PATTERN = r"^[0-9]{4}-[0-9]{4}$"
TERM_PATTERN = r"^[0-9]{4}-[0-9]{4}-(autumn|spring)$"
MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"


def _year_problem(year: int) -> str | None:
    if FIRST_YEAR <= year <= LAST_YEAR:
        return None
    return f"年份 {year} 不在 {FIRST_YEAR}–{LAST_YEAR} 之内 (year out of range)"


def school_year_problem(text: str) -> str | None:
    """Why ``text`` is not a school year such as 2026-2027, or None when it is one."""
    if not re.fullmatch(SCHOOL_YEAR_PATTERN, text):
        return f"学年格式应为 YYYY-YYYY，例如 2026-2027 (got {text!r})"
    first, second = int(text[:4]), int(text[5:])
    if second != first + 1:
        return f"学年的第二年应为第一年加一，例如 2026-2027 (got {text!r})"
    return _year_problem(first) or _year_problem(second)


def term_problem(text: str) -> str | None:
    """Why ``text`` is not a term such as 2026-2027-autumn, or None when it is one."""
    if not re.fullmatch(TERM_PATTERN, text):
        return f"学期格式应为 YYYY-YYYY-autumn|spring，例如 2026-2027-autumn (got {text!r})"
    return school_year_problem(text[:9])


def month_problem(text: str) -> str | None:
    """Why ``text`` is not a month such as 2026-10, or None when it is one."""
    if not re.fullmatch(MONTH_PATTERN, text):
        return f"月份格式应为 YYYY-MM，例如 2026-10 (got {text!r})"
    return _year_problem(int(text[:4]))


def _period(problem: Any) -> AfterValidator:
    def check(text: str) -> str:
        found = problem(text)
        if found is not None:
            raise PydanticCustomError("bad_period", found)
        return text

    return AfterValidator(check)


# No ``Field`` inside: FastAPI takes the last ``FieldInfo`` of an annotation as the parameter's kind.
SchoolYear = Annotated[str, NoControlCharacters(), _period(school_year_problem)]
"""A school year, 2026-2027."""

TermKind = Literal["autumn", "spring"]

Term = Annotated[str, NoControlCharacters(), _period(term_problem)]
"""A term, 2026-2027-autumn."""

Month = Annotated[str, NoControlCharacters(), _period(month_problem)]
"""A month, 2026-10."""
