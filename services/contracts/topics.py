"""One topic per aggregate and version; a `.dlq` topic beside each consumer's input."""

NEEDS = "registry.needs.v1"
RESULTS = "registry.results.v1"
PRODUCTS = "registry.products.v1"
EXPERTS = "registry.experts.v1"
ORGS = "registry.orgs.v1"
FEEDBACK = "registry.feedback.v1"
SUMMITS = "registry.summits.v1"
DEALS = "registry.deals.v1"
MATCHES = "matching.matches.v1"
SCHEDULES = "matching.schedules.v1"
DELIVERIES = "notify.deliveries.v1"

ALL = (NEEDS, RESULTS, PRODUCTS, EXPERTS, ORGS, FEEDBACK, SUMMITS, DEALS, MATCHES, SCHEDULES, DELIVERIES)


def named(topic: str, prefix: str = "") -> str:
    """The topic's name on the broker, with the deployment's prefix (e.g. `staging.`)."""
    return f"{prefix}{topic}"


def dlq(topic: str) -> str:
    return f"{topic}.dlq"
