"""``tokenizer-rs compact FILE.json --max-tokens N``: trim a messages file to a token budget.

The file holds a JSON list of OpenAI-style messages, or a request body with a ``messages`` list
(the rest of the body is kept). The trimmed conversation goes to stdout as JSON, in the shape it
came in; a summary (kept, dropped, tokens) goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .conversation import compress_context


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "compact",
        help="trim a messages JSON file to a token budget",
        description="Trim a chat history to a token budget, keeping system messages, the last N "
        "messages and every tool call with its results.",
    )
    parser.add_argument("file", help="messages JSON file: a list of messages or {'messages': [...]} ('-' is stdin)")
    parser.add_argument("--max-tokens", type=int, required=True, help="token budget of the trimmed conversation")
    parser.add_argument("--preserve-last", type=int, default=5, help="always keep the last N messages (default 5)")
    parser.add_argument("--model", default="gpt-4o", help="model or encoding name (default gpt-4o)")
    parser.set_defaults(run=run)


def _load(path: str) -> Any:
    if path == "-":
        return json.load(sys.stdin)
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def run(args: argparse.Namespace) -> int:
    document = _load(args.file)
    if isinstance(document, dict) and isinstance(document.get("messages"), list):
        messages = document["messages"]
    elif isinstance(document, list):
        messages = document
    else:
        raise ValueError(f"{args.file}: expected a JSON list of messages or an object with a 'messages' list")
    result = compress_context(messages, args.max_tokens, args.preserve_last, args.model)
    output: Any = result.messages if isinstance(document, list) else {**document, "messages": result.messages}
    json.dump(output, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    note = "" if result.total_tokens <= args.max_tokens else " (the protected messages alone exceed the budget)"
    print(
        f"kept {len(result.messages)} of {len(messages)} messages, dropped {result.truncated_count}, "
        f"{result.total_tokens} tokens for {args.model} (budget {args.max_tokens}){note}",
        file=sys.stderr,
    )
    return 0
