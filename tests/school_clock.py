"""The day the suite runs at on the school clock (``DISTRICT_SCHOOL_DATE``), whatever the machine's
date: every service under test is pinned to it, and every business date a test sends or expects
is counted from it. Instants (a meeting 20 s ahead, a retry's due time) stay on the real clock.

A Friday of the autumn term 2026-2027, after the National Day holiday and before the winter break,
so that visits can be logged in the past and planned in the future within one term."""

from datetime import date

SCHOOL_TODAY = date(2026, 11, 20)
