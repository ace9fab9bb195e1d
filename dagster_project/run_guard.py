"""What every run that writes holds from its first step to its last: the writer lock, and the proof that every path
it would write to is absent or the warehouse's own.

`make run` takes it before it starts Dagster (so a refusal costs a second, not a run's creation); a run launched
from the UI or by a schedule takes it through the `warehouse_writer` resource, which every asset that writes
requires (Dagster's in-process executor opens a run's resources once, before its first step, and closes them
after its last).
"""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from .lib.owned_paths import ForeignPathError, foreign_path_problem, owned_dir, unwritable_problem
from .lib.run_lock import WarehouseBusy, writer_lock
from .settings import Settings
from .settings_resource import WarehouseSettings

__all__ = ["ForeignPathError", "WarehouseBusy", "WarehouseSettings", "WarehouseWriter", "guarded_run", "warehouse_resources"]


@contextmanager
def guarded_run(settings: Settings) -> Iterator[None]:
    """Hold the writer lock and check the paths, or raise WarehouseBusy / ForeignPathError with one sentence."""
    if problem := unwritable_problem(settings):  # before the lock files, which are written there too
        raise ForeignPathError(problem)
    with writer_lock(settings):
        if problem := foreign_path_problem(settings):
            raise ForeignPathError(problem)
        # Every writing run needs these two; the others are made (and marked) where they are first written.
        owned_dir(settings.build_path.parent)
        owned_dir(settings.raw_dir / settings.source)
        yield


class WarehouseWriter(dg.ConfigurableResource):
    """The run's hold on the warehouse: the writer lock and the ownership check, for the whole run."""

    settings: dg.ResourceDependency[WarehouseSettings]

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator["WarehouseWriter"]:
        with guarded_run(self.settings.current):
            yield self


def warehouse_resources() -> dict[str, dg.ConfigurableResource]:
    """The resources every writing asset and every check of the warehouse names: its settings and its writer."""
    settings = WarehouseSettings()
    return {"warehouse_settings": settings, "warehouse_writer": WarehouseWriter(settings=settings)}
