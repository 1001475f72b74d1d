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


def best_of_each(calls:dict, repeat:int=3, min_seconds:float=0.5, most:int=200, before:Callable|None=None)->dict:
    """The best `Timing` of each of `calls` (name -> function), taken in turns (one call of each per round) so that the
    machine's load falls on all of them alike. At least `repeat` rounds, and more while a round is short, until the
    rounds add up to `min_seconds` (at most `most` rounds): the best of 3 calls of a few milliseconds is mostly noise.
    `before()` runs untimed ahead of each call."""
    walls = {k: [] for k in calls}; cpus = {k: [] for k in calls}; out = {}
    spent, rounds = 0.0, 0
    while rounds < max(1, repeat) or (spent < min_seconds and rounds < most):
        for k, f in calls.items():
            if before is not None: before()
            t, c = time.perf_counter(), time.process_time()
            out[k] = f()
            walls[k].append(time.perf_counter() - t); cpus[k].append(time.process_time() - c)
            spent += walls[k][-1]
        rounds += 1
    return {k: Timing(min(walls[k]), min(cpus[k]), out[k]) for k in calls}
