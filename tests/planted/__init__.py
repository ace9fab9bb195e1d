"""The test oracles: the figures planted in the demo snapshot, worked out in plain Python from the generated records
and the study's definitions, never from the warehouse (`planted_truth`, `planted_sensitivity`,
`planted_affiliations`). Tests and dev scripts only: the installed package never imports them."""

from __future__ import annotations

import json
from pathlib import Path

from dagster_project.demo_data import second_release
from dagster_project.demo_data.generator import Pool
from dagster_project.demo_data.snapshot import GENERATED, snapshot_records

from .planted_affiliations import expected_affiliations
from .planted_truth import expected_figures, expected_institution_profiles

TRUTH = "truth.json"


def truth_of(snapshot_dir: Path) -> dict:
    """The truth planted in the demo snapshot at `snapshot_dir`, worked out from the generator's parameters it records
    and saved beside it as truth.json (reused while the parameters are the same)."""
    snapshot_dir = Path(snapshot_dir)
    generated = json.loads((snapshot_dir / GENERATED).read_text())
    truth_file = snapshot_dir / TRUTH
    if truth_file.exists():
        cached = json.loads(truth_file.read_text())
        if cached.get("params") == generated["params"]:
            return cached
    pool = Pool.load()
    latest, _ = snapshot_records(generated["params"]["n_works"], generated["params"]["seed"], pool)
    if generated["params"].get("release") == 2:
        latest = second_release.apply(latest, second_release.second_release_records(latest, pool))
    truth = {**generated, "figures": expected_figures(latest, pool),
             "institutions": expected_institution_profiles(latest, pool),
             "affiliations": expected_affiliations(latest, pool)}
    tmp = truth_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(truth, indent=1, sort_keys=True))
    tmp.replace(truth_file)
    return truth
