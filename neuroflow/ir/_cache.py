"""neuroflow's cache folder (`$XDG_CACHE_HOME/neuroflow`, else `~/.cache/neuroflow`) and cached
Lark parsers.

Building an LALR parser from a grammar takes a few hundred milliseconds; Lark can
save the analysed tables and load them again.  The files live in a folder only the
user can write to, because Lark stores them with pickle.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import lark


def cache_dir() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "neuroflow"


def cached_parser(grammar: str, start: str, **options) -> lark.Lark:
    """`lark.Lark(grammar, parser="lalr", start=start, **options)`, its tables cached on disk
    when possible."""
    text = f"{lark.__version__}|{start}|{sorted(options.items())}|{grammar}"
    key = hashlib.sha256(text.encode()).hexdigest()
    folder = cache_dir() / "lark"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        private = folder.stat().st_uid == os.getuid() and not folder.stat().st_mode & 0o022
    except OSError:
        private = False
    cache = str(folder / f"{key[:24]}.cache") if private else False
    return lark.Lark(grammar, parser="lalr", start=start, cache=cache, **options)
