"""The architecture, checked: the layers hold and the matcher stays easy to enter.

The layers are the import-linter contracts in ``pyproject.toml`` (README
"Architecture"): a change that makes, say, the matching package import the store
fails here.  Size and complexity bounds keep the matcher a pipeline of small parts.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from radon.complexity import cc_visit

ROOT = Path(__file__).resolve().parents[1]
# The matcher and the run: no module longer than this, no function more complex.
MAX_LINES = 500
MAX_COMPLEXITY = 20


def test_import_layers_hold(tmp_path):
    """``lint-imports`` keeps every contract of pyproject.toml (run from a copy of the
    configuration, its cache off: nothing is written into the tree)."""
    done = subprocess.run(
        [sys.executable, "-c",
         "import sys; from importlinter.cli import lint_imports; "
         f"sys.exit(lint_imports(config_filename={str(ROOT / 'pyproject.toml')!r}, no_cache=True, no_logo=True))"],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def _matcher_modules() -> list[Path]:
    return sorted((ROOT / "ipr_cli" / "matching").glob("*.py")) + [ROOT / "ipr_cli" / "screening.py"]


def test_matcher_modules_are_small():
    long = {p.name: n for p in _matcher_modules() if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_matcher_functions_are_simple():
    complex_ = {}
    for path in _matcher_modules():
        for block in cc_visit(path.read_text(encoding="utf-8")):
            for item in [block, *getattr(block, "methods", [])]:
                if item.complexity > MAX_COMPLEXITY:
                    complex_[f"{path.name}:{item.fullname}"] = item.complexity
    assert not complex_, f"cyclomatic complexity over {MAX_COMPLEXITY} (radon cc): {complex_}"


def _service_modules() -> list[Path]:
    """Every module outside the command line, the writers and the matcher (those have
    their own lists): readers, store, casework, exchange and the core."""
    package = ROOT / "ipr_cli"
    others = {package / "cli", package / "writers", package / "matching"}
    return sorted(
        p for p in package.rglob("*.py")
        if not any(o in p.parents for o in others) and p.name not in ("reports.py", "screening.py")
    )


def test_service_modules_are_small():
    modules = _service_modules()
    assert {"readers", "store", "casework", "exchange"} <= {p.parent.name for p in modules}
    long = {str(p.relative_to(ROOT)): n for p in modules if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_service_functions_are_simple():
    complex_ = {}
    for path in _service_modules():
        for block in cc_visit(path.read_text(encoding="utf-8")):
            for item in [block, *getattr(block, "methods", [])]:
                if item.complexity > MAX_COMPLEXITY:
                    complex_[f"{path.relative_to(ROOT)}:{item.fullname}"] = item.complexity
    assert not complex_, f"cyclomatic complexity over {MAX_COMPLEXITY} (radon cc): {complex_}"


def _cli_modules() -> list[Path]:
    """The command line and the writers (the presentation half of the architecture)."""
    return sorted((ROOT / "ipr_cli" / "cli").glob("*.py")) + sorted((ROOT / "ipr_cli" / "writers").glob("*.py"))


def test_cli_and_writer_modules_are_small():
    long = {p.name: n for p in _cli_modules() if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_cli_and_writer_functions_are_simple():
    complex_ = {}
    for path in _cli_modules():
        for block in cc_visit(path.read_text(encoding="utf-8")):
            for item in [block, *getattr(block, "methods", [])]:
                if item.complexity > MAX_COMPLEXITY:
                    complex_[f"{path.parent.name}/{path.name}:{item.fullname}"] = item.complexity
    assert not complex_, f"cyclomatic complexity over {MAX_COMPLEXITY} (radon cc): {complex_}"


def test_format_options_are_declared_once():
    """--format is declared by ``cli.options.output_options`` only; IPR_FORMAT read there only."""
    offenders = [p.name for p in _cli_modules()
                 if p.name != "options.py" and ('"--format"' in (text := p.read_text(encoding="utf-8"))
                                                or "IPR_FORMAT\")" in text)]
    assert not offenders, offenders
