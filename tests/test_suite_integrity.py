"""What keeps the suite honest: the test oracles stay out of the installed package, CI runs the README's test
command, and that command runs every test file."""

from __future__ import annotations

import ast
import shlex
import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _imported_modules(source: Path) -> set[str]:
    tree = ast.parse(source.read_text(), str(source))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_installed_package_never_imports_the_planted_truth():
    """The planted truth is the tests' oracle: a package that computed its own expected figures could pass its
    tests by agreeing with itself."""
    offenders = {str(p.relative_to(ROOT)): sorted(m for m in _imported_modules(p) if m == "tests" or m.startswith("tests."))
                 for p in (ROOT / "dagster_project").rglob("*.py")}
    assert not {p: m for p, m in offenders.items() if m}
    assert not list((ROOT / "dagster_project").rglob("planted_*.py"))
    assert (ROOT / "tests" / "planted" / "planted_truth.py").is_file()


def test_ci_runs_exactly_the_readme_test_command():
    """A lighter target in CI (test-fast, a marker, one file) would let every slow test rot unseen."""
    script = (ROOT / ".ci" / "run").read_text().splitlines()
    commands = [line.strip() for line in script if line.strip() and not line.lstrip().startswith("#")]
    assert [c for c in commands if not c.startswith(("set ", "cd "))] == ["make test"]


# Options of pytest that leave tests out, or stop before the end.
NARROWING = ("-m", "-k", "--deselect", "--ignore", "--ignore-glob", "-x", "--exitfirst", "--maxfail", "--lf",
             "--last-failed", "--sw", "--stepwise", "--co", "--collect-only")


# Options of pytest-xdist whose value follows them: how many processes, how tests are shared among them.
WITH_VALUE = ("-n", "--numprocesses", "--dist")


def _narrowing(args: list[str]) -> list[str]:
    values = {i + 1 for i, a in enumerate(args) if a in WITH_VALUE}
    return [a for i, a in enumerate(args)
            if a.split("=")[0] in NARROWING or (not a.startswith("-") and i not in values)]


def test_make_test_runs_lint_and_every_test_file():
    """`make -n test` (what make would run, run nothing): the linters, then one pytest over the whole suite, with
    no option that leaves a test out; pytest's own configuration collects every file under tests/."""
    dry = subprocess.run(["make", "-n", "test"], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={"PATH": "/usr/bin:/bin", "HOME": str(ROOT)}).stdout.splitlines()
    assert any("ruff check" in line for line in dry) and any("sqlfluff lint" in line for line in dry)
    runs = [shlex.split(line) for line in dry if " -m pytest" in line]
    assert len(runs) == 1, dry
    args = runs[0][runs[0].index("pytest") + 1:]
    assert not _narrowing(args), args
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert config["testpaths"] == ["tests"]
    assert not _narrowing(shlex.split(config.get("addopts", "")))
    assert "-m" not in shlex.split(config.get("addopts", ""))
