"""Fixtures every test tier shares: the real infrastructure and an in-memory span exporter.

By default the broker and the store are the local ones from ``deploy/local/infra.sh`` (started
here if they are not running, and stopped again at the end if this session started them). With
``DISTRICT_TEST_INFRA=containers`` and a Docker engine, testcontainers starts Kafka and MongoDB
instead. One switch, one set of tests.

The local broker authenticates every client (SASL SCRAM-SHA-512) and its ACLs allow each principal
only its own topics (``service_kit.broker_access``): each service under test logs in as its own
principal, so the tests prove its ACLs are enough, and the tests' own clients log in as the admin.
The testcontainers broker has no SASL, and nothing logs in there.
"""

import os
import socket
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from school_clock import SCHOOL_TODAY
from service_kit.broker_access import ADMIN, SERVICES, LocalCredentials
from service_kit.messaging import kafka_client_options
from service_kit.settings import ServiceSettings

ROOT = Path(__file__).parent
RUN_ID = uuid.uuid4().hex[:8]


@dataclass(frozen=True)
class Infrastructure:
    kafka_bootstrap_servers: str
    mongodb_url: str
    # the local broker's development passwords; None for a broker without SASL (testcontainers)
    credentials: LocalCredentials | None = None

    def kafka_login(self, principal: str) -> dict[str, str]:
        """Settings that log in as ``principal`` (none on a broker without SASL)."""
        if self.credentials is None:
            return {}
        return {"kafka_username": principal, "kafka_password": self.credentials.password(principal)}

    def kafka_options(self, principal: str = ADMIN) -> dict:
        """aiokafka's keyword arguments for a test's own client: the admin unless said otherwise."""
        settings = ServiceSettings(
            kafka_bootstrap_servers=self.kafka_bootstrap_servers, **self.kafka_login(principal)
        )
        return kafka_client_options(settings)

    def settings_env(self, service: str) -> dict[str, str]:
        """Settings for one service under test: its own database for this test run, and its own
        principal on the broker (a test's stand-in service that is none of the platform's logs in
        as the admin)."""
        return {
            "service_name": service,
            "environment": "test",
            "kafka_bootstrap_servers": self.kafka_bootstrap_servers,
            **self.kafka_login(service if service in SERVICES else ADMIN),
            "mongodb_url": self.mongodb_url,
            "mongodb_database": f"test_{RUN_ID}_{service}",
            # Its own consumer group, so a platform started with `make up` never takes its events;
            # stable across runs, so a run reads only what was published since the last one. Two
            # runs at once on one broker each need a suffix of their own. It begins with the
            # service's group (district-<service>), the prefix its ACLs allow.
            "consumer_group": f"district-{service}-test{os.environ.get('DISTRICT_TEST_GROUP_SUFFIX', '')}",
            # The school clock: no test takes a business date from the machine's clock.
            "school_date": SCHOOL_TODAY.isoformat(),
            "consumer_backoff_seconds": "0.05",
            "outbox_poll_seconds": "0.05",
        }


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _infra(command: str) -> None:
    log = ROOT / ".local" / "logs" / "infra-from-tests.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        # Children write to the log file only and never inherit pytest's pipes.
        result = subprocess.run(
            [str(ROOT / "deploy/local/infra.sh"), command],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
            timeout=900,
        )
    if result.returncode != 0:
        raise RuntimeError(f"deploy/local/infra.sh {command} failed; see {log}:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def infrastructure() -> Iterator[Infrastructure]:
    if os.environ.get("DISTRICT_TEST_INFRA") == "containers":
        yield from _containers()
        return
    kafka_port = int(os.environ.get("DISTRICT_KAFKA_PORT", "9092"))
    mongo_port = int(os.environ.get("DISTRICT_MONGO_PORT", "27017"))
    started = not (_port_open(kafka_port) and _port_open(mongo_port))
    if started:
        _infra("start")
    try:
        yield Infrastructure(
            f"127.0.0.1:{kafka_port}",
            f"mongodb://127.0.0.1:{mongo_port}",
            LocalCredentials(Path(os.environ.get("DISTRICT_LOCAL_DIR", ROOT / ".local"))),
        )
    finally:
        if started:
            _infra("stop")


def _containers() -> Iterator[Infrastructure]:
    from testcontainers.community.kafka import KafkaContainer
    from testcontainers.community.mongodb import MongoDbContainer
    from testcontainers.core.docker_client import DockerClient

    try:
        DockerClient().client.ping()
    except Exception as exc:
        pytest.fail(f"DISTRICT_TEST_INFRA=containers needs a reachable Docker engine: {exc}")

    with (
        KafkaContainer("confluentinc/cp-kafka:7.6.0").with_kraft() as kafka,
        MongoDbContainer("mongo:7") as mongo,
    ):
        yield Infrastructure(kafka.get_bootstrap_server(), mongo.get_connection_url())


# The meter provider of every service in this process, installed when this file is imported: before
# any test module is collected (collecting one may build a service, whose telemetry would install a
# provider of its own first), so a test can read the counters (``district.access.denied``).
METRIC_READER = InMemoryMetricReader()
metrics.set_meter_provider(MeterProvider(metric_readers=[METRIC_READER]))


@pytest.fixture(scope="session")
def metric_reader() -> InMemoryMetricReader:
    return METRIC_READER


@pytest.fixture(scope="session", autouse=True)
def span_exporter() -> InMemorySpanExporter:
    """Installed before any service starts, so every service in this process shares it."""
    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider(resource=Resource.create({"service.name": "tests"}))
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter
