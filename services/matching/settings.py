"""Matching settings from the environment (prefix DUIJIE_); score weights as DUIJIE_WEIGHT_<NAME>."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DUIJIE_", extra="ignore")

    kafka_bootstrap: str = "127.0.0.1:9092"
    topic_prefix: str = ""
    registry_url: str = "http://127.0.0.1:8000"
    internal_key: str | None = None
    consumer_group: str = "matching"
    # How long a fetch of postings waits for records, and one of the other topics (services.contracts.consumer).
    fetch_wait_ms: int = Field(20, ge=1)
    quiet_fetch_wait_ms: int = Field(250, ge=1)
    # ... and a fetch of postings while they keep coming (`FetchWaits`): the embedded broker hands them over sooner.
    busy_fetch_wait_ms: int = Field(5, ge=1)
    # A lane commits what it handled at most this often (`OffsetCommits`); 0 commits after every batch.
    commit_interval_ms: int = Field(200, ge=0)
    service_name: str = "/duijie/matching"
    min_score: float = 0.25
    matches_per_posting: int = 10
    rebuild_from_registry: bool = True
    # Events taken per fetch; their match events are sent together. A bigger batch costs less per event but
    # makes the first event's matches wait for the others' matching (a few ms each) when the consumer is behind.
    batch_size: int = Field(20, ge=1)

    # Score weights: unset means the engine's default (services.matching.domain.Weights).
    weight_text: float | None = None
    weight_keywords: float | None = None
    weight_field: float | None = None
    weight_industry: float | None = None
    weight_trl: float | None = None
    weight_budget: float | None = None
    weight_cooperation: float | None = None
    weight_region: float | None = None
    weight_financing_amount: float | None = None
    weight_financing_term: float | None = None
    weight_financing_region: float | None = None
    weight_financing_eligibility: float | None = None
