"""pytest configuration shared by `tests/` and the nbval run over `nbs/`."""
import pytest

try:
    from nbval.plugin import IPyNbFile
except ImportError:  # nbval is a development dependency only
    IPyNbFile = None

if IPyNbFile is not None:
    _collect = IPyNbFile.collect

    def _collect_numbered(self):
        """nbval 0.11 treats a cell whose `execution_count` is null as never run, and fails it if it has outputs.
        nbdev_clean nulls every execution count but keeps the outputs, so number the cells with outputs here."""
        items = list(_collect(self))
        n = 0
        for cell in self.nb.cells:
            if cell.cell_type == "code" and cell.get("outputs"):
                n += 1
                if cell.get("execution_count") is None: cell.execution_count = n
        yield from items

    IPyNbFile.collect = _collect_numbered


def _parameter_run(nodeid:str)->bool:
    return nodeid.split("::", 1)[0].endswith("tests/test_notebooks.py") and "::test_runs_with_other_parameters[" in nodeid


def pytest_collection_modifyitems(config, items):
    """The slow tests first (parameter runs, then files with a slow or browser test), so that `pytest -n 2` hands them
    out early and the short ones fill the end of both workers' time."""
    slow = lambda i: any(i.get_closest_marker(m) for m in ("slow", "browser"))
    slow_files = {i.path for i in items if slow(i)}
    items.sort(key=lambda i: 0 if _parameter_run(i.nodeid) else 1 if i.path in slow_files else 2)


def pytest_xdist_make_scheduler(config, log):
    """Work units for `pytest -n 2`: each test file is one unit (its module fixtures are built once), each notebook is
    one unit (nbval runs its cells in order in one kernel), and each parameter run of tests/test_notebooks.py is a unit
    of its own, so the two workers share them. (pytest-xdist's `--dist loadgroup` would do this with markers, but its
    3.8 release cannot rename pytest 9's node ids, so its groups are ignored.)"""
    from xdist.scheduler import LoadScopeScheduling

    class Units(LoadScopeScheduling):
        def _split_scope(self, nodeid:str)->str:
            return nodeid if _parameter_run(nodeid) else nodeid.split("::", 1)[0]
    return Units(config, log)
