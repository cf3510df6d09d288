"""Registry settings, read once from the environment (prefix DUIJIE_)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DISTRICT_TIMEZONE = "Asia/Shanghai"


def today_in(zone: str) -> date:
    """Today's date on the calendar of `zone` (before 08:00 in Beijing the UTC date is still yesterday)."""
    return datetime.now(ZoneInfo(zone)).date()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DUIJIE_", extra="ignore")

    mongo_url: str = "mongodb://127.0.0.1:27017/?directConnection=true"
    registry_db: str = "duijie_registry"
    kafka_bootstrap: str = "127.0.0.1:9092"
    topic_prefix: str = ""
    admin_key: str | None = Field(default=None, description="The first admin's API key (bootstrap).")
    internal_key: str | None = Field(default=None, description="Key for service-to-service calls (matching).")
    consumer_group: str = "registry"
    # How long a fetch of match, schedule and ledger events waits for more: the registry's copies of them are off
    # the path to a participant's notification, so it fetches a fifth as often as the services on that path, and
    # takes what arrived meanwhile in one batch.
    consume_wait_ms: int = Field(100, ge=1)
    # While events keep coming, a batch is taken at most this often, so each write to the database carries more of
    # them; an event arriving at an idle consumer is taken at once. A match can then be announced (notify consumes
    # the same events) before the registry has stored it: requests about a match wait for it (`match_wait_seconds`).
    consume_linger_seconds: float = Field(0.3, ge=0)
    consume_max_records: int = Field(500, ge=1)
    match_wait_seconds: float = Field(1.0, ge=0, description=(
        "How long a request about a match the registry has not stored yet waits for it before answering 404."))
    key_cache_seconds: float = Field(5.0, ge=0, description=(
        "How long a replica keeps an API key it has read: a key revoked through another replica still works on this "
        "one for up to this long (through this one, it stops at once). 0 reads the key on every request."))
    relay_batch: int = 200
    relay_poll_seconds: float = 0.5
    relay_log_seconds: float = Field(0.2, ge=0, description="How long published outbox rows wait to be moved to "
                                     "`outbox_sent` together (a crash meanwhile re-sends them)")
    service_name: str = "/duijie/registry"
    district_timezone: str = Field(
        default=DISTRICT_TIMEZONE, description="IANA zone of the bureau's calendar: the day a deal is signed or "
        "registered on is not in the future there, and the ledgers date events by its days")
    deal_registration_pattern: str = Field(
        default=r"^(19|20)[0-9]{2}[0-9]{6}[0-9]{6}$",
        description="技术合同登记号: 4-digit year + 6-digit administrative division code + 6-digit serial")

    @field_validator("district_timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        ZoneInfo(name)  # an unknown zone fails at start, not on the first deal
        return name

    def today(self) -> date:
        """Today in the district (`district_timezone`): the day deals, registrations and reports go by."""
        return today_in(self.district_timezone)

    @model_validator(mode="after")
    def _matches_arrive_while_requests_wait(self) -> "Settings":
        if self.consume_linger_seconds > 0 and self.match_wait_seconds <= self.consume_linger_seconds:
            raise ValueError("match_wait_seconds must exceed consume_linger_seconds, or a request about a match "
                             "that was just announced could be answered 404 before the registry stores it")
        return self
