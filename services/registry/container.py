"""What the registry's lifespan opens once and every request shares: settings, database, broker, relay, the
short-lived cache of API keys, and the group commit of new documents (`creations`)."""

from dataclasses import dataclass, field

from faststream.kafka import KafkaBroker

from services.registry.auth import KeyCache
from services.registry.creations import Creations
from services.registry.db import Database
from services.registry.orgs.repository import OrgKinds
from services.registry.outbox import Relay
from services.registry.settings import Settings


@dataclass
class Container:
    settings: Settings
    db: Database
    broker: KafkaBroker
    relay: Relay
    org_kinds: OrgKinds = field(init=False)
    keys: KeyCache = field(init=False)
    creations: Creations = field(init=False)

    def __post_init__(self) -> None:
        self.org_kinds = OrgKinds(self.db)
        self.creations = Creations(self.db, self.relay, self.settings.service_name)
        self.keys = KeyCache(self.settings.key_cache_seconds)
