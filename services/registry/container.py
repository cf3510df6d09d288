"""What the registry's lifespan opens once and every request shares: settings, database, broker, relay."""

from dataclasses import dataclass

from faststream.kafka import KafkaBroker

from services.registry.db import Database
from services.registry.outbox import Relay
from services.registry.settings import Settings


@dataclass
class Container:
    settings: Settings
    db: Database
    broker: KafkaBroker
    relay: Relay
