#!/usr/bin/env bash
# Installs what the tests need and runs every test: the Rust core's (cargo test) and the Python
# package's (pytest, against PyPI tiktoken as the reference). This is the README's test command
# and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m pip install --quiet ".[test]"
cargo test --quiet
# unwrap/expect/panic are denied on input paths (Cargo.toml [lints]); keep it that way.
if cargo clippy --version >/dev/null 2>&1; then
  cargo clippy --quiet --all-targets -- -D warnings
fi
if cargo fmt --version >/dev/null 2>&1; then
  cargo fmt --check
fi

status=0
python3 -m pytest || status=$?
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: the suite is misconfigured" >&2
fi
exit "$status"
