"""The ``tokenizer-rs`` command line (also ``python -m tokenizer_rs``).

Each subcommand lives in its own module with ``register(subparsers)``; this file only wires
them together.

    tokenizer-rs count README.md --model gpt-4o
    cat notes.txt | tokenizer-rs count --json
    tokenizer-rs compact history.json --max-tokens 8000 --model gpt-4o > trimmed.json
    tokenizer-rs zstd compress big.log big.log.zst
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import _cli_compact, _cli_count, _cli_zstd

SUBCOMMANDS = [_cli_count, _cli_compact, _cli_zstd]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tokenizer-rs",
        description="Exact tiktoken-compatible token counting, context trimming and zstd payloads.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module in SUBCOMMANDS:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 bad input, 2 usage)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status: int = args.run(args)
        return status
    except BrokenPipeError:  # e.g. piped into `head`; before OSError, which it is a kind of
        return 0
    except (ValueError, KeyError, TypeError, OSError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"tokenizer-rs: error: {message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
