"""The admin key `make run` prints is the one the services accept."""

from pathlib import Path

import pytest

from deploy.stack import secret_in
from deploy.supervisor import admin_key_shown


def test_a_key_kept_from_an_earlier_run_is_not_shown_when_duijie_admin_key_is_set(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A first `make run` without DUIJIE_ADMIN_KEY kept a generated key in var/admin_key; a later run with the
    variable gave the services the variable's key but printed the kept one, which the registry refused (401)."""
    monkeypatch.delenv("DUIJIE_ADMIN_KEY", raising=False)
    kept = secret_in(tmp_path, "admin_key", "DUIJIE_ADMIN_KEY")
    assert admin_key_shown(tmp_path) == kept
    monkeypatch.setenv("DUIJIE_ADMIN_KEY", "dj_admin_mine")
    assert secret_in(tmp_path, "admin_key", "DUIJIE_ADMIN_KEY") == "dj_admin_mine"
    assert admin_key_shown(tmp_path) == "(from DUIJIE_ADMIN_KEY)"
