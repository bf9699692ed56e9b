"""Other packages use the IR through its public names: no module outside `neuroflow/ir` reaches
into a private module of `ir` (the layering in ARCHITECTURE.md; a private module may then change
without breaking its users)."""
import re
from pathlib import Path

import neuroflow
from neuroflow import ir

PACKAGE = Path(neuroflow.__file__).parent
PRIVATE = re.compile(r"from\s+(\.+|neuroflow\.)ir\._\w+\s+import|\bir\._\w+\."
                     r"|from\s+(\.+|neuroflow\.)ir\s+import\s+\(?[^)]*\b_\w+")


def test_no_module_outside_ir_imports_a_private_module_of_ir():
    offenders = [f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}"
                 for path in sorted(PACKAGE.rglob("*.py"))
                 if "ir" not in path.relative_to(PACKAGE).parts[:1]
                 for number, line in enumerate(path.read_text().splitlines(), 1)
                 if PRIVATE.search(line)]
    assert offenders == []


def test_every_public_name_of_ir_is_exported():
    assert all(hasattr(ir, name) for name in ir.__all__)
    assert {"FUNCTIONS", "OPERATORS", "register_function", "fold", "decompose",
            "Random"} <= set(ir.__all__)
