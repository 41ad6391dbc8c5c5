"""``tokenizer-rs count [FILE ...]``: token counts of files, or of stdin when none is given."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ._native import count_tokens, count_tokens_batch


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("count", help="count the tokens of files or stdin")
    parser.add_argument("files", nargs="*", help="files to count (default: stdin; '-' is stdin)")
    parser.add_argument("--model", default="gpt-4o", help="model or encoding name (default gpt-4o)")
    parser.add_argument("--json", action="store_true", help="print per-file and total counts as JSON")
    parser.set_defaults(run=run)


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    with open(path, encoding="utf-8", errors="surrogateescape") as handle:
        return handle.read()


def run(args: argparse.Namespace) -> int:
    paths = args.files or ["-"]
    texts = [_read(path) for path in paths]
    counts = count_tokens_batch(texts, args.model) if len(texts) > 1 else [count_tokens(texts[0], args.model)]
    total = sum(counts)
    if args.json:
        report = {
            "model": args.model,
            "files": [{"path": p, "tokens": c} for p, c in zip(paths, counts)],
            "total": total,
        }
        print(json.dumps(report))
    elif len(paths) == 1:
        print(total)
    else:
        for path, count in zip(paths, counts):
            print(f"{count}\t{path}")
        print(f"{total}\ttotal")
    return 0
