"""Terms and months from a query or a path: only real periods, a bad one a 422 naming the field."""

import pytest
from reporting.periods import BadPeriod, Month, TermName


@pytest.mark.parametrize("text", ["0000-01", "0000-12", "9999-01", "1999-12", "２０２６-１０", "2026-10\n"])
def test_year_zero_and_absurd_months_are_refused(text: str):
    with pytest.raises(BadPeriod) as problem:
        Month.parse(text, "path.month")

    assert problem.value.status == 422
    assert problem.value.errors is not None
    assert problem.value.errors[0]["field"] == "path.month"


@pytest.mark.parametrize(
    "text", ["0000-0001-autumn", "9998-9999-spring", "2026-2028-autumn", "2026-2027-winter"]
)
def test_year_zero_absurd_and_gapped_terms_are_refused(text: str):
    with pytest.raises(BadPeriod) as problem:
        TermName.parse(text)

    assert problem.value.errors is not None
    assert problem.value.errors[0]["field"] == "query.term"


def test_real_periods_still_parse():
    assert TermName.parse("2026-2027-spring") == TermName("2026-2027", "spring")
    assert Month.parse("2027-03") == Month(2027, 3)
    assert Month.parse("2027-03").school_year == "2026-2027"
