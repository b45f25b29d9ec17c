"""The broker lets in only who authenticates, and each principal only where its ACLs say.

An external subscriber is made with the command an integrator is given
(``python -m service_kit.broker_access add-subscriber``, ``make subscriber``) and reads with kcat,
as an integrator would; refusals are asserted by kcat's exit status and the broker's own error.
"""

import asyncio
import json
import os
import re
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from contracts.topics import (
    INTERNAL_REGISTRY_V1,
    INTERNAL_SCHEDULING_V1,
    PAIRING_EXCHANGES_V1,
    VISITS_V1,
    dead_letter_topic,
)

pytestmark = pytest.mark.infra

ROOT = Path(__file__).parents[2]
KCAT = ROOT / ".local/bin/kcat"
EXAMPLES = ROOT / "libs/contracts/contracts/examples"
EXAMPLE = EXAMPLES / "district.pairing-exchanges.v1/pairing-exchange.v1/demonstration-lesson.json"


@dataclass(frozen=True)
class Kcat:
    bootstrap: str

    async def run(
        self, login: tuple[str, str] | None, *args: str, stdin: bytes = b""
    ) -> tuple[int, str, str]:
        """kcat with ``login`` (username, password) over SASL SCRAM-SHA-512, or with none at all."""
        sasl = (
            [
                *("-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanism=SCRAM-SHA-512"),
                *("-X", f"sasl.username={login[0]}", "-X", f"sasl.password={login[1]}"),
            ]
            if login
            else []
        )
        process = await asyncio.create_subprocess_exec(
            str(KCAT),
            "-b",
            self.bootstrap,
            *sasl,
            *args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        async with asyncio.timeout(60):
            out, err = await process.communicate(stdin)
        assert process.returncode is not None
        return process.returncode, out.decode(), err.decode()


@pytest.fixture(scope="module")
def kcat(infrastructure) -> Kcat:
    if infrastructure.credentials is None:
        pytest.skip("the testcontainers broker runs without SASL and ACLs: nothing to refuse")
    if not KCAT.exists():
        subprocess.run([str(ROOT / "deploy/local/kcat.sh")], check=True, stdin=subprocess.DEVNULL)
    return Kcat(infrastructure.kafka_bootstrap_servers)


@pytest.fixture(scope="module")
def subscriber(infrastructure, kcat) -> dict[str, str]:
    """``add-subscriber``'s answer for an external subscriber, as its integrator reads it."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("DISTRICT_KAFKA_USERNAME", "DISTRICT_KAFKA_PASSWORD")
    }
    made = subprocess.run(
        [sys.executable, "-m", "service_kit.broker_access", "add-subscriber", "e2e-dashboard"],
        env=env
        | {
            "DISTRICT_KAFKA_BOOTSTRAP_SERVERS": infrastructure.kafka_bootstrap_servers,
            "DISTRICT_LOCAL_DIR": str(infrastructure.credentials.local_dir),
        },
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    answer = dict(line.split(":", 1) for line in made.stdout.splitlines())
    return {key: value.strip() for key, value in answer.items()}


def login(subscriber: dict[str, str]) -> tuple[str, str]:
    return subscriber["username"], subscriber["password"]


async def test_add_subscriber_says_how_to_connect(subscriber, infrastructure):
    assert subscriber["username"] == "e2e-dashboard"
    assert len(subscriber["password"]) >= 32
    assert subscriber["bootstrap servers"] == infrastructure.kafka_bootstrap_servers
    assert subscriber["SASL mechanism"] == "SCRAM-SHA-512"
    assert subscriber["consumer groups"].startswith("e2e-dashboard.<anything>")
    assert PAIRING_EXCHANGES_V1 in subscriber["may read"]
    assert "internal." not in subscriber["may read"]
    assert ".dlt" not in subscriber["may read"]


async def test_subscriber_reads_a_public_topic_in_its_own_group(infrastructure, kcat, subscriber):
    event = json.loads(EXAMPLE.read_text())
    school = f"sch-{uuid.uuid4().hex[:10]}"
    event |= {"event_id": str(uuid.uuid4()), "district_id": "d-e2e", "school_id": school}
    event["payload"] |= {"exchange_id": f"px-{uuid.uuid4().hex[:8]}", "supporting_school_id": school}
    # written by the service that owns the topic, as its own principal
    producer = AIOKafkaProducer(**infrastructure.kafka_options("scheduling"), acks="all")
    await producer.start()
    try:
        sent = await producer.send_and_wait(
            PAIRING_EXCHANGES_V1, json.dumps(event).encode(), key=school.encode()
        )
    finally:
        await producer.stop()

    exact = await kcat.run(
        login(subscriber), "-C", "-t", PAIRING_EXCHANGES_V1,
        "-p", str(sent.partition), "-o", str(sent.offset), "-c", "1", "-f", "%k %s\n", "-q",
    )  # fmt: skip
    in_group = await kcat.run(
        login(subscriber), "-G", f"e2e-dashboard.{uuid.uuid4().hex[:6]}", PAIRING_EXCHANGES_V1,
        "-X", "auto.offset.reset=earliest", "-e", "-q",
    )  # fmt: skip

    assert exact[0] == 0, exact[2]
    key, value = exact[1].strip().split(" ", 1)
    assert (key, json.loads(value)["event_id"]) == (school, event["event_id"])
    assert in_group[0] == 0, in_group[2]
    assert event["event_id"] in in_group[1]


async def test_subscriber_is_refused_a_consumer_group_not_its_own(kcat, subscriber):
    code, _, errors = await kcat.run(
        login(subscriber), "-G", "district-reporting", PAIRING_EXCHANGES_V1,
        "-X", "auto.offset.reset=earliest", "-e", "-q",
    )  # fmt: skip

    assert code == 1
    assert "Group authorization failed" in errors


@pytest.mark.parametrize("topic", [INTERNAL_REGISTRY_V1, dead_letter_topic(INTERNAL_REGISTRY_V1)])
async def test_subscriber_is_refused_internal_topics_and_their_dead_letters(kcat, subscriber, topic):
    code, out, errors = await kcat.run(login(subscriber), "-C", "-t", topic, "-o", "beginning", "-e", "-q")

    assert code == 1
    assert f"Topic {topic} error: Broker: Topic authorization failed" in errors
    assert out == ""


@pytest.mark.parametrize("topic", [dead_letter_topic(PAIRING_EXCHANGES_V1), dead_letter_topic(VISITS_V1)])
async def test_subscriber_is_refused_the_dead_letters_of_public_topics(
    infrastructure, kcat, subscriber, topic
):
    """``district.*.dlt`` begins like the public topics, but its headers carry consumers' errors."""
    admin = ("admin", infrastructure.credentials.password("admin"))
    exists = await kcat.run(admin, "-L", "-t", topic, "-m", "5")
    code, out, errors = await kcat.run(login(subscriber), "-C", "-t", topic, "-o", "beginning", "-e", "-q")

    assert exists[0] == 0, exists[2]
    assert f'topic "{topic}" with' in exists[1], exists[1]  # there to be refused
    assert code == 1
    assert f"Topic {topic} error: Broker: Topic authorization failed" in errors
    assert out == ""


async def test_subscriber_cannot_write_a_public_topic(kcat, subscriber):
    code, _, errors = await kcat.run(
        login(subscriber), "-P", "-t", PAIRING_EXCHANGES_V1, "-k", "sch-forged", stdin=b"{}\n"
    )

    assert code == 1
    assert "Delivery failed for message: Broker: Topic authorization failed" in errors


async def test_unauthenticated_client_is_refused(infrastructure, kcat):
    admin = await kcat.run(("admin", infrastructure.credentials.password("admin")), "-L", "-m", "5")
    code, out, errors = await kcat.run(None, "-L", "-m", "5")

    assert admin[0] == 0, admin[2]  # the broker is up and answers who logs in
    assert "broker 1 at" in admin[1]
    assert code == 1
    # connected, then closed by the broker at the first request that was not a SASL handshake
    assert re.search(r"bootstrap: Disconnected: .*\(after \d+ms in state UP", errors), errors
    assert "ERROR: Failed to acquire metadata: Local: Broker transport failure" in errors
    assert out == ""


async def test_wrong_password_is_refused(kcat, subscriber):
    code, _, errors = await kcat.run((subscriber["username"], "not-the-password"), "-L", "-m", "5")

    assert code == 1
    assert "Authentication failed during authentication due to invalid credentials" in errors
    assert "with SASL mechanism SCRAM-SHA-512" in errors


async def test_service_reads_what_it_consumes_but_not_another_services_internal_topic(infrastructure, kcat):
    portal = ("portal", infrastructure.credentials.password("portal"))

    consumed = await kcat.run(portal, "-C", "-t", INTERNAL_REGISTRY_V1, "-o", "end", "-e", "-q")
    other = await kcat.run(portal, "-C", "-t", INTERNAL_SCHEDULING_V1, "-o", "beginning", "-e", "-q")

    assert consumed[0] == 0, consumed[2]  # the portal reads the registry's people
    assert other[0] == 1  # meeting invitees and visit summaries are notifications' business
    assert f"Topic {INTERNAL_SCHEDULING_V1} error: Broker: Topic authorization failed" in other[2]


async def test_reporting_is_refused_the_invitations_and_visit_summaries_it_does_not_count(
    infrastructure, kcat
):
    reporting = ("reporting", infrastructure.credentials.password("reporting"))

    counted = await kcat.run(reporting, "-C", "-t", VISITS_V1, "-o", "end", "-e", "-q")
    other = await kcat.run(reporting, "-C", "-t", INTERNAL_SCHEDULING_V1, "-o", "beginning", "-e", "-q")

    assert counted[0] == 0, counted[2]
    assert other[0] == 1
    assert f"Topic {INTERNAL_SCHEDULING_V1} error: Broker: Topic authorization failed" in other[2]
