"""The broker's ACLs (service_kit.broker_access) come from the topic contracts; the contracts must
say what the services' code really does, or a service would be refused at start-up or allowed too
much."""

import importlib
import json
from fnmatch import fnmatch
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from contracts.topics import ALL_TOPICS, INTERNAL_SCHEDULING_V1, dead_letter_topic
from service_kit.broker_access import (
    PUBLIC_PREFIX,
    SERVICES,
    Acl,
    compose_script,
    service_principal,
    subscriber_principal,
    topics_created,
    topics_read,
    topics_written,
)

EVERY_TOPIC = [name for topic in ALL_TOPICS for name in (topic.name, dead_letter_topic(topic.name))]


def allows(acls: tuple[Acl, ...], resource: str, name: str, operation: str) -> bool:
    return any(
        acl.resource == resource
        and operation in acl.operations
        and (acl.name == name if acl.pattern == "literal" else name.startswith(acl.name))
        for acl in acls
    )


@pytest.fixture(scope="module")
def runtimes():
    """Each service's composition, built as it starts (nothing connects until the lifespan)."""
    return {
        service: importlib.import_module(f"{service}.app").create_app().state.runtime for service in SERVICES
    }


@pytest.mark.parametrize("service", SERVICES)
def test_contracts_name_exactly_the_topics_a_service_subscribes_to(runtimes, service):
    assert runtimes[service].topics_read() == topics_read(service)


@pytest.mark.parametrize("service", SERVICES)
def test_contracts_name_exactly_the_topics_a_service_publishes(runtimes, service):
    assert runtimes[service].topics_written() == topics_written(service)


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_may_do_what_it_does_at_start_up_and_at_work(runtimes, service):
    runtime, acls = runtimes[service], service_principal(service).acls
    written, read = runtime.topics_written(), runtime.topics_read()

    for topic in topics_created(written, read):
        assert allows(acls, "topic", topic, "Create"), topic
    for topic in written:
        assert allows(acls, "topic", topic, "Write"), topic
    for topic in read:
        assert allows(acls, "topic", topic, "Read"), topic
        assert allows(acls, "topic", dead_letter_topic(topic), "Write"), topic
    assert allows(acls, "group", runtime.settings.consumer_group, "Read")
    assert allows(
        acls, "group", f"{runtime.settings.consumer_group}-test-broker", "Read"
    )  # the tests' groups


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_may_not_read_what_it_does_not_consume_nor_write_what_it_does_not_own(service):
    acls = service_principal(service).acls
    own = set(topics_written(service)) | {dead_letter_topic(t) for t in topics_read(service)}

    for topic in EVERY_TOPIC:
        assert allows(acls, "topic", topic, "Read") == (topic in topics_read(service)), topic
        assert allows(acls, "topic", topic, "Write") == (topic in own), topic
    for other in set(SERVICES) - {service}:
        assert not allows(acls, "group", f"district-{other}", "Read")


def test_public_topics_and_only_they_carry_the_prefix_subscribers_read():
    for topic in ALL_TOPICS:
        assert topic.name.startswith(PUBLIC_PREFIX) == (topic.visibility == "public"), topic.name
        assert topic.name.startswith("internal.") == (topic.visibility == "internal"), topic.name


def test_an_external_subscriber_reads_public_topics_only_in_its_own_groups():
    acls = subscriber_principal("city-dashboard").acls

    for topic in ALL_TOPICS:
        public = topic.visibility == "public"
        assert allows(acls, "topic", topic.name, "Read") == public, topic.name
        assert not allows(acls, "topic", topic.name, "Write")
        # a dead-letter topic's headers carry the consumers' exception text, public topic or not
        assert not allows(acls, "topic", dead_letter_topic(topic.name), "Read"), topic.name
    # nor a topic no contract names yet: a new public topic is granted with its contract
    assert not allows(acls, "topic", f"{PUBLIC_PREFIX}not-yet-a-topic.v1", "Read")
    assert not allows(acls, "topic", dead_letter_topic(f"{PUBLIC_PREFIX}not-yet-a-topic.v1"), "Read")
    assert allows(acls, "group", "city-dashboard.main", "Read")
    assert not allows(acls, "group", "city-dashboard-two.main", "Read")
    assert not allows(acls, "group", "district-reporting", "Read")
    assert not any(fnmatch(acl.name, "internal.*") for acl in acls)


def test_reporting_reads_only_the_topics_whose_events_leave_a_fact():
    """Reporting reads a topic when some event of it counts (facts.fact_of), and no other: not the
    invitees and guardians' visit summaries of internal.scheduling.v1 nor the portal's codes."""
    from reporting.app import consumed_topics
    from reporting.facts import fact_of

    examples = Path(__file__).parents[2] / "libs/contracts/contracts/examples"
    zone = ZoneInfo("Asia/Shanghai")
    counted = set()
    for topic in ALL_TOPICS:
        events = sorted((examples / topic.name).glob("*/*.json"))
        assert events, topic.name
        if any(fact_of(json.loads(event.read_text()), zone) is not None for event in events):
            counted.add(topic.name)

    assert INTERNAL_SCHEDULING_V1 not in counted
    assert sorted(consumed_topics()) == sorted(counted) == topics_read("reporting")


@pytest.mark.parametrize("name", ["registry", "admin", "district-copy", "Dash", "x", "city.dashboard"])
def test_a_subscriber_cannot_take_a_platform_name_or_an_odd_one(name):
    with pytest.raises(ValueError, match=name):
        subscriber_principal(name)


def test_compose_script_grants_exactly_each_services_acls():
    granted = set()
    for line in compose_script().splitlines():
        words = line.split()
        if words[:1] != ["acl"]:
            continue
        pairs = list(zip(words[1::2], words[2::2], strict=True))
        options = {
            flag: value for flag, value in pairs if flag in ("--allow-principal", "--resource-pattern-type")
        }
        operations = tuple(value for flag, value in pairs if flag == "--operation")
        for flag, value in pairs:
            if flag in ("--topic", "--group"):
                pattern = "prefix" if options["--resource-pattern-type"] == "PREFIXED" else "literal"
                granted.add((options["--allow-principal"], Acl(flag[2:], value, pattern, operations)))  # type: ignore[arg-type]

    wanted = {(f"User:{s}", acl) for s in SERVICES for acl in service_principal(s).acls}
    assert granted == wanted


@pytest.mark.parametrize("service", SERVICES)
def test_readme_acl_table_says_what_each_service_may_write_and_read(service):
    readme = (Path(__file__).parents[2] / "README.md").read_text()

    def names(topics: list[str]) -> str:
        return ", ".join(f"`{topic}`" for topic in topics) or "—"

    written, read = names(topics_written(service)), names(topics_read(service))
    assert f"| `{service}` | {written} | {read} | `district-{service}`… |" in readme
