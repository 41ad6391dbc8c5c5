"""The command line, run as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import tokenizer_rs

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tokenizer_rs", *args], input=stdin, capture_output=True, text=True
    )


def test_count_file_and_json() -> None:
    path = FIXTURES / "large_text.txt"
    expected = tokenizer_rs.count_tokens(path.read_text(encoding="utf-8"), "gpt-4o")
    out = run("count", str(path))
    assert out.returncode == 0 and int(out.stdout) == expected
    out = run("count", "--json", "--model", "cl100k_base", str(path), str(FIXTURES / "code.txt"))
    report = json.loads(out.stdout)
    assert report["model"] == "cl100k_base"
    assert [f["path"] for f in report["files"]] == [str(path), str(FIXTURES / "code.txt")]
    assert report["total"] == sum(f["tokens"] for f in report["files"])


def test_count_stdin() -> None:
    out = run("count", "--model", "gpt-4", stdin="hello world")
    assert out.returncode == 0 and out.stdout.strip() == "2"


def test_bad_model_and_missing_file_exit_1_with_message() -> None:
    out = run("count", "--model", "nope", stdin="x")
    assert out.returncode == 1 and "nope" in out.stderr
    out = run("count", "/no/such/file")
    assert out.returncode == 1 and "error" in out.stderr


def test_console_script_is_installed() -> None:
    out = subprocess.run(["tokenizer-rs", "count"], input="hi", capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "1"
