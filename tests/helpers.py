"Paths and small helpers shared by the tests."
import json, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / "nbs"
sys.path.insert(0, str(ROOT / "tools"))
from execute_nbs import notebooks, parameter_names, parameters_cell  # noqa: E402


def load_nb(path): return json.loads(Path(path).read_text())
