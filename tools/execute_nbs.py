"""Execute the notebooks in `nbs/` top to bottom with papermill.

    python tools/execute_nbs.py                     # in place, default parameters (what `make docs` does)
    python tools/execute_nbs.py 10_boundaries.ipynb # only some notebooks
    python tools/execute_nbs.py --out DIR -p seed=7 -p scale=0.2   # copies with other parameters (the tests)

In place, each executed notebook is cleaned (nbdev_clean, plus dropping papermill's metadata and empty tag
lists, and joining consecutive outputs of one stream, which a kernel may flush in two pieces), so a deterministic
notebook re-executes to the bytes that are committed. The kernels' own log lines (a TCP warning at start, a
KeyboardInterrupt note at shutdown) are kept out of the terminal, and shown only when a notebook fails.
"""
from __future__ import annotations
import argparse, ast, contextlib, json, os, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / "nbs"


def notebooks(names=()):
    "The notebooks to run: `names` (relative to nbs/) or all of them, in sidebar order."
    if names: return [NBS / n if not Path(n).is_absolute() else Path(n) for n in names]
    return sorted(p for p in NBS.rglob("*.ipynb") if not any(part.startswith(("_", ".")) for part in p.relative_to(NBS).parts))


def parameters_cell(nb:dict):
    "The source of the cell tagged `parameters`, or None."
    for c in nb["cells"]:
        if c["cell_type"] == "code" and "parameters" in c.get("metadata", {}).get("tags", []):
            return "".join(c["source"])
    return None


def parameter_names(nb:dict)->set[str]:
    src = parameters_cell(nb)
    if src is None: return set()
    return {t.id for node in ast.parse(src).body if isinstance(node, (ast.Assign, ast.AnnAssign))
            for t in (node.targets if isinstance(node, ast.Assign) else [node.target]) if isinstance(t, ast.Name)}


def merge_streams(outputs:list)->list:
    "Join consecutive `stream` outputs of the same name (stdout, stderr) into one, as nbval compares them."
    out = []
    for o in outputs:
        if o.get("output_type") == "stream" and out and out[-1].get("output_type") == "stream" and out[-1].get("name") == o.get("name"):
            prev = out[-1]
            text = "".join(prev["text"]) + "".join(o["text"]) if isinstance(prev["text"], list) else prev["text"] + "".join(o["text"])
            prev["text"] = text.splitlines(True) if isinstance(prev["text"], list) else text
        else: out.append(o)
    return out


def tidy(path:Path):
    "Drop the metadata papermill adds and join split streams, so that nbdev_clean gives the committed bytes."
    nb = json.loads(path.read_text())
    nb["metadata"].pop("papermill", None)
    for c in nb["cells"]:
        md = c.get("metadata", {})
        md.pop("papermill", None); md.pop("execution", None)
        if md.get("tags") == []: md.pop("tags")
        if "outputs" in c: c["outputs"] = merge_streams(c["outputs"])
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


@contextlib.contextmanager
def kernel_log():
    "Send what kernels write to the terminal (they inherit file descriptor 2) into a file; yield a reader of it."
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as log:
        os.dup2(log.fileno(), 2)
        try: yield lambda: (log.seek(0), log.read().decode(errors="replace"))[1]
        finally:
            sys.stderr.flush(); os.dup2(saved, 2); os.close(saved)


def run(path:Path, out:Path, params:dict, timeout:int=600):
    import papermill as pm
    pm.execute_notebook(str(path), str(out), parameters=params, cwd=str(path.parent), kernel_name="python3",
                        progress_bar=False, request_save_on_cell_execute=False, execution_timeout=timeout)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", help="notebooks relative to nbs/ (default: all)")
    ap.add_argument("--out", type=Path, help="write executed copies here instead of in place")
    ap.add_argument("-p", "--param", action="append", default=[], help="NAME=VALUE (a Python literal)")
    a = ap.parse_args(argv)
    params = {}
    for p in a.param:
        k, _, v = p.partition("=")
        params[k] = ast.literal_eval(v)
    nbs = notebooks(a.names)
    failed = []
    for i, nb in enumerate(nbs, 1):
        rel = nb.relative_to(NBS)
        names = parameter_names(json.loads(nb.read_text()))
        unknown = set(params) - names
        if unknown:
            failed.append(rel); print(f"[{i}/{len(nbs)}] {rel}: no parameters cell defines {sorted(unknown)}", flush=True); continue
        out = (a.out / rel) if a.out else nb
        out.parent.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        print(f"[{i}/{len(nbs)}] executing {rel} ...", end=" ", flush=True)
        with kernel_log() as log:
            try: run(nb, out, params); error = None
            except Exception as e: error, kernel = e, log()
        if error is not None:
            failed.append(rel); print(f"FAILED\n{error}", flush=True)
            if kernel.strip(): print(f"the kernel's log:\n{kernel[-3000:]}", flush=True)
            continue
        print(f"{time.perf_counter()-t0:.1f} s", flush=True)
        if not a.out: tidy(out)
    if not a.out:
        from nbdev.clean import nbdev_clean
        nbdev_clean.__wrapped__(fname=str(NBS))
    if failed:
        print(f"{len(failed)} notebook(s) failed: {', '.join(map(str, failed))}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__": sys.exit(main())
