"""Score weights come from the engine's defaults unless the environment overrides them."""

import pytest

from services.matching.app import weights_from
from services.matching.domain import Weights
from services.matching.settings import Settings


def test_every_weight_can_be_set_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert weights_from(Settings()) == Weights()
    for name in Weights.__dataclass_fields__:
        monkeypatch.setenv(f"DUIJIE_WEIGHT_{name.upper()}", "0.5")
    assert set(vars(Settings()).keys()) >= {f"weight_{n}" for n in Weights.__dataclass_fields__}
    assert weights_from(Settings()) == Weights(**dict.fromkeys(Weights.__dataclass_fields__, 0.5))
