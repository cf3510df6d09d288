from dataclasses import dataclass

from faststream.kafka import KafkaBroker

from services.notify.auth import KeyIntrospection
from services.notify.db import Database
from services.notify.deliveries import Dispatcher
from services.notify.settings import Settings
from services.notify.stream import Pulse


@dataclass
class Container:
    settings: Settings
    db: Database
    broker: KafkaBroker
    dispatcher: Dispatcher
    pulse: Pulse
    keys: KeyIntrospection
