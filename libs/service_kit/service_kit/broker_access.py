"""Who may do what on the broker: the platform's principals and their ACLs, in one place.

Who writes and reads which topic comes from the topic contracts (``contracts.topics``: producers
and consumers), which ``tests/contracts/test_broker_access.py`` holds to each service's real
subscriptions and published events. From them:

- **a service** (``registry``, ``scheduling``, ``notifications``, ``reporting``, ``portal``) writes
  the topics it produces; reads the topics it consumes, in consumer groups whose id begins with
  ``district-<service>`` (its ``DISTRICT_CONSUMER_GROUP``; the tests add a suffix); writes the
  dead-letter topics (``<topic>.dlt``) of what it consumes; and may create each of these topics,
  since every service ensures its own topics at start-up (whatever starts first, they exist);
- **an external subscriber** reads the public topics (``visibility="public"``, every name
  beginning ``district.``), each by its literal name, in consumer groups beginning ``<name>.``, and
  nothing else: not ``internal.*``, and no dead-letter topic (``district.visits.v1.dlt`` begins
  ``district.`` too, and its headers carry the consumers' exception text), which is why there is no
  ``district.`` prefix ACL: a public topic added later is refused until its subscribers' ACLs are
  refreshed (``apply`` does it locally), never one of its dead letters allowed;
- **the admin** is the broker's super user: it creates users, ACLs and topics, and nothing runs as
  it but the infrastructure scripts and the tests' own clients.

Used by ``deploy/local/infra.sh`` (``python -m service_kit.broker_access apply``), by
``make subscriber NAME=…`` (``add-subscriber``), by ``deploy/compose/kafka-acls.sh`` (generated:
``compose-script``) and by the tests of the Kubernetes KafkaUsers, which must list the same ACLs.
"""

import argparse
import hashlib
import hmac
import re
import secrets
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from contracts.topic_names import dead_letter_topic
from contracts.topics import ALL_TOPICS
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from service_kit.settings import ServiceSettings

ADMIN = "admin"
SERVICES = ("registry", "scheduling", "notifications", "reporting", "portal")
PUBLIC_PREFIX = "district."
SUBSCRIBER_NAME = re.compile(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")

Operation = Literal["Read", "Write", "Create"]


@dataclass(frozen=True, order=True)
class Acl:
    """Allow ``operations`` on a topic or consumer group: one name (literal) or every name that
    begins with it (prefix). Read and Write imply Describe."""

    resource: Literal["topic", "group"]
    name: str
    pattern: Literal["literal", "prefix"]
    operations: tuple[Operation, ...]

    def strimzi(self) -> dict[str, Any]:
        """The entry of a Strimzi ``KafkaUser``'s ``spec.authorization.acls``."""
        return {
            "resource": {"type": self.resource, "name": self.name, "patternType": self.pattern},
            "operations": list(self.operations),
            "host": "*",
        }


@dataclass(frozen=True)
class Principal:
    username: str
    acls: tuple[Acl, ...]
    group_prefix: str


def topics_written(service: str) -> list[str]:
    return sorted(topic.name for topic in ALL_TOPICS if service in topic.producers)


def topics_read(service: str) -> list[str]:
    return sorted(topic.name for topic in ALL_TOPICS if service in topic.consumers)


def topics_created(written: list[str], read: list[str]) -> list[str]:
    """What a service ensures at start-up: what it writes, what it reads and where it parks what
    it cannot handle of that."""
    return sorted({*written, *read, *(dead_letter_topic(topic) for topic in read)})


def service_group_prefix(service: str) -> str:
    # ServiceSettings' default group is exactly this; the tests' groups add a suffix to it
    return f"district-{service}"


def service_principal(service: str) -> Principal:
    if service not in SERVICES:
        raise ValueError(f"{service!r} is not one of the platform's services {SERVICES}")
    written, read = topics_written(service), topics_read(service)
    operations: dict[str, set[Operation]] = defaultdict(set)
    for topic in written:
        operations[topic] |= {"Write"}
    for topic in read:
        operations[topic] |= {"Read"}
        operations[dead_letter_topic(topic)] |= {"Write"}
    for topic in topics_created(written, read):
        operations[topic] |= {"Create"}
    order: tuple[Operation, ...] = ("Read", "Write", "Create")
    acls = [
        Acl("topic", topic, "literal", tuple(op for op in order if op in ops))
        for topic, ops in sorted(operations.items())
    ]
    group = service_group_prefix(service)
    acls.append(Acl("group", group, "prefix", ("Read",)))
    return Principal(service, tuple(acls), group)


def public_topics() -> list[str]:
    return sorted(topic.name for topic in ALL_TOPICS if topic.visibility == "public")


def subscriber_principal(name: str) -> Principal:
    """An external subscriber: the public topics by their literal names, nothing else (a prefix
    would match their dead-letter topics too). Names are lower-case words with hyphens and never a
    platform principal's, so no subscriber's group prefix covers another's."""
    if not SUBSCRIBER_NAME.fullmatch(name):
        raise ValueError(f"{name!r}: a subscriber's name is 3-40 of a-z, 0-9 and '-', starting with a letter")
    if name in (ADMIN, *SERVICES) or name.startswith("district"):
        raise ValueError(f"{name!r} is taken by the platform (admin, the services, district-*)")
    group = f"{name}."
    topics = [Acl("topic", topic, "literal", ("Read",)) for topic in public_topics()]
    return Principal(name, (*topics, Acl("group", group, "prefix", ("Read",))), group)


def platform_principals() -> list[Principal]:
    return [service_principal(service) for service in SERVICES]


# Local development credentials ---------------------------------------------------------------


class LocalCredentials:
    """Passwords of the local broker's principals, derived from a random secret kept in
    ``<local dir>/kafka/dev-secret`` (made on first use, git-ignored): the same on every start, so
    the broker's SCRAM users, the services and the tests agree, and never committed."""

    def __init__(self, local_dir: Path) -> None:
        self.local_dir = local_dir
        self.secret_file = local_dir / "kafka" / "dev-secret"

    def secret(self) -> bytes:
        if not self.secret_file.exists():
            self.secret_file.parent.mkdir(parents=True, exist_ok=True)
            self.secret_file.touch(mode=0o600)
            self.secret_file.write_text(secrets.token_hex(32))
        return self.secret_file.read_text().strip().encode()

    def password(self, username: str) -> str:
        return hmac.new(self.secret(), f"kafka:{username}".encode(), hashlib.sha256).hexdigest()[:40]


class LocalSettings(BaseSettings):
    """``DISTRICT_LOCAL_DIR`` (default ``.local``) holds the development secret. Read alone for
    ``password``, which scripts call while setting a service's ``DISTRICT_KAFKA_USERNAME``."""

    model_config = SettingsConfigDict(env_prefix="DISTRICT_", extra="ignore")

    local_dir: Path = Path(".local")


class BrokerAccessSettings(ServiceSettings, LocalSettings):
    """The broker's address, and the admin's login: the password derived from the development
    secret unless ``DISTRICT_KAFKA_USERNAME``/``PASSWORD`` say otherwise."""

    service_name: str = "broker-access"

    def admin(self) -> "BrokerAccessSettings":
        if self.kafka_username is not None:
            return self
        password = SecretStr(LocalCredentials(self.local_dir).password(ADMIN))
        return self.model_copy(update={"kafka_username": ADMIN, "kafka_password": password})


# Applying them (the admin, through librdkafka's admin API) ----------------------------------


def _admin_client(settings: ServiceSettings) -> Any:
    from confluent_kafka.admin import AdminClient

    config: dict[str, str | int | float | bool] = {"bootstrap.servers": settings.kafka_bootstrap_servers}
    if settings.kafka_username is not None and settings.kafka_password is not None:
        config |= {
            "security.protocol": settings.kafka_security_protocol,
            "sasl.mechanism": settings.kafka_sasl_mechanism,
            "sasl.username": settings.kafka_username,
            "sasl.password": settings.kafka_password.get_secret_value(),
        }
    return AdminClient(config)


def _bindings(principal: Principal) -> set[Any]:
    from confluent_kafka.admin import (
        AclBinding,
        AclOperation,
        AclPermissionType,
        ResourcePatternType,
        ResourceType,
    )

    return {
        AclBinding(
            ResourceType[acl.resource.upper()],
            acl.name,
            ResourcePatternType.LITERAL if acl.pattern == "literal" else ResourcePatternType.PREFIXED,
            f"User:{principal.username}",
            "*",
            AclOperation[operation.upper()],
            AclPermissionType.ALLOW,
        )
        for acl in principal.acls
        for operation in acl.operations
    }


def describe_all(admin: Any) -> list[Any]:
    """Every ACL binding on the broker."""
    from confluent_kafka.admin import (
        AclBindingFilter,
        AclOperation,
        AclPermissionType,
        ResourcePatternType,
        ResourceType,
    )

    everything = AclBindingFilter(  # None matches any name, principal and host
        ResourceType.ANY,
        None,  # type: ignore[arg-type]
        ResourcePatternType.ANY,
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        AclOperation.ANY,
        AclPermissionType.ANY,
    )
    return list(admin.describe_acls(everything).result(timeout=30))


def subscribers_on(bindings: list[Any]) -> list[str]:
    """The external subscribers a broker knows: who holds the consumer-group prefix ``<name>.``."""
    found = set()
    for binding in bindings:
        name = binding.principal.removeprefix("User:")
        if binding.restype.name == "GROUP" and binding.name == f"{name}." and name not in (ADMIN, *SERVICES):
            found.add(name)
    return sorted(found)


def _wait(futures: dict[Any, Any]) -> None:
    for future in futures.values():
        future.result(timeout=30)


def grant(admin: Any, principals: list[Principal], passwords: dict[str, str], *, prune: bool) -> None:
    """Create or update each principal's SCRAM-SHA-512 user and its ACLs; with ``prune``, remove
    ACLs these principals hold beyond them (a topic a service no longer reads)."""
    from confluent_kafka.admin import (
        AclBindingFilter,
        ScramCredentialInfo,
        ScramMechanism,
        UserScramCredentialUpsertion,
    )

    upserts = [
        UserScramCredentialUpsertion(
            p.username,
            ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096),
            passwords[p.username].encode(),
        )
        for p in principals
    ]
    _wait(admin.alter_user_scram_credentials(upserts))
    wanted = set().union(*(_bindings(p) for p in principals))
    _wait(admin.create_acls(list(wanted)))
    if not prune:
        return
    names = {f"User:{p.username}" for p in principals}
    held = describe_all(admin)
    stale = [binding for binding in held if binding.principal in names and binding not in wanted]
    if stale:
        exact = [
            AclBindingFilter(
                b.restype,
                b.name,
                b.resource_pattern_type,
                b.principal,
                b.host,
                b.operation,
                b.permission_type,
            )
            for b in stale
        ]
        _wait(admin.delete_acls(exact))


def apply(settings: BrokerAccessSettings) -> None:
    """The platform's services on the local broker: users with their development passwords, ACLs;
    and the external subscribers already there, refreshed to read today's public topics (a topic
    added, or a subscriber made when they read by prefix)."""
    credentials = LocalCredentials(settings.local_dir)
    admin = _admin_client(settings.admin())
    subscribers = subscribers_on(describe_all(admin))
    principals = platform_principals() + [subscriber_principal(name) for name in subscribers]
    grant(admin, principals, {p.username: credentials.password(p.username) for p in principals}, prune=True)
    print(f"[broker] users and ACLs of {', '.join([*SERVICES, *subscribers])} are in place")


def add_subscriber(settings: BrokerAccessSettings, name: str) -> str:
    """Create (or refresh) an external subscriber on the local broker and say how it connects."""
    principal = subscriber_principal(name)
    password = LocalCredentials(settings.local_dir).password(name)
    # pruned: a subscriber made before keeps no ACL it should no longer hold
    grant(_admin_client(settings.admin()), [principal], {name: password}, prune=True)
    public = [topic.name for topic in ALL_TOPICS if topic.visibility == "public"]
    return "\n".join(
        [
            f"username:          {name}",
            f"password:          {password}",
            f"bootstrap servers: {settings.kafka_bootstrap_servers}",
            "security protocol: SASL_PLAINTEXT",
            "SASL mechanism:    SCRAM-SHA-512",
            f"consumer groups:   {principal.group_prefix}<anything>, e.g. {principal.group_prefix}main",
            f"may read:          {', '.join(public)} (the public topics, not their dead letters)",
            "schemas:           services/<name>/asyncapi.json, served at /asyncapi.json",
        ]
    )


# docker-compose's Kafka applies the same ACLs with Kafka's own tools --------------------------


def compose_script() -> str:
    """``deploy/compose/kafka-acls.sh``: the ACLs as ``kafka-acls.sh`` calls (one per principal,
    resource pattern and set of operations), for the compose file's Kafka container."""
    lines = [
        "# Generated by `python -m service_kit.broker_access compose-script` from",
        "# libs/service_kit/service_kit/broker_access.py; tests/deploy/test_compose.py fails when stale.",
        "# Sourced by deploy/compose/kafka-start.sh, which defines `acl` (kafka-acls.sh --add as the admin).",
        f"PRINCIPALS=({' '.join(SERVICES)})",
        "apply_acls() {",
    ]
    for principal in platform_principals():
        calls: dict[tuple[str, str, tuple[str, ...]], list[str]] = defaultdict(list)
        for acl in principal.acls:
            calls[(acl.resource, acl.pattern, acl.operations)].append(acl.name)
        for (resource, pattern, operations), names in sorted(calls.items()):
            kind = "PREFIXED" if pattern == "prefix" else "LITERAL"
            args = [f"--allow-principal User:{principal.username}", f"--resource-pattern-type {kind}"]
            args += [f"--operation {op}" for op in operations]
            args += [f"--{resource} {name}" for name in names]
            lines.append(f"  acl {' '.join(args)}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m service_kit.broker_access", description="The broker's principals and their ACLs."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("apply", help="the services' users and ACLs on the local broker (as the admin)")
    add = commands.add_parser("add-subscriber", help="an external subscriber's user and ACLs")
    add.add_argument("name")
    password = commands.add_parser("password", help="a principal's local development password")
    password.add_argument("username")
    commands.add_parser("compose-script", help="print deploy/compose/kafka-acls.sh")
    args = parser.parse_args(argv)
    if args.command == "password":
        print(LocalCredentials(LocalSettings().local_dir).password(args.username))
        return
    settings = BrokerAccessSettings()
    if args.command == "apply":
        apply(settings)
    elif args.command == "add-subscriber":
        try:
            print(add_subscriber(settings, args.name))
        except ValueError as exc:
            sys.exit(f"[broker] {exc}")
    else:
        sys.stdout.write(compose_script())


if __name__ == "__main__":
    main()
