"""Notify settings from the environment (prefix DUIJIE_)."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DUIJIE_", extra="ignore")

    kafka_bootstrap: str = "127.0.0.1:9092"
    mongo_url: str = "mongodb://127.0.0.1:27017/?directConnection=true"
    notify_db: str = "duijie_notify"
    topic_prefix: str = ""
    registry_url: str = "http://127.0.0.1:8000"
    consumer_group: str = "notify"
    # How long a fetch of match events waits for records, and one of the other topics (services.contracts.consumer).
    fetch_wait_ms: int = Field(20, ge=1)
    quiet_fetch_wait_ms: int = Field(250, ge=1)
    # ... and a fetch of match events while they keep coming (`FetchWaits`): the embedded broker hands them over sooner.
    busy_fetch_wait_ms: int = Field(5, ge=1)
    # A lane commits what it handled at most this often (`OffsetCommits`); 0 commits after every batch.
    commit_interval_ms: int = Field(200, ge=0)
    service_name: str = "/duijie/notify"
    webhook_timeout_seconds: float = 15.0
    # At shutdown, how long the attempts under way may take to finish and record their outcome (`Dispatcher.stop`).
    shutdown_grace_seconds: float = Field(5.0, ge=0)
    # Connections one receiving host (the name its URLs give) may hold at once (channels/poster.py), of the 200.
    webhook_connections_per_receiver: int = Field(32, ge=1, le=200)
    # Standard Webhooks retry schedule (seconds); every interval is multiplied by retry_multiplier.
    retry_schedule: list[float] = [0, 5, 300, 1800, 7200, 18000, 36000, 36000]
    retry_multiplier: float = 1.0
    retry_jitter: float = 0.1
    retry_after_max_seconds: float = 86400.0
    # Circuit breaker per endpoint: open after this many consecutive failures, for the cool-down (× multiplier).
    breaker_failures: int = 5
    breaker_cooldown_seconds: float = 60.0
    # Comma-separated hosts allowed over http and on private/loopback addresses (local development, tests).
    webhook_allow_hosts: str = ""
    rotation_overlap_seconds: float = 86400.0
    sse_heartbeat_seconds: float = 15.0
    # How long a stream ticket (for a browser's EventSource, tickets.py) opens the stream, unless asked otherwise.
    stream_ticket_seconds: float = Field(12 * 3600, gt=0)
    # Comma-separated origins whose web pages may call notify from a browser (CORS); none by default.
    cors_origins: str = ""
    # A reserved sequence number not inserted this long after a later one was is taken as never coming (stream.py).
    sse_settle_seconds: float = 10.0
    auth_cache_seconds: float = 30.0
    # Preferences and endpoints read are kept this long; a change through another replica is seen within
    # `changes_check_seconds` (changes.py).
    cache_seconds: float = 60.0
    changes_check_seconds: float = 1.0
    # E-mail over SMTP.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_starttls: bool = True
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_from: str = "Duijie <noreply@duijie.local>"
    smtp_timeout_seconds: float = 15.0
    public_url: str = "http://127.0.0.1:8000"

    @property
    def allow_hosts(self) -> set[str]:
        return {h.strip().lower().strip("[]") for h in self.webhook_allow_hosts.split(",") if h.strip()}

    @property
    def origins(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]
