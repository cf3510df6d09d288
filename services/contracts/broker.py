"""The Kafka broker object every service builds its subscribers and publishers on."""

import logging

from faststream.kafka import KafkaBroker

from services.contracts import leave_group


def kafka_broker(bootstrap: str, client_id: str) -> KafkaBroker:
    """Producers without idempotence (the embedded broker refuses idempotent producers; consumers are idempotent
    instead), and FastStream's per-message "Received"/"Processed" lines at DEBUG: at INFO they cost more than
    handling a match event, and filled matching's log with two lines per posting. Its consumers leave their group
    on stop in every generation (`leave_group`)."""
    leave_group.install()
    return KafkaBroker(bootstrap, enable_idempotence=False, client_id=client_id, log_level=logging.DEBUG)
