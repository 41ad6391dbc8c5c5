"""Types: the stubs match the extension module, and strict mypy accepts real usage."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytest.importorskip("mypy")


def test_mypy_strict_accepts_usage_and_package() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental",
         str(ROOT / "tests" / "typing_usage.py")],
        capture_output=True, text=True, cwd=ROOT / "tests",
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_package_source_is_strictly_typed() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(ROOT / "python" / "tokenizer_rs")],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_stubs_match_the_extension_module() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "tokenizer_rs._native", "--ignore-missing-stub"],
        capture_output=True, text=True, cwd=ROOT / "tests",
    )
    assert out.returncode == 0, out.stdout + out.stderr
