"""The native-code cache loads only what this user built: a library planted under a cached
name, one others can write to, or a damaged one is built again, never loaded; folders that
others can write to are not used at all."""
import ctypes
import os
import stat

import pytest

from neuroflow.backend.jax import _native

COMPILER = _native._compiler()
pytestmark = pytest.mark.skipif(COMPILER is None, reason="no C++ compiler")

SOURCE = 'extern "C" int neuroflow_answer() { return 42; }\n'
# what an attacker would plant: a library whose constructor runs as soon as it is loaded
PLANTED = """#include <cstdio>
__attribute__((constructor)) static void planted() {
    if (FILE* f = std::fopen("MARKER", "w")) std::fclose(f);
}
extern "C" int neuroflow_answer() { return 666; }
"""


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(_native, "_NOTICES", set())  # each test sees its notices
    source = tmp_path / "answer.cc"
    source.write_text(SOURCE)
    return tmp_path, source


def build(source):
    return _native._compile(COMPILER, [source], ["-O0"], b"test key", "neuroflow_test")


def answer(library) -> int:
    return ctypes.CDLL(str(library)).neuroflow_answer()


def test_folders_are_private_and_each_library_has_its_digest(cache):
    _, source = cache
    library = build(source)
    for folder in (library.parent, library.parent.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert library.with_suffix(".sha256").read_text() == _native._sha256(library)
    assert _native.trusted(library)
    assert build(source) == library  # found again, not rebuilt
    assert answer(library) == 42


def test_a_planted_library_is_built_again_not_loaded(cache):
    tmp_path, source = cache
    library = build(source)
    planted = tmp_path / "planted.cc"
    planted.write_text(PLANTED.replace("MARKER", str(tmp_path / "marker")))
    evil = _native._compile(COMPILER, [planted], ["-O0"], b"other", "evil", tmp_path)
    os.replace(evil, library)  # planted under the cached name, with the digest left as it was
    assert not _native.trusted(library)
    with pytest.warns(_native.NativeKernelNotice, match="built again"):
        rebuilt = build(source)
    assert rebuilt == library and _native.trusted(library)
    assert answer(library) == 42
    assert not (tmp_path / "marker").exists()  # the planted constructor never ran


def test_a_damaged_or_writable_library_is_built_again(cache):
    _, source = cache
    library = build(source)
    library.write_bytes(library.read_bytes()[:100])  # truncated
    with pytest.warns(_native.NativeKernelNotice):
        build(source)
    assert answer(library) == 42
    library.chmod(0o777)  # anyone could replace its content
    assert not _native.trusted(library)
    build(source)
    assert _native.trusted(library) and stat.S_IMODE(library.stat().st_mode) & 0o022 == 0


def test_a_cache_others_can_write_to_is_not_used(cache):
    tmp_path, source = cache
    root = tmp_path / "xdg" / "neuroflow"
    root.mkdir(parents=True)
    root.chmod(0o777)
    with pytest.raises(OSError, match="not private"):
        build(source)
    assert not list(root.glob("*.so"))
