"""`make test` runs in one process per core: the tests that read one of the session's shared runs must land in one
process, or each process makes the run again (pytest-xdist ignores the groups on some pytest versions)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow  # a pytest session of its own, with two worker processes
def test_the_tests_of_a_shared_run_go_to_one_process_and_any_other_test_stays_with_its_file(tmp_path):
    suite, log = tmp_path / "suite", tmp_path / "where.log"
    suite.mkdir()
    (suite / "conftest.py").write_text(textwrap.dedent("""
        import pytest
        from tests.grouping import xdist_group

        @pytest.hookimpl(tryfirst=True)
        def pytest_collection_modifyitems(items):
            for item in items:
                item.add_marker(pytest.mark.xdist_group(xdist_group(item)))

        @pytest.fixture(scope="session")
        def demo_run():  # stands in for the session's run
            return None
    """))
    for name in "abcd":
        (suite / f"test_{name}.py").write_text(textwrap.dedent(f"""
            import os

            def _note(kind):
                with open({str(log)!r}, "a") as f:
                    f.write(f"{name} {{kind}} {{os.environ['PYTEST_XDIST_WORKER']}}\\n")

            def test_reads_the_run(demo_run):
                _note("shared")

            def test_alone_1():
                _note("alone")

            def test_alone_2():
                _note("alone")
        """))
    # The session under test has its own settings: none of this session's (its worker, its folders).
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "WAREHOUSE_", "DBT_TARGET"))}
    env["PYTHONPATH"] = str(REPO)
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2", "--dist",
                           "loadgroup", str(suite)], cwd=suite, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    rows = [line.split() for line in log.read_text().splitlines()]
    assert len(rows) == 12
    assert len({worker for _, kind, worker in rows if kind == "shared"}) == 1
    for name in "abcd":
        assert len({worker for file, kind, worker in rows if file == name and kind == "alone"}) == 1, name
    assert len({worker for *_, worker in rows}) == 2  # and both processes worked
