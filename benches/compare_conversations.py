"""Side-by-side timings of the conversation layer against what Python users run today.

- compress_context vs a plain Python trimmer with tiktoken counts (count every message with
  tiktoken, drop the oldest unprotected message or tool-call group until it fits; the same rules,
  so the results are checked to be identical), in two flavours: one `encode` per field, and one
  `encode_batch` over all fields (tiktoken's threaded path);
- compress_context vs LangChain's trim_messages (when langchain_core is installed);
- count_message_tokens vs the cookbook's loop;
- estimate_json_tokens / count_json_tokens vs `len(enc.encode(json.dumps(value)))`, with how far
  the estimate is from the exact count on the JSON fixtures.

`benches/compare.py` imports this module and calls `run()`, which returns rows
(name, ours_seconds, peer_seconds, ratio, note); `python benches/compare_conversations.py`
prints them as a table. PyPI tiktoken runs offline: with TIKTOKEN_CACHE_DIR set it loads its own
files from there; otherwise it is built from the ranks this package exports.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import tiktoken

import tokenizer_rs

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
MODEL = "gpt-4o"
PRESERVE_LAST = 5
SIZES = (1_000, 10_000)


def reference_encoding(model: str) -> tiktoken.Encoding:
    name = tokenizer_rs.encoding_name_for_model(model)
    if os.environ.get("TIKTOKEN_CACHE_DIR"):
        return tiktoken.get_encoding(name)
    ours = tokenizer_rs.get_encoding(name)
    return tiktoken.Encoding(
        name=name,
        pat_str=ours._pat_str,
        mergeable_ranks=ours._mergeable_ranks,
        special_tokens=ours._special_tokens,
    )


def best_time(work: Callable[[], Any], repeat: int) -> float:
    """The fastest of `repeat` runs (the least disturbed by other load on the machine)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


# Text for the messages: the bench corpus (English, code, 27 languages; 5 MB), handed out in
# consecutive slices, so that no history repeats a text or a word sequence (wrapping around only
# after 5 MB, beyond what a per-thread cache keeps).
_CORPUS: list[str] = []
_cursor = 0


def corpus_text(length: int) -> str:
    """The next `length` characters of the bench corpus."""
    global _cursor
    if not _CORPUS:
        _CORPUS.append("".join((FIXTURES / "bench" / f"{kind}.txt").read_text(encoding="utf-8")
                               for kind in ("english", "code", "multilingual")))
    corpus = _CORPUS[0]
    if _cursor + length > len(corpus):
        _cursor = 0
    text = corpus[_cursor:_cursor + length]
    _cursor += length
    return text


def history(count: int, tag: str = "") -> list[dict[str, Any]]:
    """The fixture conversation's shape (roles, tool calls and their results, multi-part
    contents) repeated to `count` messages, every text replaced by fresh corpus text of the same
    length and marked with its copy and `tag`. No text is counted twice in one call, nor a
    sentence of one: real histories do not repeat, and a repeated one would flatter our memo of
    counts and our per-thread cache of merged pieces."""
    base = json.loads((FIXTURES / "messages.json").read_text(encoding="utf-8"))
    out: list[dict[str, Any]] = []
    copy = 0
    while len(out) < count:
        for message in base:
            if len(out) == count:
                break
            mark = f"[{tag}{copy}] "
            m = dict(message)
            if isinstance(m.get("content"), str):
                m["content"] = mark + corpus_text(len(m["content"]))
            elif m.get("content"):
                m["content"] = [{**p, "text": mark + corpus_text(len(p["text"]))} if p.get("type") == "text" else p
                                for p in m["content"]]
            if "tool_call_id" in m:
                m["tool_call_id"] = f"{m['tool_call_id']}-{tag}{copy}"
            if m.get("tool_calls"):
                m["tool_calls"] = [
                    {**c, "id": f"{c['id']}-{tag}{copy}",
                     "function": {**c["function"], "arguments": mark + c["function"]["arguments"]}}
                    for c in m["tool_calls"]
                ]
            out.append(m)
        copy += 1
    return out


# ------------------------------------------------------------------ the plain Python trimmer


def message_texts(message: dict[str, Any]) -> tuple[list[str], int]:
    """The strings a message's tokens come from, and its fixed overhead (the accounting of
    docs/conversations.md)."""
    texts = [message["role"]]
    overhead = 3
    content = message.get("content")
    if isinstance(content, str):
        texts.append(content)
    elif content:
        for part in content:
            if part.get("type") == "text":
                texts.append(part["text"])
            elif part.get("type") == "image_url":
                overhead += 85 if part["image_url"].get("detail") == "low" else 765
    if message.get("name") is not None:
        texts.append(message["name"])
        overhead += 1
    if message.get("tool_call_id") is not None:
        texts.append(message["tool_call_id"])
    for call in message.get("tool_calls") or []:
        texts += [call["id"], call["function"]["name"], call["function"]["arguments"]]
        overhead += 3
    return texts, overhead


def count_plain(messages: Sequence[dict[str, Any]], enc: tiktoken.Encoding) -> list[int]:
    counts = []
    for message in messages:
        texts, overhead = message_texts(message)
        counts.append(overhead + sum(len(enc.encode(t, allowed_special="all")) for t in texts))
    return counts


def count_batched(messages: Sequence[dict[str, Any]], enc: tiktoken.Encoding) -> list[int]:
    per_message = [message_texts(m) for m in messages]
    flat = [t for texts, _ in per_message for t in texts]
    lengths = iter(len(t) for t in enc.encode_batch(flat, allowed_special="all", num_threads=os.cpu_count() or 1))
    return [overhead + sum(next(lengths) for _ in texts) for texts, overhead in per_message]


def plain_trim(
    messages: Sequence[dict[str, Any]],
    max_tokens: int,
    preserve_last_n: int,
    counts: list[int],
) -> tuple[list[dict[str, Any]], int]:
    """Drop the oldest unprotected message (or tool call with its results) until it fits."""
    n = len(messages)
    unit = list(range(n))
    caller: dict[str, int] = {}
    for i, m in enumerate(messages):
        if m["role"] == "tool" and m.get("tool_call_id") in caller:
            unit[i] = caller[m["tool_call_id"]]
        for call in m.get("tool_calls") or []:
            caller[call["id"]] = i
    protected = {unit[i] for i, m in enumerate(messages) if m["role"] in ("system", "developer") or i >= n - preserve_last_n}
    unit_tokens = [0] * n
    for i, c in enumerate(counts):
        unit_tokens[unit[i]] += c
    total = sum(counts) + 3
    dropped = set()
    for root in range(n):
        if total <= max_tokens:
            break
        if unit[root] == root and root not in protected:
            dropped.add(root)
            total -= unit_tokens[root]
    return [m for i, m in enumerate(messages) if unit[i] not in dropped], total


# ------------------------------------------------------------------ LangChain


def langchain_row(messages: list[dict[str, Any]], budget: int, enc: tiktoken.Encoding, ours: float) -> dict[str, Any]:
    try:
        from langchain_core.messages import convert_to_messages, trim_messages
    except ImportError:
        return row(f"compress_context vs LangChain trim_messages ({len(messages)} msgs)", ours, None,
                   "langchain_core not installed: skipped")
    converted = convert_to_messages(messages)

    def counter(batch: Sequence[Any]) -> int:
        # The same accounting, on LangChain's message objects (text content only).
        total = 3
        for m in batch:
            text = m.content if isinstance(m.content, str) else " ".join(
                p.get("text", "") for p in m.content if isinstance(p, dict))
            total += 3 + len(enc.encode(m.type, allowed_special="all")) + len(enc.encode(text, allowed_special="all"))
            for call in getattr(m, "tool_calls", None) or []:
                total += 3 + len(enc.encode(json.dumps(call["args"]), allowed_special="all"))
        return total

    def trim() -> Any:
        return trim_messages(converted, max_tokens=budget, token_counter=counter, strategy="last",
                             include_system=True, allow_partial=False, start_on="human")

    peer = best_time(trim, 1 if len(messages) > 2_000 else 3)
    return row(f"compress_context vs LangChain trim_messages ({len(messages)} msgs)", ours, peer,
               "LangChain counts with the same tiktoken rules; its strategy differs (start_on='human')")


# ------------------------------------------------------------------ rows


def row(name: str, ours: float, peer: float | None, note: str) -> dict[str, Any]:
    return {
        "name": name,
        "ours_seconds": ours,
        "peer_seconds": peer,
        "ratio": (peer / ours) if peer is not None and ours > 0 else None,
        "note": note,
    }


_fresh = 0  # numbers the histories built for first calls, so none is ever seen twice


def first_call_time(size: int, repeat: int, work: Callable[[list[dict[str, Any]]], Any]) -> float:
    """The best time of `work` on histories it has never seen (each repetition gets its own)."""
    global _fresh
    best = float("inf")
    for _ in range(repeat):
        _fresh += 1
        messages = history(size, tag=f"r{_fresh}-")
        start = time.perf_counter()
        work(messages)
        best = min(best, time.perf_counter() - start)
    return best


def compress_rows(enc: tiktoken.Encoding) -> list[dict[str, Any]]:
    rows = []
    for size in SIZES:
        messages = history(size)
        budget = tokenizer_rs.count_message_tokens(messages, MODEL) // 2
        repeat = 3 if size > 2_000 else 7
        result = tokenizer_rs.compress_context(messages, budget, PRESERVE_LAST, MODEL)
        kept, total = plain_trim(messages, budget, PRESERVE_LAST, count_plain(messages, enc))
        assert [id(m) for m in kept] == [id(m) for m in result.messages] and total == result.total_tokens
        note = f"same result ({len(result.messages)} kept, {result.total_tokens} tokens, budget {budget})"

        def ours(m: list[dict[str, Any]]) -> Any:
            return tokenizer_rs.compress_context(m, budget, PRESERVE_LAST, MODEL)

        def plain(m: list[dict[str, Any]]) -> Any:
            return plain_trim(m, budget, PRESERVE_LAST, count_plain(m, enc))

        def batched(m: list[dict[str, Any]]) -> Any:
            return plain_trim(m, budget, PRESERVE_LAST, count_batched(m, enc))

        # First call on a history never seen: every text is tokenized (nothing remembered).
        ours_cold = first_call_time(size, repeat, ours)
        rows.append(row(f"compress_context, first call vs plain Python + tiktoken.encode ({size} msgs)",
                        ours_cold, first_call_time(size, repeat, plain), note))
        rows.append(row(f"compress_context, first call vs plain Python + tiktoken.encode_batch ({size} msgs)",
                        ours_cold, first_call_time(size, repeat, batched), note))
        # The agent loop: the history seen at the previous turn plus one new message. The plain
        # trimmer recounts everything; we tokenize only the new message.
        turn = messages + [{"role": "user", "content": f"one more question, turn {size}"}]
        ours_warm = best_time(lambda: ours(turn), repeat)
        rows.append(row(f"compress_context, next turn (+1 msg) vs plain Python + tiktoken.encode ({size} msgs)",
                        ours_warm, best_time(lambda: plain(turn), repeat),
                        "earlier texts' counts are remembered (bounded memo); the plain trimmer recounts"))
        # A context window much smaller than the history (the usual case for a long-running
        # agent): we tokenize only the newest messages that can fit; the plain trimmer counts all.
        window = 32_000
        ours_window = first_call_time(size, repeat, lambda m: tokenizer_rs.compress_context(m, window, PRESERVE_LAST, MODEL))
        plain_window = first_call_time(size, repeat, lambda m: plain_trim(m, window, PRESERVE_LAST, count_plain(m, enc)))
        rows.append(row(f"compress_context to 32k tokens, first call vs plain Python + tiktoken.encode ({size} msgs)",
                        ours_window, plain_window, "older history is dropped without being tokenized"))
        rows.append(langchain_row(messages, budget, enc, ours_cold))
    return rows


def cookbook_count(messages: Sequence[dict[str, Any]], enc: tiktoken.Encoding) -> int:
    return sum(count_plain(messages, enc)) + 3


def count_rows(enc: tiktoken.Encoding) -> list[dict[str, Any]]:
    messages = history(1_000)
    assert tokenizer_rs.count_message_tokens(messages, MODEL) == cookbook_count(messages, enc)
    ours = first_call_time(1_000, 7, lambda m: tokenizer_rs.count_message_tokens(m, MODEL))
    peer = first_call_time(1_000, 7, lambda m: cookbook_count(m, enc))
    return [row("count_message_tokens, first call vs cookbook loop with tiktoken (1000 msgs)", ours, peer, "same count")]


def json_rows(enc: tiktoken.Encoding) -> list[dict[str, Any]]:
    samples = json.loads((FIXTURES / "json_samples.json").read_text(encoding="utf-8"))
    values = [json.dumps(s) if isinstance(s, str) else s for s in samples]  # a str argument is JSON text

    def exact_all() -> list[int]:
        return [len(enc.encode(json.dumps(s, separators=(",", ":"), ensure_ascii=False), allowed_special="all"))
                for s in samples]

    truth = exact_all()
    estimates = [tokenizer_rs.estimate_json_tokens(v, MODEL) for v in values]
    exacts = [tokenizer_rs.count_json_tokens(v, MODEL) for v in values]
    assert exacts == truth
    errors = [abs(e - t) / t for e, t in zip(estimates, truth)]
    aggregate = (sum(estimates) - sum(truth)) / sum(truth)
    note = (f"estimate vs exact on {len(samples)} fixtures: max {max(errors):.1%}, "
            f"mean {sum(errors) / len(errors):.1%}, total {aggregate:+.2%}")
    peer = best_time(exact_all, 20)
    ours_estimate = best_time(lambda: [tokenizer_rs.estimate_json_tokens(v, MODEL) for v in values], 20)
    ours_exact = best_time(lambda: [tokenizer_rs.count_json_tokens(v, MODEL) for v in values], 20)
    return [
        row("estimate_json_tokens vs len(tiktoken.encode(json.dumps(v)))", ours_estimate, peer, note),
        row("count_json_tokens vs len(tiktoken.encode(json.dumps(v)))", ours_exact, peer, "exact: same counts"),
    ]


def run() -> list[dict[str, Any]]:
    enc = reference_encoding(MODEL)
    return compress_rows(enc) + count_rows(enc) + json_rows(enc)


def print_table(rows: list[dict[str, Any]]) -> None:
    def ms(seconds: float | None) -> str:
        return "-" if seconds is None else f"{seconds * 1000:.2f} ms"

    width = max(len(r["name"]) for r in rows)
    print(f"{'benchmark':<{width}}  {'ours':>11}  {'peer':>11}  {'ratio':>7}  note")
    for r in rows:
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.1f}x"
        print(f"{r['name']:<{width}}  {ms(r['ours_seconds']):>11}  {ms(r['peer_seconds']):>11}  {ratio:>7}  {r['note']}")


if __name__ == "__main__":
    print(f"tokenizer_rs threads: {tokenizer_rs.current_num_threads()}, cpus: {os.cpu_count()}")
    print_table(run())
