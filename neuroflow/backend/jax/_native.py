"""Native CPU kernels (C++ through `jax.ffi`): building them on first use with the system compiler,
and loading them; the Python wrappers of their calls are in `_native_kernels`.

The shared library is compiled from the C++ files in `native/` against the C API of
jaxlib's FFI (`xla/ffi/api/c_api.h`, light enough that the build takes about a second)
into a cache folder (`$XDG_CACHE_HOME/neuroflow` or `~/.cache/neuroflow`), keyed by the
source, the jaxlib version and the compiler, so it is built once per machine.  Without a
compiler (or if the build fails) neuroflow says so once and uses its pure-JAX kernels,
which give the same results up to the order of floating-point summation.

Loading a library runs its code, so only libraries this user built are loaded: the cache
folders are private (mode 0700, owned by the user), each library's SHA-256 is recorded next to
it (`.sha256`) when it is built and checked before it is loaded, and a library that is not
the user's, that others can write to, or whose content does not match is rebuilt (with one
notice) instead of loaded.
"""
from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
import warnings
from concurrent.futures import Future, ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

import jax
import jaxlib
import numpy as np
from ...ir import cache_dir, private_folder


NATIVE = Path(__file__).parent / "native"
# the others are built when a model needs them
CORE_SOURCES = [NATIVE / "call.cc", NATIVE / "event.cc", NATIVE / "event_add.cc",
                NATIVE / "decode.cc"]
HEADERS = sorted(NATIVE.glob("*.h"))
TARGETS = {("float32", False): "NeuroflowEventF32", ("float64", False): "NeuroflowEventF64",
           ("float32", True): "NeuroflowEventSharedF32",
           ("float64", True): "NeuroflowEventSharedF64"}
ADD_TARGETS = {key: name.replace("NeuroflowEvent", "NeuroflowEventAdd")
               for key, name in TARGETS.items()}
PACKED_ADD_TARGETS = {key: name.replace("NeuroflowEventAdd", "NeuroflowEventAddPacked")
                      for key, name in ADD_TARGETS.items()}
COUNT_ADD_TARGETS = {"float32": "NeuroflowCountAddF32", "float64": "NeuroflowCountAddF64"}
HANDLERS: set[str] = (set(TARGETS.values()) | set(ADD_TARGETS.values())
                      | set(PACKED_ADD_TARGETS.values()) | set(COUNT_ADD_TARGETS.values())
                      | {"NeuroflowCallGenerated", "NeuroflowCount", "NeuroflowPackBits"})
"""The FFI handler symbols of the core library (`CORE_SOURCES`); each is registered with XLA
once it is loaded.  Other sources in `native/` are built and registered by `extension`."""


class NativeKernelNotice(UserWarning):
    """Native kernels are unavailable; the pure-JAX kernels are used instead."""


def _compiler() -> str | None:
    for name in (os.environ.get("CXX"), "c++", "g++", "clang++"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def _compile(compiler: str, sources: list[Path], flags: list[str], key: bytes, stem: str,
             folder: Path | None = None) -> Path:
    """The shared library built from `sources`, cached under a hash of `key` and the command;
    a cached one is used only if `trusted`, else built again."""
    command = [compiler, "-std=c++17", "-shared", "-fPIC", *flags]
    digest = hashlib.sha256(key + " ".join(command).encode()).hexdigest()[:16]
    library = (folder or cache_dir()) / f"{stem}_{digest}.so"
    if not private_folder(library.parent):
        raise OSError(f"the cache folder {library.parent} is not private to this user (it must"
                      " be owned by you and writable by no one else): native code is neither"
                      " built nor loaded there; fix its permissions (chmod 700) or set"
                      " XDG_CACHE_HOME")
    if library.exists():
        if trusted(library):
            return library
        if library.with_suffix(".sha256").exists():  # without: left by an older neuroflow
            _notice(f"neuroflow: {library.name} in the cache is not one this user built, or is"
                    " damaged; it is built again")
        library.unlink(missing_ok=True)
    partial = library.with_suffix(f".{os.getpid()}.tmp")
    with tempfile.TemporaryDirectory(dir=library.parent) as scratch:
        # one compiler per source file, all at once
        objects = [Path(scratch) / f"{k}.o" for k in range(len(sources))]
        jobs = [subprocess.Popen(command + ["-c", str(src), "-o", str(obj)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for src, obj in zip(sources, objects)]
        for job in jobs:
            _, errors = job.communicate(timeout=300)
            if job.returncode:
                raise subprocess.CalledProcessError(job.returncode, job.args, stderr=errors)
        subprocess.run(command + [*map(str, objects), "-o", str(partial)], check=True,
                       capture_output=True, text=True, timeout=300)
    partial.chmod(0o700)
    _record_digest(partial, library)
    partial.replace(library)  # atomic: concurrent first uses never load a half-written file
    return library


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _record_digest(built: Path, library: Path) -> None:
    """Write the digest of `built` (about to become `library`) next to where it goes."""
    record = library.with_suffix(".sha256")
    partial = record.with_name(f"{record.name}.{os.getpid()}.tmp")
    partial.write_text(_sha256(built))
    partial.replace(record)


def trusted(library: Path) -> bool:
    """Whether `library` is one this user built: owned by the user, writable by no one else,
    and with the SHA-256 recorded when it was built."""
    try:
        info = library.stat()
        recorded = library.with_suffix(".sha256").read_text().strip()
    except OSError:
        return False
    if info.st_uid != os.getuid() or info.st_mode & 0o022:
        return False
    return recorded == _sha256(library)


_NOTICES: set[str] = set()


def _notice(message: str) -> None:
    """A notice, once per process for each message."""
    if message not in _NOTICES:
        _NOTICES.add(message)
        warnings.warn(message, NativeKernelNotice, stacklevel=3)


def _build(compiler: str, sources: list[Path], stem: str) -> Path:
    source = b"".join(path.name.encode() + path.read_bytes() for path in sources + HEADERS)
    return _compile(compiler, sources, ["-O3", f"-I{jax.ffi.include_dir()}"],
                    source + jaxlib.__version__.encode(), stem)


def _register(library: ctypes.CDLL, handlers) -> None:
    for symbol in sorted(handlers):
        jax.ffi.register_ffi_target(symbol, jax.ffi.pycapsule(getattr(library, symbol)),
                                    platform="cpu")


@lru_cache(maxsize=1)
def _cpu() -> str:
    """What identifies this machine's CPU, so that code built for it is never run on another."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return ""
    lines = [line for line in info.splitlines()
             if line.startswith(("model name", "flags", "Features"))]
    return "\n".join(dict.fromkeys(lines))


GENERATED_KEPT = 500  # generated libraries (and sources) kept in the cache, the last used


def _evict(folder: Path, keep: int) -> None:
    """Delete all but the `keep` most recently used libraries and sources in `folder`.  A library
    another process has loaded stays mapped there; at worst a model builds its code again."""
    for pattern in ("*.so", "*.cc"):
        dated = []
        for path in folder.glob(pattern):
            try:
                dated.append((path.stat().st_mtime, path))
            except OSError:  # removed meanwhile by another process
                continue
        for _, path in sorted(dated, reverse=True)[keep:]:
            path.unlink(missing_ok=True)
            path.with_suffix(".sha256").unlink(missing_ok=True)  # a library's recorded digest


_LOADED: dict[int, ctypes.CDLL] = {}  # generated libraries stay loaded while the process runs


def load_generated(source: str) -> int:
    """Compile generated C++ (one `extern "C" neuroflow_generated` function) for this CPU and
    register it with the `NeuroflowCallGenerated` handler; returns the id to call it by.
    Raises `OSError`/`subprocess.SubprocessError` when it cannot be built."""
    if not expected():
        raise OSError("the native kernels are not available")
    key = (source + _cpu()).encode()
    ident = int(hashlib.sha256(key).hexdigest()[:15], 16)
    if ident in _LOADED:
        return ident
    folder = cache_dir() / "generated"
    if not private_folder(folder):
        raise OSError(f"the cache folder {folder} is not private to this user")
    path = folder / f"{ident:x}.cc"
    try:
        current = path.read_text() == source
    except OSError:
        current = False
    if current:
        os.utime(path)
    else:  # new, or not what it should be: only this source is ever compiled under its name
        path.write_text(source)
    # -march=native: the loops over neurons vectorise with this CPU's widest units; the key
    # holds the CPU, so a cache shared between machines never runs code built for another.
    # Fused multiply-adds (where the CPU has them) round once where XLA may round twice: the
    # polynomials of exp get faster and no less accurate.
    flags = ["-O3", "-ffp-contract=fast", "-fno-math-errno", "-fno-trapping-math"]
    try:
        built = _compile(_compiler(), [path], ["-march=native", *flags], key,
                         "neuroflow_generated", folder)
    except subprocess.CalledProcessError:  # a compiler without -march=native (some clang on arm64)
        built = _compile(_compiler(), [path], flags, key, "neuroflow_generated", folder)
    os.utime(built)  # its time says when it was last used: the least recently used go first
    _evict(folder, GENERATED_KEPT)
    library = ctypes.cdll.LoadLibrary(str(built))
    if not available():  # built meanwhile in the background
        raise OSError("the native kernels are not available")
    register = core_library().NeuroflowRegisterGenerated
    register.restype = ctypes.c_int
    function = ctypes.cast(library.neuroflow_generated, ctypes.c_void_p)
    if register(ctypes.c_uint64(ident), function) != 0:
        raise OSError("too many generated functions in one process to register another")
    _LOADED[ident] = library
    return ident


def call_generated(ident: int, results, *args, size: int,
                   aliases: dict[int, int] | None = None, adds: int = 0):
    """Call the generated function `ident` (see `load_generated`) inside a jitted step, over
    neurons 0 to `size` (split over the native threads where there are many);
    `aliases` maps arguments to the results they are updated into, in place.  With `adds`, the
    call then adds the spikes through that many projections, whose tables and plan end `args`
    (see `CallGenerated` in native/call.cc)."""
    call = jax.ffi.ffi_call("NeuroflowCallGenerated", results, vmap_method="sequential",
                            input_output_aliases=aliases or {})
    return call(*args, id=np.uint64(ident), size=np.int64(size), adds=np.int64(adds))


@lru_cache(maxsize=1)
def _core_build() -> Future:
    """The build of the core library, started once in the background (see `expected`)."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="neuroflow-build")
    build = pool.submit(_build, _compiler(), CORE_SOURCES, "neuroflow_kernels")
    pool.shutdown(wait=False)  # the build goes on; the pool takes no more work
    return build


def _load(build, failed: str) -> ctypes.CDLL | None:
    """The library at the path `build()` returns, or None with one notice: `failed` and why."""
    try:
        library = ctypes.cdll.LoadLibrary(str(build()))
    except (OSError, subprocess.SubprocessError) as err:
        detail = getattr(err, "stderr", "") or str(err)
        warnings.warn(f"neuroflow: {failed}: {detail.strip()[:500]}", NativeKernelNotice,
                      stacklevel=4)
        return None
    if hasattr(library, "NeuroflowThreads"):
        library.NeuroflowThreads.restype = ctypes.c_int
        library.NeuroflowThreads.argtypes = [ctypes.c_int]
        _POOLED.append(library)
        library.NeuroflowThreads(_THREADS[0] if _THREADS else 0)
    return library


_POOLED: list[ctypes.CDLL] = []  # the loaded libraries with a pool of threads (native/pool.h)
_THREADS: list[int] = []  # the number `set_threads` set last, for libraries loaded after


def set_threads(n: int) -> None:
    """Let the native kernels' large calls (a step of 10^5 neurons and more) use `n` threads,
    the calling one included; 1 runs every call on XLA's thread.  The default is the number of
    CPUs the process may run on, or the environment variable NEUROFLOW_THREADS.  Results do not
    depend on it, bit for bit."""
    if n < 1:
        raise ValueError(f"neuroflow: threads must be at least 1, not {n}")
    _THREADS[:] = [n]
    for library in _POOLED:
        library.NeuroflowThreads(n)


def threads() -> int | None:
    """The threads the native kernels' large calls use; None before a kernel is loaded."""
    return _POOLED[0].NeuroflowThreads(0) if _POOLED else (_THREADS[0] if _THREADS else None)


def _cpus() -> int:
    """The CPUs this process may run on (what the pool takes by default)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@contextlib.contextmanager
def threads_shared_by(devices: int):
    """Within: the native calls use 1/`devices` of their threads (at least one).  A program
    that runs on `devices` CPU devices of this process at once has a thread for each already,
    and the pool's helpers on top of them outnumber the cores (a partitioned COBA 64k on two
    forced host devices of two cores: 10-25% slower with them).  Results do not change."""
    whole = threads() or int(os.environ.get("NEUROFLOW_THREADS") or 0) or _cpus()
    share = max(1, whole // max(1, devices))
    if share == whole:
        yield
        return
    set_threads(share)
    try:
        yield
    finally:
        set_threads(whole)


@lru_cache(maxsize=1)
def core_library() -> ctypes.CDLL | None:
    """The core kernels' library, built and loaded once; None where that failed."""
    library = _load(lambda: _core_build().result(),
                    "building the native CPU kernels failed, so the pure-JAX kernels are used")
    if library is not None:
        library.NeuroflowSpikeIndices.restype = ctypes.c_int64
    return library


@lru_cache(maxsize=None)
def extension(source: str, handlers: tuple[str, ...]) -> bool:
    """Build (once) the kernels of `native/<source>` into a library of their own and register
    `handlers`; False, with one notice, where that fails (the caller then uses its JAX path)."""
    if not available():
        return False
    library = _load(lambda: _build(_compiler(), [NATIVE / source],
                                   f"neuroflow_{Path(source).stem}"),
                    f"building the native kernels of {source} failed, so their pure-JAX versions"
                    " are used")
    if library is None:
        return False
    _register(library, handlers)
    return True


@lru_cache(maxsize=1)
def expected() -> bool:
    """Whether native kernels can be built here (a CPU backend and a C++ compiler; else one
    notice), without waiting for them: the build starts in the background, so that the passes,
    the lowering and the compilation of generated code go on meanwhile; `available()` waits."""
    if jax.default_backend() != "cpu":
        return False
    if _compiler() is None:
        warnings.warn("neuroflow: no C++ compiler found, so native CPU kernels are off; the"
                      " pure-JAX kernels are used (slower, same results)", NativeKernelNotice,
                      stacklevel=3)
        return False
    _core_build()
    return True


@lru_cache(maxsize=1)
def available() -> bool:
    """Build (once) and register the native kernels; False, with one notice, if that fails."""
    if not expected() or core_library() is None:
        return False
    _register(core_library(), HANDLERS)
    return True
