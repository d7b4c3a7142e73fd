"""Typed readers for settings that come from environment variables.

Each helper fails loudly with ``ImproperlyConfigured`` so a typo in a deployment's
environment stops the process at start-up instead of surfacing as odd behaviour later.
"""

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value is None:
        if default is None:
            raise ImproperlyConfigured(f"The environment variable {name} must be set.")
        return default
    return value


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from exc


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def cache_settings(url: str) -> dict:
    """``CACHES["default"]`` from ``CACHE_URL``.

    Empty: each process keeps its own memory cache (one server process, development). With
    several gunicorn workers or servers, ``redis://host:6379/1`` shares one cache, so the API's
    per-user rate limit and the cached report figures hold across all of them.
    """
    url = url.strip()
    if url in ("", "locmem://"):
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    if url.startswith(("redis://", "rediss://", "unix://")):
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    raise ImproperlyConfigured(
        f"CACHE_URL must be empty or a redis:// address such as redis://127.0.0.1:6379/1, "
        f"not {url!r}."
    )
