"""The portal's rules without I/O: codes, limits, lockout, passwords, one-tap link reach."""

from datetime import UTC, datetime, timedelta

import pytest
from portal import domain
from portal.domain import CodeCheck, LinkScope, PasswordState, Route, SignInCode

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


def test_the_right_code_signs_in_once():
    check, after = domain.check_code(code(), "123456", NOW)
    assert check is CodeCheck.accepted
    assert after is not None
    assert after.used
    assert domain.check_code(after, "123456", NOW)[0] is CodeCheck.expired  # spent


def test_a_code_expires_after_five_minutes():
    assert domain.check_code(code(), "123456", NOW + timedelta(minutes=5))[0] is CodeCheck.expired
    assert (
        domain.check_code(code(), "123456", NOW + timedelta(minutes=4, seconds=59))[0] is CodeCheck.accepted
    )


def test_five_wrong_codes_spend_the_code_even_for_the_right_one_after():
    current = code()
    answers = []
    for _ in range(5):
        check, current = domain.check_code(current, "000000", NOW)
        answers.append(check)
    assert answers == [CodeCheck.wrong] * 4 + [CodeCheck.exhausted]
    assert domain.check_code(current, "123456", NOW)[0] is CodeCheck.exhausted


def test_a_number_nobody_registered_never_signs_in():
    nobody = code(guardian_id=None)
    assert domain.check_code(nobody, "123456", NOW)[0] is CodeCheck.wrong


def test_codes_are_limited_per_number_and_per_address():
    minute, hour = domain.CODE_LIMITS_PER_NUMBER
    assert domain.exceeded(domain.CODE_LIMITS_PER_NUMBER, [], NOW) is None
    assert domain.exceeded(domain.CODE_LIMITS_PER_NUMBER, [NOW - timedelta(seconds=30)], NOW) == minute
    spread = [NOW - timedelta(minutes=m) for m in (2, 10, 20, 30, 40)]
    assert domain.exceeded(domain.CODE_LIMITS_PER_NUMBER, spread, NOW) == hour
    assert domain.exceeded(domain.CODE_LIMITS_PER_NUMBER, [NOW - timedelta(minutes=61)] * 9, NOW) is None
    busy_address = [NOW - timedelta(minutes=1)] * 20
    assert domain.exceeded(domain.CODE_LIMITS_PER_ADDRESS, busy_address, NOW) is not None


def test_five_wrong_passwords_lock_the_account_for_a_while():
    state = PasswordState()
    for _ in range(4):
        state = domain.after_failure(state, NOW)
        assert not state.locked(NOW)
    state = domain.after_failure(state, NOW)
    assert state.locked(NOW)
    assert not state.locked(NOW + domain.LOCK_DURATION)


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
