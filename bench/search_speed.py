"""Search and autocomplete speed on the real list and on a synthetic list 50 times larger, plus index memory.

The synthetic list copies every real entry 49 more times; each copy renames its entry consistently (every
word of every name changed in one or two letters, the same way within that copy), so the vocabulary and the
number of near-identical names grow with the list: harder for typo search than a real list that size.

    .venv/bin/python bench/search_speed.py [--factor 50] [--queries 2000] [--seed 1718]

Targets: search p99 under 5 ms and autocomplete p99 under 5 ms on the real list; under 50 ms at 50×.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.search_quality import NEGATIVES, build_queries, positive_queries  # noqa: E402
from bot.models import Alias, Entry, ListVersion  # noqa: E402
from bot.services.search import SearchIndex  # noqa: E402
from bot.sources.un_xml import parse_consolidated_list  # noqa: E402
from tests.shared_files import un_list  # noqa: E402

LATIN = "abcdefghijklmnopqrstuvwxyz"


def rename_word(word: str, rng: random.Random) -> str:
    """The word with one or two letters changed (letters from its own script)."""
    letters = [i for i, ch in enumerate(word) if ch.isalpha()]
    if not letters:
        return word
    pool = LATIN if word.isascii() else "".join(sorted(set(word))) or word
    chars = list(word)
    for i in rng.sample(letters, min(len(letters), rng.choice((1, 2)))):
        ch = rng.choice(pool)
        chars[i] = ch.upper() if chars[i].isupper() else ch
    return "".join(chars)


def rename(text: str, table: dict[str, str], rng: random.Random) -> str:
    """A name with every word renamed through this copy's table (filled as new words appear)."""
    out = []
    for word in text.split(" "):
        if word not in table:
            table[word] = rename_word(word, rng)
        out.append(table[word])
    return " ".join(out)


def synthetic(entries: list[Entry], factor: int, seed: int) -> list[Entry]:
    """The real entries plus factor-1 renamed copies of each."""
    out = list(entries)
    for copy in range(1, factor):
        rng = random.Random(seed * 1000 + copy)
        table: dict[str, str] = {}
        for e in entries:
            out.append(
                dataclasses.replace(
                    e,
                    reference=f"{e.reference}/{copy}",
                    first_name=rename(e.first_name, table, rng),
                    second_name=rename(e.second_name, table, rng),
                    third_name=rename(e.third_name, table, rng),
                    fourth_name=rename(e.fourth_name, table, rng),
                    name_original_script=rename(e.name_original_script, table, rng),
                    aliases=tuple(Alias(rename(a.name, table, rng), a.quality) for a in e.aliases),
                )
            )
    return out


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    """p50, p99 and max, in milliseconds."""
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) * 1000, p99 * 1000, ordered[-1] * 1000


CPU: dict[str, list[float]] = {}


def timed(fn, inputs: list[str], label: str = "") -> list[float]:
    """Wall time of fn(x) for each input (CPU time kept too, under label: the machine may be shared)."""
    out = []
    cpu = CPU.setdefault(label, [])
    for x in inputs:
        started, started_cpu = time.perf_counter(), time.thread_time()
        fn(x)
        out.append(time.perf_counter() - started)
        cpu.append(time.thread_time() - started_cpu)
    return out


def build(version: ListVersion, entries: list[Entry]) -> tuple[SearchIndex, float, float]:
    """The index, its build time (s), and the memory an index holds (MB, a second build under tracemalloc)."""
    gc.collect()
    started = time.perf_counter()
    index = SearchIndex(version, entries)
    seconds = time.perf_counter() - started
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    traced = SearchIndex(version, entries)
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    del traced
    return index, seconds, held / 2**20


def typing_prefixes(names: list[str], rng: random.Random, count: int) -> list[str]:
    """What autocomplete sees while someone types: prefixes of real names, of every length."""
    out = []
    while len(out) < count:
        name = rng.choice(names)[:40]
        out.extend(name[:n] for n in range(1, len(name) + 1))
    return out[:count]


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factor", type=int, default=50)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1718)
    args = parser.parse_args()
    parsed = parse_consolidated_list(un_list("2024-09-26").read_bytes())
    real = list(parsed.entries)
    rng = random.Random(args.seed)
    queries = [q for _k, q, _r in build_queries(real, rng) if len(q) <= 100]
    rng.shuffle(queries)
    queries = queries[: args.queries]
    # Issue 10's kinds (legal forms left out, first + last, notes, identifiers, Hangul, …) and the negatives.
    extra = [q for _k, q, _r in positive_queries(real, rng)] + [n for names in NEGATIVES.values() for n in names]
    rng.shuffle(extra)
    queries += extra[: args.queries // 2]
    names = [e.name for e in real] + [a.name for e in real for a in e.aliases]
    prefixes = typing_prefixes(names, rng, args.queries)
    refs = [e.reference for e in real]
    ref_prefixes = [r[:n] for r in rng.sample(refs, min(len(refs), args.queries // 7 + 1)) for n in range(1, 8)]

    rows = []
    for label, entries in (
        ("real", real),
        (f"{args.factor}x synthetic", synthetic(real, args.factor, args.seed)),
    ):
        version = ListVersion(0, parsed.generated_at, "", label, "", len(entries), 0, 0, 0)
        index, build_s, mb = build(version, entries)
        index.search("warm up")  # first-call costs (numpy, rapidfuzz) out of the way
        search = percentiles(timed(index.search, queries, f"{label} search"))
        complete = percentiles(timed(index.name_choices, prefixes, f"{label} autocomplete"))
        complete_ref = percentiles(timed(index.reference_choices, ref_prefixes, f"{label} references"))
        rows.append(
            (
                label,
                len(entries),
                index.name_count,
                len(index.postings.words),
                build_s,
                mb,
                search,
                complete,
                complete_ref,
            )
        )

    print(
        f"Search speed: {len(queries)} queries (aliases, original script, perturbed names), {len(prefixes)} "
        f"name prefixes and {len(ref_prefixes)} reference prefixes as typed; one process, one core."
    )
    print()
    print(f"{'list':<16} {'entries':>8} {'names':>8} {'words':>8} {'build s':>8} {'index MB':>9}")
    for label, n_entries, n_names, n_words, build_s, mb, *_ in rows:
        print(f"{label:<16} {n_entries:>8,} {n_names:>8,} {n_words:>8,} {build_s:>8.2f} {mb:>9.1f}")
    print()
    print(f"{'list':<16} {'what':<24} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for label, *_rest, search, complete, complete_ref in rows:
        for what, (p50, p99, worst) in (
            ("search", search),
            ("autocomplete: name", complete),
            ("autocomplete: reference", complete_ref),
        ):
            print(f"{label:<16} {what:<24} {p50:>8.2f} {p99:>8.2f} {worst:>8.2f}")
    print()
    for label, samples in CPU.items():
        if samples:
            p50, p99, worst = percentiles(samples)
            print(f"CPU time, {label:<24} p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {worst:.2f} ms")


if __name__ == "__main__":
    main()
