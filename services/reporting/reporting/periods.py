"""Terms and months as the bureau names them (``2026-2027-autumn``, ``2026-10``), and pacing.

What a real period is (years 2000–2100, a school year's second year the first plus one) is said
once, in ``contracts.inputs``; here a bad one is a 422 naming the field it came in."""

from dataclasses import dataclass
from datetime import date, timedelta

from contracts.inputs import month_problem, term_problem
from service_kit.errors import Invalid


class BadPeriod(Invalid):
    kind = "bad-period"


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str, field: str = "query.month") -> "Month":
        problem = month_problem(text or "")
        if problem is not None:
            raise BadPeriod(field, problem)
        return cls(int(text[:4]), int(text[5:7]))

    @classmethod
    def of(cls, day: date) -> "Month":
        return cls(day.year, day.month)

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last(self) -> date:
        return self.next().first - timedelta(days=1)

    @property
    def school_year(self) -> str:
        """A school year runs from September: 2026-10 and 2027-03 are both in 2026-2027."""
        start = self.year if self.month >= 9 else self.year - 1
        return f"{start}-{start + 1}"

    def require_ended(self, today: date, field: str, what: str) -> None:
        """Submissions and bulletins are for months that are over: 422 naming the field otherwise."""
        if self.last >= today:
            raise BadPeriod(field, f"{self} 尚未结束，不能{what} (the month has not ended)")

    def next(self) -> "Month":
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> "Month":
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True)
class TermName:
    school_year: str
    kind: str

    @classmethod
    def parse(cls, text: str, field: str = "query.term") -> "TermName":
        problem = term_problem(text or "")
        if problem is not None:
            raise BadPeriod(field, problem)
        return cls(text[:9], text[10:])

    def __str__(self) -> str:
        return f"{self.school_year}-{self.kind}"


@dataclass(frozen=True)
class Term:
    """A term as the registry set it: its dates and holidays."""

    name: TermName
    starts_on: date
    ends_on: date
    holidays: tuple[tuple[date, date], ...] = ()

    def contains(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on

    def in_holiday(self, day: date) -> bool:
        return any(start <= day <= end for start, end in self.holidays)

    def elapsed(self, today: date) -> float:
        """How far through the term ``today`` is, 0 to 1: the pace a measure is compared with."""
        if today >= self.ends_on:
            return 1.0
        if today < self.starts_on:
            return 0.0
        return ((today - self.starts_on).days + 1) / ((self.ends_on - self.starts_on).days + 1)

    def months(self) -> list[Month]:
        months, month = [], Month.of(self.starts_on)
        while month.first <= self.ends_on:
            months.append(month)
            month = month.next()
        return months

    def quarters(self) -> list[tuple[date, date]]:
        """Calendar quarters the term touches, clipped to it (parent-school sessions are per quarter)."""
        spans: list[tuple[date, date]] = []
        for month in self.months():
            if month.month in (1, 4, 7, 10) or not spans:
                start = max(month.first, self.starts_on)
                spans.append((start, start))
            spans[-1] = (spans[-1][0], min(month.last, self.ends_on))
        return spans
