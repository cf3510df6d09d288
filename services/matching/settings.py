"""Matching settings from the environment (prefix DUIJIE_); score weights as DUIJIE_WEIGHT_<NAME>."""

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DUIJIE_", extra="ignore")

    kafka_bootstrap: str = "127.0.0.1:9092"
    topic_prefix: str = ""
    registry_url: str = "http://127.0.0.1:8000"
    internal_key: str | None = None
    consumer_group: str = "matching"
    service_name: str = "/duijie/matching"
    min_score: float = 0.25
    matches_per_posting: int = 10
    rebuild_from_registry: bool = True

    weight_text: float = 0.40
    weight_keywords: float = 0.20
    weight_field: float = 0.15
    weight_industry: float = 0.08
    weight_trl: float = 0.05
    weight_budget: float = 0.05
    weight_cooperation: float = 0.04
    weight_region: float = 0.03
