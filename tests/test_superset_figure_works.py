"""The Superset provisioning gives marts.figure_works a dataset described as the drill from a figure to its works,
and stops, naming the mart, on a warehouse built before it existed. Checked against a stand-in for Superset's REST
API (a subclass answering `request`), so it runs without Superset installed."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("superset_provision_figures", ROOT / "superset" / "provision.py")
provision = importlib.util.module_from_spec(spec)
spec.loader.exec_module(provision)


class StandIn(provision.SupersetClient):
    """Answers the REST calls of ensure_datasets from `tables` and `existing`, and records them."""

    def __init__(self, tables: list[str], existing: dict[str, int]):
        super().__init__("http://stand-in", "admin", "unused")
        self.tables_, self.existing, self.calls = tables, existing, []

    def request(self, method, path, body=None, query=None):
        self.calls.append((method, path, body))
        if path.endswith("/tables/"):
            return {"result": [{"value": t, "type": "table"} for t in self.tables_]}
        if method == "GET" and path == "/api/v1/dataset/":
            return {"result": [{"id": i, "table_name": t, "schema": "marts", "database": {"id": 1}}
                               for t, i in self.existing.items()]}
        if method == "POST" and path == "/api/v1/dataset/":
            return {"id": 100 + len(self.calls)}
        return {}


def test_figure_works_gets_a_dataset_described_as_the_drill_to_the_works():
    client = StandIn(["figure_parts", "figure_works", "headline_figures"], {"headline_figures": 7, "figure_parts": 8})
    datasets = client.ensure_datasets(1)
    assert set(datasets) == {"figure_parts", "figure_works", "headline_figures"}
    created = [b for m, p, b in client.calls if m == "POST" and p == "/api/v1/dataset/"]
    assert created == [{"database": 1, "schema": "marts", "table_name": "figure_works"}]
    described = {p: b["description"] for m, p, b in client.calls if m == "PUT" and b}
    assert described[f"/api/v1/dataset/{datasets['figure_works']}"].startswith("The works behind each headline figure")
    assert "drill to detail" in described[f"/api/v1/dataset/{datasets['figure_works']}"]
    assert "/api/v1/dataset/8" in described
    assert "/api/v1/dataset/7" not in described


def test_a_warehouse_without_the_bridge_is_named():
    with pytest.raises(provision.SupersetError, match=r"no marts\.figure_works, marts\.figure_parts: .*`make run`"):
        StandIn(["headline_figures"], {}).ensure_datasets(1)
