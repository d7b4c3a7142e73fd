"""Pinyin search keys for Chinese names (pypinyin 0.55 semantics).

``search_keys("曾小贤")`` -> ``"cengxiaoxian cxx zengxiaoxian zxx"``: for
every combination of readings of polyphonic characters (capped at
:data:`MAX_COMBINATIONS`), the full pinyin joined and the initials. The
result is stored on the model and searched with ``icontains``.

Pure module: no Django imports at all.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Iterator, Sequence

from pypinyin import Style, pinyin

__all__ = ["MAX_COMBINATIONS", "initials", "search_keys"]

#: Maximum number of reading combinations expanded per text.
MAX_COMBINATIONS = 16

# pypinyin's NORMAL style writes ü as "v" already; ê can still appear (欸).
_READING_FOLD = str.maketrans({"ê": "e", "ü": "v"})

# One alternative for one character: (full reading, initial).
_Alternative = tuple[str, str]


def _keep_chars(chunk: str) -> list[str]:
    """pypinyin ``errors`` callback: keep non-Chinese characters one by one."""
    return list(chunk)


def _slots(text: str) -> list[list[_Alternative]]:
    """Per character, the distinct (full, initial) alternatives, first reading first.

    Chinese characters contribute their readings; other letters and digits
    contribute themselves, lower-cased; whitespace and punctuation are dropped.
    """
    if not text:
        return []
    text = unicodedata.normalize("NFKC", str(text))
    readings = pinyin(text, style=Style.NORMAL, heteronym=True, errors=_keep_chars)
    slots: list[list[_Alternative]] = []
    for item in readings:
        alternatives: dict[str, _Alternative] = {}
        for reading in item:
            cleaned = "".join(ch for ch in reading.lower().translate(_READING_FOLD) if ch.isalnum())
            if cleaned and cleaned not in alternatives:
                alternatives[cleaned] = (cleaned, cleaned[0])
        if alternatives:
            slots.append(list(alternatives.values()))
    return slots


def _choices(sizes: Sequence[int], limit: int) -> Iterator[tuple[int, ...]]:
    """Yield up to ``limit`` index tuples (one index per slot).

    Ordered by the number of "steps away" from the first readings (the sum of
    the indices), so the all-first-readings combination comes first, then
    every single-character variation (earlier characters first), and so on.
    Lazy: never materialises the full cartesian product.
    """
    varying = [i for i, size in enumerate(sizes) if size > 1]
    max_cost = sum(sizes[i] - 1 for i in varying)
    produced = 0
    for cost in range(max_cost + 1):
        for multiset in itertools.combinations_with_replacement(range(len(varying)), cost):
            indices = [0] * len(sizes)
            for position in multiset:
                indices[varying[position]] += 1
            if any(indices[i] >= sizes[i] for i in varying):
                continue
            yield tuple(indices)
            produced += 1
            if produced >= limit:
                return


def search_keys(text: str) -> str:
    """Space-separated, lower-case, de-duplicated pinyin search keys.

    For each combination of readings (first readings first, at most
    :data:`MAX_COMBINATIONS`) the full pinyin (``"zhangsan"``) followed by the
    initials (``"zs"``). Latin letters and digits are kept, lower-cased, in
    both forms (``"张三A"`` -> ``"zhangsana zsa"``). Deterministic.
    """
    slots = _slots(text)
    if not slots:
        return ""
    keys: dict[str, None] = {}
    for choice in _choices([len(slot) for slot in slots], MAX_COMBINATIONS):
        picked = [slot[index] for slot, index in zip(slots, choice, strict=True)]
        keys.setdefault("".join(full for full, _initial in picked))
        keys.setdefault("".join(initial for _full, initial in picked))
    return " ".join(keys)


def initials(text: str) -> str:
    """Initials of the first reading of each character (``"张三"`` -> ``"zs"``).

    Always one of the keys produced by :func:`search_keys` for the same text.
    """
    return "".join(slot[0][1] for slot in _slots(text))
