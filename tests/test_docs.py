"""Every ```python block in README.md and docs/*.md runs, and prints what its
comments say: a print line's trailing ``# ...`` comment, or the ``# ...`` lines
right after a print line (or a ``print_jobs()`` call), are its expected output.
``...`` in an expected line stands for any text (a time that depends on today)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def blocks() -> list[tuple[str, str]]:
    found = []
    for path in DOCS:
        text = path.read_text()
        for match in BLOCK.finditer(text):
            line = text[: match.start()].count("\n") + 1
            found.append((f"{path.relative_to(ROOT)}:{line}", match.group(1)))
    return found


def expected_output(code: str) -> list[str]:
    expected: list[str] = []
    after_print = False
    for line in code.splitlines():
        stripped = line.strip()
        if stripped.startswith("print(") or ".print_jobs(" in stripped:
            after_print = "  # " not in line
            if not after_print:
                expected.append(line.split("  # ", 1)[1])
        elif after_print and stripped.startswith("#"):
            expected.append(stripped[2:] if stripped.startswith("# ") else stripped[1:])
        else:
            after_print = False
    return expected


CASES = blocks()


def test_docs_have_examples() -> None:
    assert len(CASES) >= 20


@pytest.mark.parametrize(("where", "code"), CASES, ids=[where for where, _ in CASES])
def test_doc_example_runs_and_prints_what_it_says(where: str, code: str, tmp_path: Path) -> None:
    env = dict(os.environ, TZ="UTC")
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, f"{where} failed:\n{result.stderr}"
    actual = result.stdout.splitlines()
    expected = expected_output(code)
    assert len(actual) == len(expected), (where, actual, expected)
    for got, want in zip(actual, expected, strict=True):
        pattern = ".*".join(re.escape(part) for part in want.split("..."))
        assert re.fullmatch(pattern, got), (where, got, want)
