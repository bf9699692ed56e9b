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


def private_folder(folder: Path) -> bool:
    """Make `folder` (mode 0700) if needed; whether it is private: owned by this user and
    writable by no one else.  neuroflow loads code from its cache (native libraries, compiled
    XLA programs, pickled parser tables), so it uses only folders no one else can write to."""
    try:
        for level in (folder.parent, folder):  # the cache root too: a folder in it is renamable
            level.mkdir(mode=0o700, parents=True, exist_ok=True)
            info = level.stat()
            if info.st_uid != os.getuid() or info.st_mode & 0o022:
                return False
    except OSError:
        return False
    return True


def cached_parser(grammar: str, start: str, **options) -> lark.Lark:
    """`lark.Lark(grammar, parser="lalr", start=start, **options)`, its tables cached on disk
    when possible."""
    text = f"{lark.__version__}|{start}|{sorted(options.items())}|{grammar}"
    key = hashlib.sha256(text.encode()).hexdigest()
    folder = cache_dir() / "lark"
    cache = str(folder / f"{key[:24]}.cache") if private_folder(folder) else False
    return lark.Lark(grammar, parser="lalr", start=start, cache=cache, **options)
