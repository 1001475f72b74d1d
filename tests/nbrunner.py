"""The process that runs notebooks for tests/test_notebooks.py's parameter runs.

It is started once per test worker (`python tests/nbrunner.py`), imports what every chapter imports, and then, for each
request, forks: the child runs one notebook in execnb's IPython shell (as `nbdev_test` does) and exits. A run so costs
the notebook's own work, not a kernel's start and a second import of the scientific stack; and whatever the notebook
changes (working folder, options, globals, threads) ends with the child.

Forking happens here, in a process that never runs anything else, and not in the test worker: a fork copies only the
forking thread, so a lock that another thread (a Dask cluster's, say, left by an earlier test) held at that moment stays
held for ever in the child.

Protocol, one JSON line each way: `{"path": notebook, "run": file of the parameterised notebook, "timeout": s,
"tmp": folder}` in, `{"code": exit code, "text": traceback or "ok"}` out (code -9: stopped after `timeout` seconds). The
child's temporary files go to `tmp` (optional): the test then sees what the notebook left behind.
"""
import json, os, select, signal, sys, time, traceback
from pathlib import Path


def run_cells(path:Path, run:dict, tmp:str|None=None):
    "Run every code cell of the notebook `run` (a dict) as the notebook at `path`; raise at the first cell that raises."
    from execnb.shell import CaptureShell
    from execnb.nbio import dict2nb
    if tmp:                                  # tempfile's folder, and that of whatever the notebook starts
        import tempfile
        os.environ["TMPDIR"] = tempfile.tempdir = tmp
    os.chdir(path.parent)
    shell = CaptureShell(path=path)
    for i, cell in enumerate(dict2nb(run).cells):
        if cell.cell_type != "code": continue
        shell.cell(cell)
        if shell.exc:
            err = [o for o in cell.outputs if o.get("output_type") == "error"]
            tb = "\n".join(err[0].get("traceback", [])) if err else repr(shell.exc)
            raise RuntimeError(f"cell {i} raised:\n{''.join(cell.source)}\n---\n{tb}")


def run_forked(path:Path, run:dict, timeout:float, tmp:str|None=None)->tuple[int, str]:
    "Run the notebook in a child process; (0, 'ok'), (1, traceback) or (-9, ...) when it ran past `timeout` seconds."
    r, w = os.pipe()
    sys.stdout.flush(); sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        code, msg = 1, b""
        try:
            run_cells(path, run, tmp)
            code, msg = 0, b"ok"
        except BaseException:
            msg = traceback.format_exc().encode()
        finally:
            os.write(w, msg[-20000:]); os._exit(code)
    os.close(w)
    out, deadline = b"", time.monotonic() + timeout
    try:
        while True:
            ready, _, _ = select.select([r], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return -9, f"ran longer than {timeout:.0f} s"
            chunk = os.read(r, 65536)
            if not chunk: break
            out += chunk
    finally:
        os.close(r)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace")


def serve(inp=sys.stdin, out=sys.stdout):
    import numpy, pandas, scipy.stats, sklearn.linear_model, matplotlib, matplotlib.pyplot, IPython  # noqa: F401
    import execnb.shell, execnb.nbio  # noqa: F401
    for line in inp:
        req = json.loads(line)
        run = json.loads(Path(req["run"]).read_text())
        code, text = run_forked(Path(req["path"]), run, float(req["timeout"]), req.get("tmp"))
        out.write(json.dumps({"code": code, "text": text}) + "\n"); out.flush()


if __name__ == "__main__": serve()
