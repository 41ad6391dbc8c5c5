"""Side-by-side timings: tokenizer_rs against the libraries users would pick instead, on the same
inputs in one process, reported as ratios (peer time / our time; > 1 means we are faster).

    python benches/compare.py            # full run (a few minutes)
    python benches/compare.py --quick    # fewer chunks and repeats, for a smoke test

Inputs are real text from the bench corpus, fixtures/bench/{english,code,multilingual}.txt
(sources in fixtures/README.md; remade by benches/make_corpus.py). Each file is cut, per
encoding, into consecutive non-overlapping chunks of ~10,000 tokens (at line ends; lines counted
by tiktoken, so our library never sees the text before it is timed), shuffled with a fixed seed,
and handed out from one pool per (file, encoding): count, encode and the other tokenizers each
draw fresh chunks, so our library is timed on any chunk at most once in a run, as is each peer,
with the order of the libraries alternating from chunk to chunk. No input is repeated, so a cache
of whole inputs cannot flatter a figure; a run that needs more chunks than the corpus has stops
with an error instead of reusing one. The batch rows alternate two sets of 20,000 distinct
corpus lines, each timing of ours on fresh threads (whose caches start empty, so a set counted
again is new to them); the worst cases are timed against the first 1 MB of english.txt.

PyPI tiktoken is built offline from our hash-checked ranks (tests/reference.py). Cold start and
peak memory are measured in fresh subprocesses, tiktoken reading its usual on-disk cache.
Sections for conversations and zstd come from compare_conversations.py / compare_zstd.py
when they are present.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, Sequence

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benches"))

import tokenizer_rs  # noqa: E402
from reference import fill_tiktoken_cache, reference  # noqa: E402

Row = dict[str, Any]
BENCH = ROOT / "fixtures" / "bench"
KINDS = {"english": "english.txt", "code": "code.txt", "multilingual": "multilingual.txt"}
ENCODINGS = ["cl100k_base", "o200k_base"]
CHUNK_TOKENS = 10_000
SEED = 20_250_520


def chunks_of_10k_tokens(text: str, count: Callable[[str], int]) -> list[str]:
    """`text` cut into consecutive, non-overlapping chunks at line ends, each ending at the
    first line end where the chunk reaches 10,000 tokens (lines counted one by one with
    `count`); the short remainder at the end is left out."""
    chunks, parts, tokens = [], [], 0
    for line in text.splitlines(keepends=True):
        parts.append(line)
        tokens += count(line)
        if tokens >= CHUNK_TOKENS:
            chunks.append("".join(parts))
            parts, tokens = [], 0
    return chunks


class ChunkPool:
    """The ~10k-token chunks of each bench file, per encoding, shuffled with a fixed seed and
    handed out once each: whoever takes chunks gets ones no one has taken before in this run."""

    def __init__(self) -> None:
        self.left: dict[tuple[str, str], list[tuple[str, int]]] = {}
        self.total: dict[tuple[str, str], int] = {}

    def take(self, kind: str, encoding: str, count: int) -> list[tuple[str, int]]:
        """`count` fresh (chunk, its exact token count) pairs of `kind` for `encoding`."""
        key = (kind, encoding)
        if key not in self.left:
            ref = reference(encoding)
            text = (BENCH / KINDS[kind]).read_text(encoding="utf-8")
            chunks = chunks_of_10k_tokens(text, lambda line: len(ref.encode(line, allowed_special="all")))
            random.Random(f"{SEED} {kind} {encoding}").shuffle(chunks)
            self.left[key] = [(c, len(ref.encode(c, allowed_special="all"))) for c in chunks]
            self.total[key] = len(chunks)
        left = self.left[key]
        if count > len(left):
            raise RuntimeError(
                f"fixtures/bench/{KINDS[kind]} gives {self.total[key]} chunks of 10k {encoding} "
                f"tokens and {len(left)} are left, but {count} more are needed: a chunk is never "
                "timed twice, so run fewer (--quick) or grow the corpus (benches/make_corpus.py)")
        self.left[key] = left[count:]
        return left[:count]


def distinct_lines(count: int) -> list[str]:
    """Distinct non-blank lines of the bench corpus, from all three files, shuffled (fixed seed);
    `count` of them or an error if the corpus has fewer."""
    seen: dict[str, None] = {}
    for fixture in KINDS.values():
        for line in (BENCH / fixture).read_text(encoding="utf-8").splitlines():
            if line.strip():
                seen[line] = None
    lines = list(seen)
    if count > len(lines):
        raise RuntimeError(f"the bench corpus has {len(lines):,} distinct lines, {count:,} are needed")
    random.Random(SEED).shuffle(lines)
    return lines[:count]


def in_turn(i: int, calls: Sequence[Callable[[], object]]) -> list[tuple[float, object]]:
    """Each call timed once, in rotating order (the first call goes first for i = 0, the second
    for i = 1, ...); (seconds, result) in the order of `calls`."""
    k = i % len(calls)
    out: list[tuple[float, object]] = [(0.0, None)] * len(calls)
    for j in list(range(k, len(calls))) + list(range(k)):
        out[j] = timed(calls[j])
    return out


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result  # freeing the result is not part of the call


def time_once(fn: Callable[[], object]) -> float:
    return timed(fn)[0]


def time_on_new_thread(fn: Callable[[], object]) -> float:
    """`time_once` on a thread of its own: our per-thread cache of merged pieces starts empty
    there, so a text timed more than once is each time new to us, as in a fresh process."""
    seconds: list[float] = []
    thread = threading.Thread(target=lambda: seconds.append(time_once(fn)))
    thread.start()
    thread.join()
    return seconds[0]


def per_10k(seconds: float, tokens: int) -> float:
    return seconds * 10_000 / tokens


def bench_single(pool: ChunkPool, count: int) -> list[Row]:
    rows = []
    for kind in KINDS:
        for encoding in ENCODINGS:
            ours, peer = tokenizer_rs.get_encoding(encoding), reference(encoding)
            ours.count("warm up"), peer.encode("warm up")
            for op in ["count", "encode"]:
                ours_t, peer_t = [], []
                for i, (s, n) in enumerate(pool.take(kind, encoding, count)):
                    ours_fn: Callable[[], object]
                    if op == "count":
                        ours_fn = lambda: tokenizer_rs.count_tokens(s, encoding)  # noqa: E731
                    else:
                        ours_fn = lambda: ours.encode(s, allowed_special="all")  # noqa: E731
                    peer_fn = lambda: len(peer.encode(s, allowed_special="all"))  # noqa: E731
                    # Each chunk is new to both libraries: alternate who goes first.
                    (ours_s, _), (peer_s, _) = in_turn(i, [ours_fn, peer_fn])
                    ours_t.append(per_10k(ours_s, n))
                    peer_t.append(per_10k(peer_s, n))
                rows.append(row(f"{op} 10k tokens {kind} {encoding}", ours_t, peer_t, "tiktoken",
                                "ms per 10k tokens, median over distinct chunks"))
    return rows


def other_tokenizers(encoding: str, workdir: str) -> dict[str, Callable[[str], int]]:
    """Counting functions of the other PyPI tokenizers that are installed (each optional):
    rs-bpe (github's `bpe`), fastokens, and HF tokenizers and tokie, which read the
    `tokenizer.json` that `hf_format.py` writes from the same ranks (nothing is downloaded)."""
    out: dict[str, Callable[[str], int]] = {}
    try:
        from rs_bpe.bpe import openai as rs_bpe_openai

        rs = getattr(rs_bpe_openai, encoding)()
        out["rs-bpe"] = rs.count
    except (ImportError, AttributeError):
        pass
    ranks = dict(reference(encoding)._mergeable_ranks)
    try:
        import fastokens

        from reference import serialize_tiktoken_file

        path = os.path.join(workdir, f"{encoding}.tiktoken")
        with open(path, "wb") as handle:
            handle.write(serialize_tiktoken_file(ranks))
        fast = fastokens.Tokenizer.from_tiktoken(path, encoding=encoding)
        out["fastokens"] = lambda text: len(fast.encode(text).ids)
    except (ImportError, AttributeError, ValueError):
        pass
    json_path = os.path.join(workdir, f"{encoding}.json")
    try:
        import tokenizers

        hf = tokenizers.Tokenizer.from_file(hf_json(json_path, ranks, encoding))
        out["HF tokenizers"] = lambda text: len(hf.encode(text, add_special_tokens=False).ids)
    except ImportError:
        pass
    try:
        import tokie

        out["tokie"] = tokie.Tokenizer.from_json(hf_json(json_path, ranks, encoding)).count_tokens
    except ImportError:
        pass
    return out


def hf_json(path: str, ranks: dict[bytes, int], encoding: str) -> str:
    """`path`, holding the encoding as a Hugging Face `tokenizer.json` (written on first use)."""
    if not os.path.exists(path):
        from hf_format import save_tokenizer_json

        save_tokenizer_json(path, ranks, reference(encoding)._pat_str)
    return path


def bench_others(pool: ChunkPool, count: int) -> list[Row]:
    """Our count against each installed peer on the same fresh chunks (ours and each peer count
    each chunk once, in rotating order); the note says whether the peer's counts equalled
    tiktoken's on every chunk."""
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for encoding in ENCODINGS:
            peers = other_tokenizers(encoding, workdir)
            if not peers:
                continue
            names = list(peers)
            for kind in KINDS:
                ours_t: list[float] = []
                peer_t: dict[str, list[float]] = {name: [] for name in names}
                exact = dict.fromkeys(names, True)
                for i, (s, n) in enumerate(pool.take(kind, encoding, count)):
                    calls = [lambda: tokenizer_rs.count_tokens(s, encoding)]
                    calls += [functools.partial(peers[name], s) for name in names]
                    (ours_s, _), *theirs = in_turn(i, calls)
                    ours_t.append(per_10k(ours_s, n))
                    for name, (seconds, peer_n) in zip(names, theirs):
                        peer_t[name].append(per_10k(seconds, n))
                        exact[name] = exact[name] and peer_n == n
                for name in names:
                    rows.append(row(f"count 10k tokens {kind} {encoding} vs {name}", ours_t, peer_t[name], name,
                                    "ms per 10k tokens; peer " + ("exact" if exact[name] else "NOT exact") + " here"))
    return rows


def bench_batch(rounds: int) -> list[Row]:
    """20,000 distinct lines of the corpus counted as one batch, `rounds` times, alternating
    between two sets of 20,000 (the corpus has about 50,000 distinct lines). Each round times
    our count_tokens_batch on one set, our loop of count_tokens on the other, and tiktoken's
    loop and encode_batch on the first; the rows give the medians over the rounds. Before each
    of our timings the thread pool is replaced (init_thread_pool) and the loop runs on a new
    thread, so our per-thread caches of merged pieces start empty: a set counted again is new
    to us each time (tiktoken keeps no cache)."""
    lines = distinct_lines(40_000)
    sets = [lines[:20_000], lines[20_000:]]
    peer = reference("o200k_base")
    threads = os.cpu_count() or 2
    # The batch uses every core; the rows after it run on the pool they ran on before
    # (TOKENIZER_RS_NUM_THREADS=1 times them on one core).
    threads_before = tokenizer_rs.current_num_threads()
    # Warm-up texts are not in the corpus.
    warm = [f"warm up {i}" for i in range(1_000)]
    peer.encode_batch(warm, num_threads=threads)
    ours_t: list[float] = []
    loop_t: list[float] = []
    peer_loop_t: list[float] = []
    peer_batch_t: list[float] = []
    for r in range(rounds):
        texts, other = sets[r % 2], sets[(r + 1) % 2]
        tokenizer_rs.init_thread_pool(threads)
        tokenizer_rs.count_tokens_batch(warm, "o200k_base")  # starts the new pool's threads
        calls: list[tuple[list[float], Callable[[], float]]] = [
            (ours_t, lambda: time_once(lambda: tokenizer_rs.count_tokens_batch(texts, "o200k_base"))),
            (loop_t, lambda: time_on_new_thread(lambda: [tokenizer_rs.count_tokens(t, "o200k_base") for t in other])),
            (peer_loop_t, lambda: time_once(lambda: [len(peer.encode(t, allowed_special="all")) for t in texts])),
            (peer_batch_t, lambda: time_once(
                lambda: [len(t) for t in peer.encode_batch(texts, allowed_special="all", num_threads=threads)])),
        ]
        k = r % len(calls)  # who goes first rotates
        for times, call in calls[k:] + calls[:k]:
            times.append(call())
    tokenizer_rs.init_thread_pool(threads_before)
    loop, batch = statistics.median(peer_loop_t), statistics.median(peer_batch_t)
    best_name, best_t = ("loop", peer_loop_t) if loop <= batch else ("encode_batch", peer_batch_t)
    tokens = [sum(len(peer.encode(t, allowed_special="all")) for t in group) for group in sets]
    return [
        row("count_tokens_batch 20,000 short texts o200k", ours_t, best_t, f"tiktoken best ({best_name})",
            f"ms per batch, median of {rounds}: distinct corpus lines, {tokens[0]:,} / {tokens[1]:,} tokens"),
        row("  ...vs a loop of count_tokens", ours_t, loop_t, "tokenizer_rs loop",
            f"ms per batch, median of {rounds}; the loop on the other set of 20,000 lines"),
    ]


TABLES_BUILD = """
import sys, time, tokenizer_rs
tokenizer_rs.count_tokens("hello world", sys.argv[1])
t0 = time.perf_counter()
tokenizer_rs.count_tokens("x" * 2000, sys.argv[1])
print(time.perf_counter() - t0)
"""


def bench_worst_case() -> list[Row]:
    """1 MB without a split point against 1 MB of prose, ours timed in five rounds of (prose, case),
    each call on a new thread so that no call finds the pieces of an earlier one in its cache;
    the ratio is of the two medians. Timing the two in turn keeps a slow spell of this shared
    machine from landing on one side only: with the prose timed once before all cases, the same
    build gave 2.5x-5.7x for random letters from run to run. Pieces of 1 KB or
    more use the backtracking encoder, whose tables are built once per process on the first
    such piece: that one-time cost is its own row (a fresh process), and is paid here before
    timing, as the vocabulary load is.

    Timed with a pool of one thread, so that every call runs on its own new thread only: a text
    of 24 KB or more with line breaks (the prose) is otherwise counted in parts on the pool's
    threads too (src/encoding/parts.rs), a text without any (the cases) is not, and the pool's
    threads keep their caches from one round to the next. The ratio checks that our cost is
    linear, so both sides run alike."""
    threads = tokenizer_rs.current_num_threads()
    tokenizer_rs.init_thread_pool(1)
    try:
        return worst_cases()
    finally:
        tokenizer_rs.init_thread_pool(threads)


def worst_cases() -> list[Row]:
    prose_1mb = (BENCH / "english.txt").read_text(encoding="utf-8")[:1_000_000]
    rng = random.Random(5)
    random_letters = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(1_000_000))
    rows = []
    for encoding in ["cl100k_base", "o200k_base"]:
        peer = reference(encoding)
        short = encoding.split("_")[0]
        tokenizer_rs.count_tokens("x" * 2000, encoding)
        base_peer = time_once(lambda: peer.encode_ordinary(prose_1mb))
        cases = [("1 MB of 'x'", "x" * 1_000_000),
                 ("1 MB of letters, no spaces", "abcdefghijklmnopqrstuvwxyz" * 38_462),
                 ("1 MB of random letters", random_letters)]
        for name, text in cases:
            # Each call on a new thread (see time_on_new_thread): the prose is new every time.
            prose_times, case_times = [], []
            for _ in range(5):
                prose_times.append(time_on_new_thread(lambda: tokenizer_rs.count_tokens(prose_1mb, encoding)))
                case_times.append(time_on_new_thread(lambda: tokenizer_rs.count_tokens(text, encoding)))
            base_ours, ours = statistics.median(prose_times), statistics.median(case_times)
            theirs = time_once(lambda: peer.encode_ordinary(text))
            rows.append(row(f"worst case {name} {short}", [ours], [theirs], "tiktoken",
                            f"ms; one thread; ours = {ours / base_ours:.1f}x our 1 MB of prose, tiktoken {theirs / base_peer:.1f}x its own"))
        build = [float(subprocess.run([sys.executable, "-c", TABLES_BUILD, encoding], capture_output=True,
                                      text=True, check=True).stdout) for _ in range(3)]
        rows.append(row(f"  ...one-time tables for pieces of 1 KB+ {short}", build, [float("nan")], "-",
                        "ms, first such piece in a fresh process; no peer"))
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
    parser.add_argument("--quick", action="store_true", help="fewer chunks and repeats")
    args = parser.parse_args()
    # Chunks per (file, encoding) and row: count, encode and the other tokenizers each take
    # this many fresh ones, 3 x 10 of the 32 or more each file gives.
    chunks, repeats = (4, 2) if args.quick else (10, 5)
    pool = ChunkPool()
    rows = bench_single(pool, chunks) + bench_batch(repeats) + bench_worst_case() + bench_cold_start(repeats)
    rows += bench_others(pool, chunks)
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
