"""The portal's rules without I/O: codes, limits, lockout, passwords, one-tap link reach."""

from datetime import UTC, datetime, timedelta

import pytest
from portal import domain
from portal.domain import CodeCheck, LinkScope, Route, SignInCode

NOW = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


def code(typed: str = "123456", **changes: object) -> SignInCode:
    fields = {
        "request_id": "code-1",
        "phone": "13900000001",
        "guardian_id": "gdn-1",
        "code_digest": domain.digest(typed),
        "expires_at": NOW + domain.CODE_LIFETIME,
    }
    return SignInCode(**(fields | changes))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("139 0000 0001", "13900000001"),
        ("+86 139-0000-0001", "13900000001"),
        ("1390000000", None),
        ("23900000001", None),
    ],
)
def test_a_mobile_number_is_read_as_people_type_it(typed, expected):
    assert domain.normalise_mobile(typed) == expected


def test_the_right_code_is_accepted_on_any_of_the_five_tries():
    for slot in range(1, 6):
        assert domain.check_code(code(), "123456", NOW, slot) is CodeCheck.accepted


def test_a_code_expires_after_five_minutes():
    assert domain.check_code(code(), "123456", NOW + timedelta(minutes=5), 1) is CodeCheck.expired
    assert (
        domain.check_code(code(), "123456", NOW + timedelta(minutes=4, seconds=59), 1) is CodeCheck.accepted
    )


def test_the_fifth_wrong_code_spends_it_and_without_a_slot_even_the_right_one_is_refused():
    answers = [domain.check_code(code(), "000000", NOW, slot) for slot in range(1, 6)]
    assert answers == [CodeCheck.wrong] * 4 + [CodeCheck.exhausted]
    assert [domain.tries_left(slot) for slot in range(1, 6)] == [4, 3, 2, 1, 0]
    assert domain.check_code(code(), "123456", NOW, None) is CodeCheck.exhausted


def test_a_number_nobody_registered_never_signs_in():
    nobody = code(guardian_id=None)
    assert domain.check_code(nobody, "123456", NOW, 1) is CodeCheck.wrong


def test_codes_are_limited_per_number_and_per_address():
    minute, hour = domain.CODE_LIMITS_PER_NUMBER
    assert domain.exceeded(domain.CODE_LIMITS_PER_NUMBER, [], NOW) is None
    assert domain.exceeded(domain.CODE_LIMITS_PER_NUMBER, [NOW - timedelta(seconds=30)], NOW) == minute
    spread = [NOW - timedelta(minutes=m) for m in (2, 10, 20, 30, 40)]
    assert domain.exceeded(domain.CODE_LIMITS_PER_NUMBER, spread, NOW) == hour
    assert domain.exceeded(domain.CODE_LIMITS_PER_NUMBER, [NOW - timedelta(minutes=61)] * 9, NOW) is None
    busy_address = [NOW - timedelta(minutes=1)] * 20
    assert domain.exceeded(domain.CODE_LIMITS_PER_ADDRESS, busy_address, NOW) is not None


def test_failed_passwords_are_counted_in_windows_of_a_quarter_of_an_hour():
    window = domain.lock_window(NOW)
    assert domain.lock_window(NOW + timedelta(minutes=14, seconds=59)) == window
    assert domain.lock_window(NOW + domain.LOCK_DURATION) != window
    assert NOW < domain.lock_ends(NOW) <= NOW + domain.LOCK_DURATION


@pytest.mark.parametrize(
    ("password", "refused"), [("short", True), ("1234567890", True), ("家校共育2026abc", False)]
)
def test_a_new_password_is_long_enough_and_not_digits_only(password, refused):
    assert (domain.password_problem(password) is not None) == refused


def test_a_link_reaches_its_own_message_and_action_only():
    scope = LinkScope("rsvp", "msg-1", "mtg-1", NOW)
    assert domain.link_allows(scope, Route("PUT", "scheduling", "/v1/meetings/mtg-1/rsvp"))
    assert domain.link_allows(scope, Route("GET", "notifications", "/v1/inbox/msg-1"))
    assert not domain.link_allows(scope, Route("PUT", "scheduling", "/v1/meetings/mtg-2/rsvp"))
    assert not domain.link_allows(scope, Route("GET", "notifications", "/v1/inbox"))
    assert domain.link_allows(scope, Route("GET", "notifications", "/v1/preferences"))
    assert not domain.link_allows(scope, Route("PUT", "notifications", "/v1/preferences"))
    assert not domain.link_allows(scope, Route("POST", "notifications", "/v1/inbox/msg-1/confirmation"))
    letter = LinkScope("confirm", "msg-2", "ann-1", NOW)
    assert domain.link_allows(letter, Route("POST", "notifications", "/v1/inbox/msg-2/confirmation"))


@pytest.mark.parametrize(
    ("registered_at", "children_schools", "named"),
    [
        ("sch-a", ["sch-a"], "sch-a"),
        ("sch-a", [], "sch-a"),  # no child enrolled: the registering school
        ("sch-a", ["sch-b"], "sch-b"),  # the bureau moved the only child to school B
        ("sch-a", ["sch-b", "sch-a"], "sch-a"),  # a child still at the registering school
        ("sch-a", ["sch-c", "sch-b", "sch-c"], "sch-c"),  # most children
        ("sch-a", ["sch-c", "sch-b"], "sch-b"),  # a tie: the first by id
    ],
)
def test_a_guardians_token_names_a_school_where_a_child_is_enrolled_now(
    registered_at: str, children_schools: list[str], named: str
) -> None:
    assert domain.guardian_school(registered_at, children_schools) == named
