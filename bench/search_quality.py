"""Search quality on a real list: aliases and original-script names as queries, plus perturbed primary names.

Each query is built from one entry and should find that entry: top-1 and top-5 recall, per kind of query.
Targets on the 2024-09-26 list: top-1 at least 95%, top-5 at least 99%.

    .venv/bin/python bench/search_quality.py [--list PATH] [--seed N] [--misses 20]
"""

from __future__ import annotations

import argparse
import random
import string
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.models import Entry, ListVersion  # noqa: E402
from bot.normalize import fold  # noqa: E402
from bot.services.search import SearchIndex  # noqa: E402
from bot.sources.un_xml import parse_consolidated_list  # noqa: E402
from tests.shared_files import un_list  # noqa: E402


def perturb_case(name: str, rng: random.Random) -> str:
    """Title case or lower case, whichever differs from the name."""
    return name.lower() if name != name.lower() else name.upper()


def perturb_hyphens(name: str, rng: random.Random) -> str | None:
    """Hyphens removed (words joined) when there are any, else the spaces of one word pair removed."""
    if "-" in name:
        return name.replace("-", "")
    words = name.split()
    if len(words) < 2:
        return None
    i = rng.randrange(len(words) - 1)
    return " ".join([*words[:i], words[i] + words[i + 1], *words[i + 2 :]])


def perturb_swap(name: str, rng: random.Random) -> str | None:
    """Two words swapped (the first and the last: how surnames move)."""
    words = name.split()
    if len(words) < 2:
        return None
    words[0], words[-1] = words[-1], words[0]
    return " ".join(words)


def perturb_typo(name: str, rng: random.Random) -> str | None:
    """One character substituted, deleted, inserted or two neighbours transposed, at a letter."""
    positions = [i for i, ch in enumerate(name) if ch.isalpha()]
    if len(positions) < 4:
        return None
    i = rng.choice(positions)
    op = rng.choice(("sub", "del", "ins", "swap"))
    letter = rng.choice(string.ascii_lowercase)
    letter = letter.upper() if name[i].isupper() else letter
    if op == "sub":
        out = name[:i] + letter + name[i + 1 :]
    elif op == "del":
        out = name[:i] + name[i + 1 :]
    elif op == "ins":
        out = name[:i] + letter + name[i:]
    else:
        j = i + 1 if i + 1 < len(name) else i - 1
        a, b = sorted((i, j))
        out = name[:a] + name[b] + name[a] + name[b + 1 :]
    return out if fold(out) != fold(name) else None


PERTURBATIONS = {
    "case change": perturb_case,
    "hyphen removal": perturb_hyphens,
    "token swap": perturb_swap,
    "one-character typo": perturb_typo,
}


def build_queries(entries: list[Entry], rng: random.Random) -> list[tuple[str, str, str]]:
    """(kind of query, query text, expected reference)."""
    out: list[tuple[str, str, str]] = []
    for e in entries:
        for alias in e.aliases:
            if fold(alias.name):
                out.append(("alias", alias.name, e.reference))
        if fold(e.name_original_script):
            out.append(("original script", e.name_original_script, e.reference))
        for label, fn in PERTURBATIONS.items():
            q = fn(e.name, rng)
            if q and len(q) <= 100 and fold(q):
                out.append((label, q, e.reference))
    return out


def main() -> None:
    """Build the queries, run them, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", type=Path, default=None, help="list XML (default: the shared 2024-09-26 copy)")
    parser.add_argument("--seed", type=int, default=1718)
    parser.add_argument("--misses", type=int, default=15, help="show this many top-1 misses")
    args = parser.parse_args()
    path = args.list or un_list("2024-09-26")
    parsed = parse_consolidated_list(path.read_bytes())
    version = ListVersion(0, parsed.generated_at, "", str(path), "", len(parsed.entries), 0, 0, 0)
    index = SearchIndex(version, parsed.entries)
    queries = build_queries(list(parsed.entries), random.Random(args.seed))
    # Over-long queries are refused by the command (100 characters): search what a user could type.
    queries = [(k, q if len(q) <= 100 else q[:100].rsplit(" ", 1)[0], r) for k, q, r in queries]
    stats: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    misses = []
    started = time.perf_counter()
    for kind, query, expected in queries:
        refs = [h.reference for h in index.search(query, limit=5)]
        row = stats[kind]
        row[0] += 1
        row[1] += bool(refs) and refs[0] == expected
        row[2] += expected in refs
        if not refs or refs[0] != expected:
            misses.append((kind, query, expected, refs[:3]))
    seconds = time.perf_counter() - started
    print(
        f"Search quality on the list generated {parsed.generated_date} ({len(parsed.entries)} entries, "
        f"{index.name_count} indexed names), seed {args.seed}"
    )
    print()
    print(f"{'queries':<20} {'n':>6} {'top-1':>8} {'top-5':>8}")
    total = [0, 0, 0]
    for kind in ("alias", "original script", *PERTURBATIONS):
        n, t1, t5 = stats[kind]
        total = [total[0] + n, total[1] + t1, total[2] + t5]
        if n:
            print(f"{kind:<20} {n:>6} {t1 / n:>8.1%} {t5 / n:>8.1%}")
    n, t1, t5 = total
    print(f"{'all':<20} {n:>6} {t1 / n:>8.1%} {t5 / n:>8.1%}")
    print()
    print(
        f"targets: top-1 >= 95%: {'met' if t1 / n >= 0.95 else 'NOT met'}; "
        f"top-5 >= 99%: {'met' if t5 / n >= 0.99 else 'NOT met'}  "
        f"({seconds:.1f} s, {seconds / n * 1000:.2f} ms/query)"
    )
    if misses and args.misses:
        print()
        print(f"first {min(args.misses, len(misses))} of {len(misses)} top-1 misses (kind, query, expected, got):")
        for kind, query, expected, got in misses[: args.misses]:
            print(f"  {kind:<18} {query[:60]!r:<64} {expected:<8} {got}")


if __name__ == "__main__":
    main()
