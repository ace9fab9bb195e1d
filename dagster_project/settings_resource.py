"""The warehouse's settings as the run's Dagster resource: read from the environment and validated once, when the
run opens its resources (Dagster's in-process executor opens them before the first step), so every asset and check
of a run reads the same values and a bad one fails the run with its one-line message before any step runs.

The rules themselves (names, defaults, ranges, the one-line errors) are `settings.load_settings`'s: the command-line
tools (`make sql`, `make profile`) read them from there without loading Dagster.
"""

from __future__ import annotations

import dagster as dg
from pydantic import PrivateAttr

from .settings import Settings, load_settings


class WarehouseSettings(dg.ConfigurableResource):
    """The run's settings (dagster_project/settings.py): the source, the paths, the limits, the guards."""

    _settings: Settings | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._settings = load_settings()

    @property
    def current(self) -> Settings:
        """The settings read when the run opened this resource (or, for an asset or check called directly, at the
        first read)."""
        if self._settings is None:
            self._settings = load_settings()
        return self._settings
