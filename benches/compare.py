"""Side-by-side timings: tokenizer_rs against the libraries users would pick instead, on the same
inputs in one process, reported as ratios (peer time / our time; > 1 means we are faster).

    python benches/compare.py            # full run (a few minutes)
    python benches/compare.py --quick    # fewer repeats, for a smoke test

PyPI tiktoken is built offline from our hash-checked ranks (tests/reference.py). Cold start and
peak memory are measured in fresh subprocesses, tiktoken reading its usual on-disk cache.
Sections for conversations and zstd come from compare_conversations.py / compare_zstd.py
when they are present.
"""

from __future__ import annotations

import argparse
import importlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benches"))

import tokenizer_rs  # noqa: E402
from reference import fill_tiktoken_cache, reference  # noqa: E402

Row = dict[str, Any]
KINDS = {"english": "large_text.txt", "code": "code.txt", "multilingual": "multilingual.txt"}


def slices_of_10k_tokens(text: str, encoding: str, count: int, seed: int) -> list[str]:
    """`count` distinct inputs of about 10,000 tokens, each starting at a different line of
    `text` (wrapping around), so no input is seen twice."""
    lines = text.splitlines(keepends=True)
    rng = random.Random(seed)
    starts = rng.sample(range(len(lines)), min(count, len(lines)))
    enc = tokenizer_rs.get_encoding(encoding)
    per_line = [max(1, enc.count(line)) for line in lines]
    out = []
    for start in starts:
        parts, tokens, i = [], 0, start
        while tokens < 10_000:
            parts.append(lines[i % len(lines)])
            tokens += per_line[i % len(lines)]
            i += 1
        out.append("".join(parts))
    return out


def time_once(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    del result  # freeing the result is not part of the call being measured
    return elapsed


def per_10k(seconds: float, tokens: int) -> float:
    return seconds * 10_000 / tokens


def bench_single(count: int) -> list[Row]:
    rows = []
    for kind, fixture in KINDS.items():
        text = (ROOT / "fixtures" / fixture).read_text(encoding="utf-8")
        for encoding in ["cl100k_base", "o200k_base"]:
            ours, peer = tokenizer_rs.get_encoding(encoding), reference(encoding)
            ours.count("warm up"), peer.encode("warm up")
            for op in ["count", "encode"]:
                ours_t, peer_t = [], []
                for s in slices_of_10k_tokens(text, encoding, count, seed=hash((kind, op)) & 0xFFFF):
                    n = len(peer.encode(s, allowed_special="all"))
                    # Each slice is new to both libraries: alternate who goes first.
                    if op == "count":
                        ours_fn = lambda: tokenizer_rs.count_tokens(s, encoding)  # noqa: E731
                    else:
                        ours_fn = lambda: ours.encode(s, allowed_special="all")  # noqa: E731
                    peer_fn = lambda: len(peer.encode(s, allowed_special="all"))  # noqa: E731
                    ours_t.append(per_10k(time_once(ours_fn), n))
                    peer_t.append(per_10k(time_once(peer_fn), n))
                rows.append(row(f"{op} 10k tokens {kind} {encoding}", ours_t, peer_t, "tiktoken",
                                "ms per 10k tokens, median over distinct slices"))
    return rows


def other_tokenizers(encoding: str, workdir: str) -> dict[str, Callable[[str], int]]:
    """Counting functions of the other PyPI tokenizers that are installed (each optional):
    rs-bpe (github's `bpe`) and fastokens; tokie needs a hub download and is left out."""
    out: dict[str, Callable[[str], int]] = {}
    try:
        from rs_bpe.bpe import openai as rs_bpe_openai

        rs = getattr(rs_bpe_openai, encoding)()
        out["rs-bpe"] = rs.count
    except (ImportError, AttributeError):
        pass
    try:
        import fastokens

        from reference import serialize_tiktoken_file

        path = os.path.join(workdir, f"{encoding}.tiktoken")
        with open(path, "wb") as handle:
            handle.write(serialize_tiktoken_file(dict(reference(encoding)._mergeable_ranks)))
        fast = fastokens.Tokenizer.from_tiktoken(path, encoding=encoding)
        out["fastokens"] = lambda text: len(fast.encode(text).ids)
    except (ImportError, AttributeError, ValueError):
        pass
    return out


def bench_others(count: int) -> list[Row]:
    """Our count against each installed peer on the same distinct slices; the note says whether
    the peer's counts equalled tiktoken's on every slice."""
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for encoding in ["cl100k_base", "o200k_base"]:
            peers = other_tokenizers(encoding, workdir)
            ref = reference(encoding)
            for kind, fixture in KINDS.items():
                text = (ROOT / "fixtures" / fixture).read_text(encoding="utf-8")
                slices = slices_of_10k_tokens(text, encoding, count, seed=17)
                expected = [len(ref.encode(s, allowed_special="all")) for s in slices]
                for name, peer_count in peers.items():
                    ours_t, peer_t, exact = [], [], True
                    for s, n in zip(slices, expected):
                        ours_t.append(per_10k(time_once(lambda: tokenizer_rs.count_tokens(s, encoding)), n))
                        peer_t.append(per_10k(time_once(lambda: peer_count(s)), n))
                        exact = exact and peer_count(s) == n
                    rows.append(row(f"count 10k tokens {kind} {encoding} vs {name}", ours_t, peer_t, name,
                                    "ms per 10k tokens; peer " + ("exact" if exact else "NOT exact") + " here"))
    return rows


def bench_batch(repeats: int) -> list[Row]:
    from concurrent.futures import ThreadPoolExecutor

    lines = []
    for fixture in KINDS.values():
        lines += [l for l in (ROOT / "fixtures" / fixture).read_text(encoding="utf-8").splitlines() if l.strip()]
    texts = [lines[i % len(lines)] + f" #{i}" for i in range(20_000)]  # distinct short texts
    peer = reference("o200k_base")
    ours_t, loop_t, pool_t = [], [], []
    with ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        for _ in range(repeats):
            ours_t.append(time_once(lambda: tokenizer_rs.count_tokens_batch(texts, "o200k_base")))
            loop_t.append(time_once(lambda: [len(peer.encode(t, allowed_special="all")) for t in texts]))
            pool_t.append(time_once(lambda: [len(t) for t in peer.encode_batch(
                texts, allowed_special="all", num_threads=os.cpu_count() or 2)]))
            pool.submit(lambda: None).result()
    best_peer = min(statistics.median(loop_t), statistics.median(pool_t))
    best_name = "loop" if statistics.median(loop_t) <= statistics.median(pool_t) else "encode_batch"
    return [
        row("count_tokens_batch 20,000 short texts o200k", ours_t, [best_peer], f"tiktoken best ({best_name})", "ms per batch"),
        row("  ...vs a loop of count_tokens", ours_t,
            [time_once(lambda: [tokenizer_rs.count_tokens(t, "o200k_base") for t in texts])],
            "tokenizer_rs loop", "ms per batch"),
    ]


def bench_worst_case() -> list[Row]:
    prose = (ROOT / "fixtures" / "large_text.txt").read_text(encoding="utf-8")
    prose_1mb = (prose * (1_000_000 // len(prose) + 1))[:1_000_000]
    peer = reference("cl100k_base")
    rows = []
    base_ours = time_once(lambda: tokenizer_rs.count_tokens(prose_1mb, "cl100k_base"))
    base_peer = time_once(lambda: peer.encode_ordinary(prose_1mb))
    for name, text in [("1 MB of 'x'", "x" * 1_000_000), ("1 MB of letters, no spaces", "abcdefghijklmnopqrstuvwxyz" * 38_462)]:
        ours = time_once(lambda: tokenizer_rs.count_tokens(text, "cl100k_base"))
        theirs = time_once(lambda: peer.encode_ordinary(text))
        rows.append(row(f"worst case {name} cl100k", [ours], [theirs], "tiktoken",
                        f"ms; ours = {ours / base_ours:.1f}x our 1 MB of prose, tiktoken {theirs / base_peer:.1f}x its own"))
    return rows


COLD_START = """
import sys, time
t0 = time.perf_counter()
if sys.argv[1] == "tokenizer_rs":
    import tokenizer_rs
    a = tokenizer_rs.count_tokens("hello world", "cl100k_base")
    b = tokenizer_rs.count_tokens("hello world", "o200k_base")
else:
    import tiktoken
    a = len(tiktoken.get_encoding("cl100k_base").encode("hello world"))
    b = len(tiktoken.get_encoding("o200k_base").encode("hello world"))
elapsed = time.perf_counter() - t0
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking parent across exec.
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0].split()[1]
print(elapsed, int(hwm) / 1024)
"""


def bench_cold_start(repeats: int) -> list[Row]:
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, TIKTOKEN_CACHE_DIR=fill_tiktoken_cache(cache))
        results: dict[str, list[tuple[float, float]]] = {"tokenizer_rs": [], "tiktoken": []}
        for _ in range(repeats):
            for lib in results:
                out = subprocess.run([sys.executable, "-c", COLD_START, lib], env=env,
                                     capture_output=True, text=True, check=True)
                seconds, rss = out.stdout.split()
                results[lib].append((float(seconds), float(rss)))
    ours, theirs = results["tokenizer_rs"], results["tiktoken"]
    return [
        row("cold start: import + first count, cl100k + o200k", [s for s, _ in ours], [s for s, _ in theirs], "tiktoken", "ms, fresh process"),
        {"name": "peak RSS of that process", "ours": statistics.median(r for _, r in ours),
         "peer": statistics.median(r for _, r in theirs), "peer_name": "tiktoken", "unit": "MiB",
         "ratio": statistics.median(r for _, r in theirs) / statistics.median(r for _, r in ours)},
    ]


def row(name: str, ours: list[float], peer: list[float], peer_name: str, unit: str) -> Row:
    o, p = statistics.median(ours), statistics.median(peer)
    return {"name": name, "ours": o * 1000, "peer": p * 1000, "peer_name": peer_name,
            "unit": unit, "ratio": p / o if o else float("inf")}


def normalized(r: Row) -> Row:
    """A section's row (name, ours_seconds, peer_seconds, ratio, note) in this table's shape."""
    if "ours" in r:
        return r
    return {"name": r["name"], "ours": r["ours_seconds"] * 1000, "peer": r["peer_seconds"] * 1000,
            "peer_name": r.get("peer_name", "see note"), "unit": "ms; " + r.get("note", ""),
            "ratio": r["ratio"]}


def print_table(rows: list[Row]) -> None:
    width = max(len(r["name"]) for r in rows)
    print(f"{'benchmark':{width}} {'ours':>10} {'peer':>10} {'speed-up':>9}  peer; unit")
    for r in rows:
        print(f"{r['name']:{width}} {r['ours']:10.3f} {r['peer']:10.3f} {r['ratio']:8.2f}x  "
              f"{r['peer_name']}; {r['unit']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    slices, repeats = (5, 2) if args.quick else (20, 5)
    rows = bench_single(slices) + bench_batch(repeats) + bench_worst_case() + bench_cold_start(repeats)
    rows += bench_others(slices)
    for section in ["compare_conversations", "compare_zstd"]:
        try:
            module = importlib.import_module(section)
        except ImportError:
            continue
        takes_quick = "quick" in module.run.__code__.co_varnames
        section = module.run(quick=args.quick) if takes_quick else module.run()
        rows += [normalized(r) for r in section if r.get("ratio") is not None]
    print(f"tokenizer_rs {tokenizer_rs.__version__} vs peers, {os.cpu_count()} cores")
    print_table(rows)


if __name__ == "__main__":
    main()
