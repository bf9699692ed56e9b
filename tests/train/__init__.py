import importlib.util
import sys

from tests.conftest import EXAMPLES


def load_tasks():
    """examples/train/tasks.py as a module (examples/ is not a package)."""
    if "tasks" in sys.modules and getattr(sys.modules["tasks"], "__file__", "").endswith(
            "train/tasks.py"):
        return sys.modules["tasks"]
    spec = importlib.util.spec_from_file_location("tasks", EXAMPLES / "train" / "tasks.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["tasks"] = module
    spec.loader.exec_module(module)
    return module
