"""One-time costs a process pays, each measured in a fresh process:

    python benches/one_time_costs.py

- loading each vocabulary (import, then the first count on cl100k_base and on o200k_base) and
  the process's peak RSS after both;
- the backtracking encoder's tables (built the first time a piece of 1 KB or more without a
  split point is met): time and resident memory they add, per encoding;
- the character table of the merge of non-ASCII pieces (built the first time such a piece is
  not one token): time and resident memory, per encoding, against the same call made again;
- loading fastokens for cl100k_base and o200k_base, and the peak RSS it adds, if fastokens is
  installed (the README's comparison of the field quotes these);
- the same for HF tokenizers and tokie, if installed, from the `tokenizer.json` files that
  `benches/hf_format.py` builds from our ranks (built here first, outside the measured process).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tempfile
import textwrap

VOCABULARIES = textwrap.dedent(
    """
    import resource, time
    start = time.perf_counter()
    import tokenizer_rs
    times = [f"import {(time.perf_counter() - start) * 1e3:.0f} ms"]
    for encoding in ("cl100k_base", "o200k_base"):
        start = time.perf_counter()
        tokenizer_rs.count_tokens("hello world", encoding)
        times.append(f"{encoding} {(time.perf_counter() - start) * 1e3:.0f} ms")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("load: " + ", ".join(times) + f"; peak RSS {peak:.1f} MiB")
    """
)

# A fresh process with the vocabulary of `sys.argv[1]` loaded, and a resident-memory reading.
LOADED = textwrap.dedent(
    """
    import sys, time, tokenizer_rs
    def rss_mib():
        for line in open("/proc/self/status"):
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    encoding = sys.argv[1]
    tokenizer_rs.count_tokens("hello", encoding)  # the vocabulary, loaded before timing
    """
)

BACKTRACK = LOADED + textwrap.dedent(
    """
    before, start = rss_mib(), time.perf_counter()
    tokenizer_rs.count_tokens("x" * 2000, encoding)
    print(f"backtracking tables {encoding}: {(time.perf_counter() - start) * 1e3:.0f} ms, "
          f"{rss_mib() - before:.1f} MiB")
    """
)

CHARACTERS = LOADED + textwrap.dedent(
    """
    text = "我们今天去公园散步，然后回家"
    times = []
    before = rss_mib()
    for _ in range(2):
        start = time.perf_counter()
        tokenizer_rs.count_tokens(text, encoding)
        times.append((time.perf_counter() - start) * 1e3)
    print(f"character table {encoding}: first non-ASCII merge {times[0]:.1f} ms, "
          f"the same again {times[1]:.3f} ms, {rss_mib() - before:.1f} MiB")
    """
)

FASTOKENS = textwrap.dedent(
    """
    import os, resource, sys, tempfile, time
    sys.path.insert(0, "tests")
    from reference import serialize_tiktoken_file
    import tokenizer_rs
    folder, paths = tempfile.mkdtemp(), {}
    for name in ("cl100k_base", "o200k_base"):
        ranks = tokenizer_rs.get_encoding(name)._mergeable_ranks
        paths[name] = os.path.join(folder, name + ".tiktoken")
        with open(paths[name], "wb") as handle:
            handle.write(serialize_tiktoken_file(dict(ranks)))
    import fastokens
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for name, path in paths.items():
        start = time.perf_counter()
        fastokens.Tokenizer.from_tiktoken(path, encoding=name).encode("hello world")
        print(f"fastokens load {name}: {time.perf_counter() - start:.2f} s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"fastokens peak RSS added: {peak - before:.0f} MiB")
    """
)

# Loading a `tokenizer.json` reader (`sys.argv[1]`: tokenizers or tokie) for each file after it.
HF_FORMAT = textwrap.dedent(
    """
    import importlib, sys, time
    def peak_mib():
        # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent that forked this
        # process, which built the files and is larger than anything measured here.
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024
    module, paths = sys.argv[1], sys.argv[2:]
    library = importlib.import_module(module)
    load = library.Tokenizer.from_file if module == "tokenizers" else library.Tokenizer.from_json
    before = peak_mib()
    for path in paths:
        start = time.perf_counter()
        load(path).encode("hello world")
        print(f"{module} load {path.rsplit('/', 1)[-1]}: {time.perf_counter() - start:.2f} s")
    print(f"{module} peak RSS added: {peak_mib() - before:.0f} MiB")
    """
)


def hf_format_loads() -> None:
    """HF_FORMAT for each installed reader of `tokenizer.json`."""
    readers = [m for m in ("tokenizers", "tokie") if importlib.util.find_spec(m) is not None]
    if not readers:
        print("neither tokenizers nor tokie is installed: skipped")
        return
    sys.path[:0] = ["tests", "benches"]
    from hf_format import save_tokenizer_json
    from reference import reference

    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for name in ("cl100k_base", "o200k_base"):
            encoding = reference(name)
            path = os.path.join(folder, name + ".json")
            ranks = dict(encoding._mergeable_ranks)
            paths.append(save_tokenizer_json(path, ranks, encoding._pat_str))
        for module in readers:
            subprocess.run([sys.executable, "-c", HF_FORMAT, module, *paths], check=True)


def main() -> None:
    for _ in range(3):
        subprocess.run([sys.executable, "-c", VOCABULARIES], check=True)
    for encoding in ("cl100k_base", "o200k_base"):
        subprocess.run([sys.executable, "-c", BACKTRACK, encoding], check=True)
    for _ in range(3):
        for encoding in ("cl100k_base", "o200k_base"):
            subprocess.run([sys.executable, "-c", CHARACTERS, encoding], check=True)
    if importlib.util.find_spec("fastokens") is None:
        print("fastokens is not installed: skipped")
    else:
        subprocess.run([sys.executable, "-c", FASTOKENS], check=True)
    hf_format_loads()


if __name__ == "__main__":
    main()
