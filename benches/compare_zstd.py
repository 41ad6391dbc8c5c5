"""zstd payloads side by side: tokenizer_rs against python-zstandard on the same inputs.

    python benches/compare_zstd.py            # full run (about a minute)
    python benches/compare_zstd.py --quick    # fewer repeats, for a smoke test

Both libraries wrap the same zstd C library, so compressed sizes at a level match byte for
byte (we always write a checksum, so python-zstandard is configured to write one too). What
differs is the glue: argument conversion, context reuse, GIL release, output buffers.

Each row times the same work for both, alternating who goes first, and reports medians.
`ratio` is peer time / our time: above 1 means we are faster. The peer is python-zstandard
used the way its documentation recommends (one ZstdCompressor / ZstdDecompressor reused);
batch rows also compare against our own one-call-per-payload loop (the batch speed-up) and
against python-zstandard's multi-threaded multi_*_to_buffer. The dictionary rows report the
compression-ratio gain on chat-sized JSON messages in their note.

`run()` is what benches/compare.py calls: it returns rows (dicts with name, ours_seconds,
peer_seconds, ratio, note, and the ours/peer/peer_name/unit fields of compare.py's table).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from collections.abc import Callable
from typing import Any, Optional

import zstandard

import tokenizer_rs

Row = dict[str, Any]
MiB = 1 << 20

COMMON = (
    "the of and to a in is it you that he was for on are with as I his they be at one have this "
    "from or had by hot word but what some we can out other were all there when up use your how "
    "said an each she which do their time if will way about many then them write would like so "
    "these her long make thing see him two has look more day could go come did number sound no "
    "most people my over know water than call first who may down side been now find any new work "
    "part take get place made live where after back little only round man year came show every "
    "good me give our under name very through just form sentence great think say help low line "
    "differ turn cause much mean before move right boy old too same tell does set three want air "
    "well also play small end put home read hand port large spell add even land here must big "
    "high such follow act why ask men change went light kind off need house picture try us again "
    "animal point mother world near build self earth father model token budget context message "
    "assistant user system tool function result error value file"
).split()


def vocabulary() -> list[str]:
    """Common English words, then a long tail of invented ones (names, identifiers)."""
    rng = random.Random(0x5EED)
    letters = "etaoinshrdlucmfwypvbgkjqxz"
    tail = ["".join(letters[rng.randrange(14) + rng.randrange(13)] for _ in range(4 + rng.randrange(4) + rng.randrange(5))) for _ in range(2000)]
    return COMMON + tail


def words(rng: random.Random, vocab: list[str], count: int) -> str:
    # A cubed uniform pick skews strongly towards the common words, like Zipf's law.
    return " ".join(vocab[int(len(vocab) * rng.random() ** 3)] for _ in range(count))


def text(size: int, seed: int) -> bytes:
    """Deterministic prose-like text (about 3:1 at level 3)."""
    rng, vocab = random.Random(seed), vocabulary()
    lines, total = [], 0
    while total < size:
        line = words(rng, vocab, 5 + rng.randrange(20)) + ".\n"
        lines.append(line)
        total += len(line)
    return "".join(lines).encode()[:size]


def chat_messages(count: int, seed: int) -> list[bytes]:
    """Chat-sized JSON messages (about 200-800 bytes), as an agent stores them."""
    rng, vocab = random.Random(seed), vocabulary()
    out = []
    for i in range(count):
        target, content = 150 + rng.randrange(550), ""
        while len(content) < target:
            content += words(rng, vocab, 8) + " "
        message = {"id": f"msg_{i:06d}", "role": rng.choice(["user", "assistant", "tool"]), "content": content.strip()}
        out.append(json.dumps(message).encode())
    return out


def pair(ours: Callable[[], object], peer: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Median seconds of each, alternating who goes first, after one warm-up call each."""
    ours(), peer()
    ours_t: list[float] = []
    peer_t: list[float] = []
    for i in range(repeats):
        order = [(ours, ours_t), (peer, peer_t)]
        for fn, times in order if i % 2 == 0 else order[::-1]:
            start = time.perf_counter()
            result = fn()
            times.append(time.perf_counter() - start)
            del result  # freeing the result is not part of the call being measured
    return statistics.median(ours_t), statistics.median(peer_t)


def row(name: str, ours: float, peer: float, peer_name: str, note: str = "") -> Row:
    ratio = peer / ours if ours else float("inf")
    return {
        "name": name,
        "ours_seconds": ours,
        "peer_seconds": peer,
        "ratio": ratio,
        "note": note,
        # The fields of benches/compare.py's table.
        "ours": ours * 1000,
        "peer": peer * 1000,
        "peer_name": peer_name,
        "unit": "ms" + (f"; {note}" if note else ""),
    }


def bench_text(repeats: int) -> list[Row]:
    rows = []
    data = text(MiB, 42)
    for level in (1, 3, 9, 19):
        peer_c = zstandard.ZstdCompressor(level=level, write_checksum=True)
        ours_frame, peer_frame = tokenizer_rs.compress_payload(data, level), peer_c.compress(data)
        n = max(3, repeats // 4) if level == 19 else repeats
        o, p = pair(lambda: tokenizer_rs.compress_payload(data, level), lambda: peer_c.compress(data), n)
        note = f"{len(data) / len(ours_frame):.2f}:1, peer {len(data) / len(peer_frame):.2f}:1"
        rows.append(row(f"zstd compress 1 MiB text, level {level}", o, p, "python-zstandard", note))
        peer_d = zstandard.ZstdDecompressor()
        o, p = pair(lambda: tokenizer_rs.decompress_payload(ours_frame), lambda: peer_d.decompress(peer_frame), repeats)
        rows.append(row(f"zstd decompress 1 MiB text, level {level}", o, p, "python-zstandard"))

    big = b"".join(data[i * 4099 :] + data[: i * 4099] for i in range(32))  # 32 MiB, not one block repeated
    peer_c, peer_d = zstandard.ZstdCompressor(level=3, write_checksum=True), zstandard.ZstdDecompressor()
    n = max(3, repeats // 3)
    o, p = pair(lambda: tokenizer_rs.compress_payload(big), lambda: peer_c.compress(big), n)
    rows.append(row("zstd compress 32 MiB text, level 3", o, p, "python-zstandard"))
    frame = tokenizer_rs.compress_payload(big)
    o, p = pair(lambda: tokenizer_rs.decompress_payload(frame), lambda: peer_d.decompress(frame), n)
    rows.append(row("zstd decompress 32 MiB text, level 3", o, p, "python-zstandard"))
    return rows


def bench_messages(repeats: int) -> list[Row]:
    rows = []
    messages = chat_messages(2000, 7)
    peer_c, peer_d = zstandard.ZstdCompressor(level=3, write_checksum=True), zstandard.ZstdDecompressor()
    frames = tokenizer_rs.compress_payload_batch(messages)
    cores = os.cpu_count() or 1

    # The loops keep their results, as a caller would (and as the batch does): a loop that
    # drops each result at once leaves the allocator in a state that makes the *next* batch
    # call pay for fresh arenas, which measured the allocator instead of zstd.
    def ours_loop() -> list[bytes]:
        return [tokenizer_rs.compress_payload(m) for m in messages]

    def ours_dloop() -> list[bytes]:
        return [tokenizer_rs.decompress_payload(f) for f in frames]

    o, p = pair(ours_loop, lambda: [peer_c.compress(m) for m in messages], repeats)
    rows.append(row("zstd compress 2000 chat messages, one call each", o, p, "python-zstandard"))
    o, p = pair(ours_dloop, lambda: [peer_d.decompress(f) for f in frames], repeats)
    rows.append(row("zstd decompress 2000 chat messages, one call each", o, p, "python-zstandard"))

    batch = lambda: tokenizer_rs.compress_payload_batch(messages)  # noqa: E731
    o, p = pair(batch, ours_loop, repeats)
    rows.append(row(f"zstd compress_payload_batch 2000 messages vs our loop ({cores} cores)", o, p, "tokenizer_rs loop", "batch speed-up"))
    o, p = pair(batch, lambda: peer_c.multi_compress_to_buffer(list[Any](messages), threads=cores), repeats)
    rows.append(row("zstd compress_payload_batch vs multi_compress_to_buffer", o, p, "python-zstandard", f"threads={cores}; peer returns one buffer, we a list of bytes"))
    dbatch = lambda: tokenizer_rs.decompress_payload_batch(frames)  # noqa: E731
    o, p = pair(dbatch, ours_dloop, repeats)
    rows.append(row(f"zstd decompress_payload_batch 2000 messages vs our loop ({cores} cores)", o, p, "tokenizer_rs loop", "batch speed-up"))
    o, p = pair(dbatch, lambda: peer_d.multi_decompress_to_buffer(list[Any](frames), threads=cores), repeats)
    rows.append(row("zstd decompress_payload_batch vs multi_decompress_to_buffer", o, p, "python-zstandard", f"threads={cores}"))
    return rows


def bench_dictionary(repeats: int) -> list[Row]:
    rows = []
    training, held_out = chat_messages(4000, 8), chat_messages(1000, 9)
    n = max(1, repeats // 4)
    ours_t: list[float] = []
    peer_t: list[float] = []
    for _ in range(n):
        start = time.perf_counter()
        ours_dict = tokenizer_rs.train_dictionary(training)
        ours_t.append(time.perf_counter() - start)
        start = time.perf_counter()
        peer_dict = zstandard.train_dictionary(112_640, list[Any](training))
        peer_t.append(time.perf_counter() - start)
    gains = {}
    for name, raw in (("ours", ours_dict), ("peer", peer_dict.as_bytes())):
        plain = sum(len(tokenizer_rs.compress_payload(m)) for m in held_out)
        with_dict = sum(len(tokenizer_rs.compress_payload(m, dict=raw)) for m in held_out)
        gains[name] = (plain, with_dict)
    raw_size = sum(map(len, held_out))
    plain, with_dict = gains["ours"]
    gain_note = (
        f"{raw_size / with_dict:.2f}:1 with dict vs {raw_size / plain:.2f}:1 without ({plain / with_dict:.2f}x smaller); "
        f"peer's dict {raw_size / gains['peer'][1]:.2f}:1"
    )
    rows.append(row("zstd train_dictionary, 4000 chat messages, 110 KiB", statistics.median(ours_t), statistics.median(peer_t), "python-zstandard", gain_note))

    peer_dict = zstandard.ZstdCompressionDict(ours_dict)
    peer_c = zstandard.ZstdCompressor(level=3, dict_data=peer_dict, write_checksum=True)
    peer_d = zstandard.ZstdDecompressor(dict_data=peer_dict)
    frames = [tokenizer_rs.compress_payload(m, dict=ours_dict) for m in held_out]
    o, p = pair(lambda: [tokenizer_rs.compress_payload(m, dict=ours_dict) for m in held_out], lambda: [peer_c.compress(m) for m in held_out], repeats)
    rows.append(row("zstd compress 1000 chat messages with a dictionary", o, p, "python-zstandard", gain_note))
    o, p = pair(lambda: [tokenizer_rs.decompress_payload(f, dict=ours_dict) for f in frames], lambda: [peer_d.decompress(f) for f in frames], repeats)
    rows.append(row("zstd decompress 1000 chat messages with a dictionary", o, p, "python-zstandard"))
    return rows


def run(report: Optional[Any] = None, quick: bool = False) -> list[Row]:
    """All rows. `report`, when given, receives each row too: called if callable, extended if
    a list (so compare.py can pass its printer or its row list)."""
    repeats = 5 if quick else 21
    rows = bench_text(repeats) + bench_messages(repeats) + bench_dictionary(repeats)
    if callable(report):
        for r in rows:
            report(r)
    elif isinstance(report, list):
        report.extend(rows)
    return rows


def print_table(rows: list[Row]) -> None:
    print(f"{'benchmark':66} {'ours ms':>9} {'peer ms':>9} {'peer':>18} {'ratio':>7}  note")
    for r in rows:
        print(f"{r['name']:66} {r['ours_seconds'] * 1000:9.3f} {r['peer_seconds'] * 1000:9.3f} {r['peer_name']:>18} {r['ratio']:6.2f}x  {r['note']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    rows = run(quick=args.quick)
    print(f"tokenizer_rs {tokenizer_rs.__version__} vs python-zstandard {zstandard.__version__} (zstd {zstandard.ZSTD_VERSION}), {os.cpu_count()} cores")
    print("ratio = peer time / our time (> 1: we are faster); medians of alternating repeats")
    print_table(rows)


if __name__ == "__main__":
    main()
