"""The on-disk cache of the compiled kernels follows every source file of the package and the
compile options, not only the file that defines a function (Numba's own check): a kernel that
inlines a changed helper of another module is compiled anew instead of loaded stale."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import kernels

PACKAGE = Path(kernels.__file__).resolve().parent

# float32 inputs of half._bounded_piece, which inlines circuit.step_rise and circuit.step_area
CALL = """
import sys
import numpy as np
from kernels import _jit, half

v = np.full(3, 0.1, np.float32)
m = np.zeros(3, np.float32)
one = np.ones(3, np.float32)
half._bounded_piece(1e-8, v, m, one, np.full(3, 2e7, np.float32), np.full(3, 3e-7, np.float32),
                    np.float32(1.0))
print(_jit.CODE_VERSION, _jit.CACHE_ROOT, repr(float(m[0])), repr(float(v[0])))
"""


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    shutil.copytree(PACKAGE, root / "kernels", ignore=shutil.ignore_patterns("__pycache__"))
    return root


def _run(root: Path, env_extra: dict[str, str] | None = None) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env.update(PYTHONPATH=str(root), **(env_extra or {}))
    out = subprocess.run(
        [sys.executable, "-c", CALL],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return out.stdout.split()


def test_a_changed_inlined_helper_is_compiled_anew_not_loaded_stale(tmp_path):
    root = _copy(tmp_path)
    version, cache, m0, v0 = _run(root)
    assert Path(cache) == root / "kernels" / "__pycache__" / f"kernels-{version}"
    assert any(Path(cache).rglob("*_bounded_piece*.nbi"))  # written to the versioned folder
    assert _run(root) == [version, cache, m0, v0]  # loaded from it: same version, same bits
    # the helper half._bounded_piece inlines changes in another file (twice the area)
    circuit = root / "kernels" / "circuit.py"
    text = circuit.read_text()
    old = '    """G(x) = x - (1 - exp(-x))'
    assert text.count(old) == 1
    circuit.write_text(
        text.replace(
            "    return (\n        x\n        * x\n        * _C2",
            "    return 2 * (\n        x\n        * x\n        * _C2",
            1,
        )
    )
    assert circuit.read_text() != text
    new_version, new_cache, m1, v1 = _run(root)
    assert new_version != version
    assert float(m1) != float(m0)  # the new helper was used, not the stale machine code
    assert v1 == v0  # step_rise did not change
    assert not Path(cache).exists()  # the old version's folder was removed from __pycache__


def test_the_version_follows_every_module_and_the_user_cache_folder_is_honoured(tmp_path):
    root = _copy(tmp_path)
    user = tmp_path / "numba-cache"
    version, cache, *_ = _run(root, {"NUMBA_CACHE_DIR": str(user)})
    assert Path(cache) == user / f"kernels-{version}"
    assert any(Path(cache).rglob("*.nbi"))
    versions = {version}
    for name in ("rng.py", "half.py", "api.py", "__init__.py", "_jit.py"):
        path = root / "kernels" / name
        path.write_text(path.read_text() + "\n# an edit\n")
        versions.add(_run(root, {"NUMBA_CACHE_DIR": str(user)})[0])
    assert len(versions) == 6
    # a folder the user provides is theirs: other versions in it are kept
    assert Path(cache).exists()
