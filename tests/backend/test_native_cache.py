"""The cache of generated native code keeps the most recently used libraries only."""
import os

from neuroflow.backend.jax._native import _evict


def test_eviction_keeps_the_most_recently_used(tmp_path):
    for k in range(6):
        for suffix in (".so", ".cc"):
            path = tmp_path / f"lib{k}{suffix}"
            path.write_text(str(k))
            os.utime(path, (1000 + k, 1000 + k))
    os.utime(tmp_path / "lib0.so", (5000, 5000))  # used again lately
    _evict(tmp_path, keep=3)
    assert sorted(p.name for p in tmp_path.glob("*.so")) == ["lib0.so", "lib4.so", "lib5.so"]
    assert sorted(p.name for p in tmp_path.glob("*.cc")) == ["lib3.cc", "lib4.cc", "lib5.cc"]
