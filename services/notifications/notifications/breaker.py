"""A provider that keeps failing is paused, so its sends stop holding up everyone else's. No I/O.

After ``threshold`` failed sends in a row on one channel (errors or timeouts, not rate limits),
the channel is paused for ``pause`` seconds: its sends answer "try later" at once, without waiting
for the provider, and take the usual back-off towards the next channel. Then one send probes it
again; a success closes the breaker, a failure pauses it again.
"""

from dataclasses import dataclass

from notifications.channels import SendOutcome, Sent, TryLater

PAUSED = "服务商暂不可用，稍后重试 (provider paused after repeated failures)"


@dataclass
class Breaker:
    threshold: int
    pause: float
    failures: int = 0
    paused_until: float = 0.0
    probing: bool = False

    def refuses(self, now: float) -> bool:
        """Whether a send now is answered "try later" without reaching the provider: while
        paused, and after the pause while one probe is out."""
        if now < self.paused_until:
            return True
        if self.failures >= self.threshold:
            if self.probing:
                return True
            self.probing = True  # this send is the probe
        return False

    def record(self, outcome: SendOutcome, now: float) -> None:
        if isinstance(outcome, TryLater) and outcome.counts:
            self.failures += 1
            if self.failures >= self.threshold:
                self.paused_until = now + self.pause
        elif isinstance(outcome, Sent) or not isinstance(outcome, TryLater):
            self.failures = 0  # the provider answered (a refusal is about the recipient)
            self.paused_until = 0.0
        self.probing = False


def paused() -> TryLater:
    return TryLater(PAUSED)
