"""`warehouse-dbt`, the dbt executable the pipeline gives dagster-dbt (`DbtCliResource(dbt_executable=...)`).

It is the venv's dbt, except that `warehouse-dbt --version` is answered from the installed dbt-core's package
metadata. dagster-dbt asks for the version before every dbt command it starts, and dbt answers by importing
itself and asking PyPI for its latest release: ~4 s a run (a network timeout offline) for one line of text.
"""

from __future__ import annotations

import os
import sys
from importlib.metadata import version
from pathlib import Path


def main() -> None:
    args = sys.argv[1:]
    if args == ["--version"]:
        print(f"Core:\n  - installed: {version('dbt-core')}")
        return
    dbt = Path(sys.executable).parent / "dbt"
    os.execv(dbt, [str(dbt), *args])


if __name__ == "__main__":
    main()
