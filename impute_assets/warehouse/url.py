"""Warehouse URLs: parse once, and render them for humans with the password hidden."""

from __future__ import annotations

import sqlalchemy as sa

DEFAULT_URL = "duckdb:///warehouse.duckdb"


def parse_url(url: str | sa.URL) -> sa.URL:
    """A SQLAlchemy URL from a string; errors show the masked form, never the password.

    An ``@`` left unencoded in the password (``user:p@ss@host``) is read as part of the
    password (the last ``@`` before the host ends the credentials), not as the host's start:
    otherwise the password's tail would show as the host in every masked URL.
    """
    try:
        return sa.make_url(_encode_credentials(url) if isinstance(url, str) else url)
    except Exception as exc:  # noqa: BLE001 - any parse failure means a bad URL
        kind = type(exc).__name__
        raise ValueError(f"not a SQLAlchemy URL: {_scrub(str(url))!r} ({kind})") from None


def mask_url(url: str | sa.URL) -> str:
    """The URL with its password replaced by ``***`` (safe for logs and metadata)."""
    try:
        return parse_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is scrubbed by hand
        return _scrub(str(url))


def _encode_credentials(url: str) -> str:
    """``user:p@ss@host`` -> ``user:p%40ss@host`` (only when the credentials hold an ``@``)."""
    head, sep, tail = url.partition("://")
    authority, question, query = tail.partition("?")
    if not sep or authority.count("@") < 2:
        return url
    credentials, _, host = authority.rpartition("@")
    user, colon, password = credentials.partition(":")
    return f"{head}://{user}{colon}{password.replace('@', '%40')}@{host}{question}{query}"


def _scrub(text: str) -> str:
    """Hide anything between ``user:`` and ``@`` in a string that failed to parse."""
    head, sep, tail = text.partition("://")
    if not sep or "@" not in tail:
        return text
    credentials, _, host = tail.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{head}://{user}:***@{host}" if ":" in credentials else text
