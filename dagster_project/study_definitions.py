"""The study's definitions as Python reads them, from their one home: the dbt vars in `dbt/dbt_project.yml`, the
countries seed (its 0/1 columns name the Europe and China definitions) and the risk_entity_groups seed (the group ->
tag rule). Nothing here restates a definition."""

from __future__ import annotations

import csv
from pathlib import Path

import yaml

from .settings import DBT_PROJECT_DIR

DBT_PROJECT_FILE = DBT_PROJECT_DIR / "dbt_project.yml"
COUNTRIES_SEED = "countries.csv"
GROUPS_SEED = "risk_entity_groups.csv"


def dbt_vars(project_file: Path = DBT_PROJECT_FILE, required: tuple[str, ...] = ()) -> dict:
    """The project's vars; a missing `required` one is a one-sentence error naming the file."""
    try:
        vars_ = (yaml.safe_load(Path(project_file).read_text(encoding="utf-8")) or {}).get("vars") or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"Cannot read the study's dbt vars from {project_file}: {exc}") from None
    missing = [name for name in required if name not in vars_]
    if missing:
        raise ValueError(f"{project_file}: the vars {', '.join(missing)} are not set.")
    return vars_


def seed_file(name: str, project_file: Path = DBT_PROJECT_FILE) -> Path:
    """The CSV of the seed file `name` (e.g. countries.csv), in the dbt project's seed folder."""
    project = yaml.safe_load(Path(project_file).read_text(encoding="utf-8")) or {}
    seed_dir = (project.get("seed-paths") or ["seeds"])[0]
    return (Path(project_file).parent / seed_dir / name).resolve()


def countries_seed(project_file: Path = DBT_PROJECT_FILE) -> Path:
    return seed_file(COUNTRIES_SEED, project_file)


def risk_entity_groups(project_file: Path = DBT_PROJECT_FILE) -> dict[str, dict[str, bool]]:
    """The group -> tag rule: each entity_group's tag flags ({'is_pla': True, 'is_defence_linked': True, ...}), in
    the seed's order."""
    seed = seed_file(GROUPS_SEED, project_file)
    groups = {}
    with seed.open(newline="", encoding="utf-8") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            group = (row.pop("entity_group") or "").strip()
            flags = {flag: (value or "").strip() for flag, value in row.items()}
            if not group or set(flags.values()) - {"true", "false"}:
                raise ValueError(f"{seed} line {line}: expected an entity_group and true/false flags, got {group!r} {flags}.")
            groups[group] = {flag: value == "true" for flag, value in flags.items()}
    return groups


def countries_flagged(column: str, project_file: Path = DBT_PROJECT_FILE) -> tuple[str, ...]:
    """The ISO2 codes flagged 1 in the countries seed's column `column` (e.g. europe_eu27_uk_efta), sorted."""
    seed = countries_seed(project_file)
    with seed.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if column not in (reader.fieldnames or []):
            raise ValueError(f"{seed}: no column {column!r} (a definition named by a dbt var in {project_file}).")
        codes = []
        for line, row in enumerate(reader, start=2):
            flag = (row[column] or "").strip()
            if flag not in ("0", "1"):
                raise ValueError(f"{seed} line {line}: {column} is {flag!r}, expected 0 or 1.")
            if flag == "1":
                codes.append(row["iso2"].strip())
    if not codes:
        raise ValueError(f"{seed}: no country is flagged in column {column!r}.")
    return tuple(sorted(codes))
