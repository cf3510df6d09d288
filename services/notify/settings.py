"""Notify settings from the environment (prefix DUIJIE_)."""

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DUIJIE_", extra="ignore")

    kafka_bootstrap: str = "127.0.0.1:9092"
    mongo_url: str = "mongodb://127.0.0.1:27017/?directConnection=true"
    notify_db: str = "duijie_notify"
    topic_prefix: str = ""
    registry_url: str = "http://127.0.0.1:8000"
    consumer_group: str = "notify"
    service_name: str = "/duijie/notify"
    webhook_timeout_seconds: float = 15.0
    # Standard Webhooks retry schedule (seconds); every interval is multiplied by retry_multiplier.
    retry_schedule: list[float] = [0, 5, 300, 1800, 7200, 18000, 36000, 36000]
    retry_multiplier: float = 1.0
    retry_jitter: float = 0.1
    webhook_allow_hosts: str = ""
    sse_heartbeat_seconds: float = 15.0
    auth_cache_seconds: float = 30.0

    @property
    def allow_hosts(self) -> set[str]:
        return {h.strip().lower() for h in self.webhook_allow_hosts.split(",") if h.strip()}
