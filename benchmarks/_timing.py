"""Timing shared by the benchmarks: the best of several runs, in wall-clock and CPU seconds.

Ratios against a baseline are taken within one run of one script, so the machine's load affects both sides alike;
CPU time is printed where it matters because it is steadier than wall time on a shared machine.
"""
import time
from typing import Any, Callable, NamedTuple


class Timing(NamedTuple):
    "The best of several calls: `wall` and `cpu` seconds, and the `value` the last call returned."
    wall: float
    cpu: float
    value: Any


def best_of(f:Callable, repeat:int=3, before:Callable|None=None)->Timing:
    "Call `f` `repeat` times (at least once), `before()` untimed ahead of each; the smallest wall and CPU times, and f's last result."
    walls, cpus, out = [], [], None
    for _ in range(max(1, repeat)):
        if before is not None: before()
        t, c = time.perf_counter(), time.process_time()
        out = f()
        walls.append(time.perf_counter() - t); cpus.append(time.process_time() - c)
    return Timing(min(walls), min(cpus), out)
