from dataclasses import dataclass

from faststream.kafka import KafkaBroker

from services.notify.auth import KeyIntrospection
from services.notify.channels.poster import Poster
from services.notify.db import Database
from services.notify.deliveries import Dispatcher
from services.notify.fanout import Notifier
from services.notify.preferences import PreferenceStore
from services.notify.pulse import Pulse
from services.notify.records import Records
from services.notify.redeliveries import Redeliveries
from services.notify.settings import Settings
from services.notify.tickets import Tickets
from services.notify.webhooks import Endpoints


@dataclass
class Container:
    settings: Settings
    db: Database
    broker: KafkaBroker
    endpoints: Endpoints
    preferences: PreferenceStore
    notifier: Notifier
    dispatcher: Dispatcher
    pulse: Pulse
    keys: KeyIntrospection
    poster: Poster
    records: Records
    redeliveries: Redeliveries
    tickets: Tickets
