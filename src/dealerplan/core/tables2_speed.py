"""django-tables2 asks ``inspect.signature`` about a column's ``render``/``value`` for every
cell it draws (``utils.call_with_appropriate``); that alone is about a fifth of a list page's
time. A function's signature never changes, so it is remembered here, per function.

Installed once from ``CoreConfig.ready``. Bound methods are keyed by their function (plus
whether they are bound, which drops ``self``); functions are held weakly, so a callable made
per request is not kept alive by the cache.
"""

import weakref

from django_tables2 import utils

_original = utils.signature
_cache: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def signature(fn):
    bound = hasattr(fn, "__self__") and hasattr(fn, "__func__")
    key = fn.__func__ if bound else fn
    try:
        found = _cache.get(key)
    except TypeError:  # not weak-referenceable (a builtin, a partial): ask every time
        return _original(fn)
    if found is None:
        found = _cache.setdefault(key, {})
    if bound not in found:
        found[bound] = _original(fn)
    return found[bound]


def install() -> None:
    utils.signature = signature
