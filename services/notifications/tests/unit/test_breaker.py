"""A provider that keeps failing is paused, then probed by one send."""

from notifications.breaker import Breaker
from notifications.channels import Refused, Sent, TryLater

DOWN = TryLater("provider error 500")


def test_a_channel_is_paused_after_failures_in_a_row_then_probed_by_one_send():
    breaker = Breaker(threshold=3, pause=10)
    for now in (0, 1, 2):
        assert not breaker.refuses(now)
        breaker.record(DOWN, now)
    assert breaker.refuses(5)  # paused: answered at once, the provider is not waited for
    assert not breaker.refuses(12.5)  # the pause is over: this send probes the provider
    assert breaker.refuses(12.6)  # and the others wait for the probe's answer
    breaker.record(DOWN, 13)
    assert breaker.refuses(20)  # the probe failed: paused again
    assert not breaker.refuses(23.5)
    breaker.record(Sent(), 24)
    assert not breaker.refuses(24.1)
    assert not breaker.refuses(24.2)  # closed: every send goes


def test_a_success_or_a_refused_recipient_resets_the_count_and_a_rate_limit_is_no_failure():
    breaker = Breaker(threshold=3, pause=10)
    for outcome in (DOWN, DOWN, Sent(), DOWN, DOWN, Refused("no such number"), DOWN, DOWN):
        breaker.record(outcome, 0)
    assert not breaker.refuses(1)
    breaker.record(TryLater("provider rate limit (429)", after=1, counts=False), 1)
    assert not breaker.refuses(2)
