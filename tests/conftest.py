"""Shared pytest fixtures (keep this file small)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own settings folder, so no test reads or writes the user's files
    (studio.ini, recent projects, saved BLE profiles)."""
    folder = str(tmp_path_factory.mktemp("config"))
    monkeypatch.setenv("STUDIO_CONFIG_DIR", folder)
    monkeypatch.setenv("UNIMOTION_CONFIG_DIR", folder)
