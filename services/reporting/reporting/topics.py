"""The topics reporting reads: every topic of the platform whose events leave a fact, public and
internal, whoever produces it. The service's consumers, its read model's follower and the rebuild
read the same list."""

from contracts.topics import ALL_TOPICS, INTERNAL_PORTAL_V1, INTERNAL_SCHEDULING_V1

# Topics none of whose events leaves a fact (facts.fact_of): the portal's sign-in codes and
# activation links, which are credentials; scheduling's meeting invitations and visit summaries
# shared with guardians, which are for notifications. Reporting does not read them, so the broker
# does not let it (the topic contracts' consumers, from which the ACLs come).
NOT_FACTS = (INTERNAL_PORTAL_V1, INTERNAL_SCHEDULING_V1)


def consumed_topics() -> list[str]:
    """Every topic of the platform that carries facts, public and internal, whoever produces it;
    the rebuild replays the same."""
    return [topic.name for topic in ALL_TOPICS if topic.name not in NOT_FACTS]
