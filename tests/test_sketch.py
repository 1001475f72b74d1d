"""mlparity.drift's opt-in quantile sketch: the CDF error it states is never smaller than the true one and never larger
than its guarantee, and on the benchmark's distributions at most twice the true one in any merge order; KS and Wasserstein stay within the report's stated bounds; PSI and JS stay within the error
measured here; columns with few distinct values stay exact; the report says when it is approximate."""
import math, os

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st, HealthCheck

from mlparity.drift import drift_report
from mlparity import profile as P
from mlparity.profile import Profile, SketchSummary

SETTINGS = dict(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def tree(profiles):
    "Merge profiles pairwise, level by level (as mlparity.distributed does); the merged profile and the tree's depth."
    depth = 0
    while len(profiles) > 1:
        profiles = [profiles[i].merge(profiles[i + 1]) if i + 1 < len(profiles) else profiles[i]
                    for i in range(0, len(profiles), 2)]
        depth += 1
    return profiles[0], depth


def true_cdf_error(x:np.ndarray, s:dict)->int:
    "The largest |rows of the data at or below t - rows the summary counts at or below t| over every t."
    x = np.sort(x[~np.isnan(x)])
    t = np.union1d(x, s.values)                  # both CDFs are steps at these points only
    if not len(t): return 0
    return int(np.abs(np.searchsorted(x, t, "right") - s.cum(t)).max())


def split(df, parts):
    return [df.iloc[idx] for idx in np.array_split(np.arange(len(df)), parts)]


def sample(kind, n, rng):
    if kind == "normal": return rng.normal(0, 1, n)
    if kind == "lognormal": return rng.lognormal(0, 2, n)
    if kind == "atom": return np.where(rng.random(n) < 0.3, 5.0, rng.normal(0, 1, n))   # 30 % of rows on one value
    if kind == "grid": return np.round(rng.normal(0, 1, n), 2)                          # ties, ~800 distinct values
    raise ValueError(kind)


@settings(**SETTINGS)
@given(kind=st.sampled_from(["normal", "lognormal", "atom", "grid"]), n=st.integers(1, 20_000),
       parts=st.integers(1, 12), k=st.sampled_from([16, 50, 256, 2048]), seed=st.integers(0, 2**32 - 1),
       nan_rate=st.sampled_from([0.0, 0.1]))
def test_stated_error_covers_the_true_error_and_stays_within_the_guarantee(kind, n, parts, k, seed, nan_rate):
    rng = np.random.default_rng(seed)
    x = sample(kind, n, rng)
    x[rng.random(n) < nan_rate] = np.nan
    df = pd.DataFrame({"x": x})
    p, depth = tree([Profile.from_frame(piece, sketch=k) for piece in split(df, parts)])
    s = p.columns["x"]
    m = int((~np.isnan(x)).sum())
    assert s.n == n and s.n_missing == n - m and int(s.weights.sum()) == m   # no row lost or invented
    assert len(s.values) <= k and len(s.items) <= k
    assert true_cdf_error(x, s) <= s.rank_error <= 16 * m / k          # stated >= true, and below 16 N/k in this range
    if m: assert s.values[0] == np.nanmin(x) and s.values[-1] == np.nanmax(x)   # the range is kept exactly
    if m > 1: assert math.isclose(math.sqrt(s.m2 / m), np.nanstd(x), rel_tol=1e-9, abs_tol=1e-12)


@pytest.mark.parametrize("kind", ["normal", "lognormal", "atom"])
@pytest.mark.parametrize("k", [256, 4096])
def test_ks_and_wasserstein_within_the_stated_bounds_psi_js_within_measured(kind, k):
    rng = np.random.default_rng(7)
    ref = pd.DataFrame({"x": sample(kind, 300_000, rng)})
    cur = pd.DataFrame({"x": sample(kind, 120_000, rng) * 1.05 + 0.02})
    methods = ["ks", "wasserstein", "psi", "js"]
    exact = drift_report(ref, cur, method=methods).table.set_index("method")["statistic"]
    ref_sk, _ = tree([Profile.from_frame(piece, sketch=k) for piece in split(ref, 8)])
    rep = drift_report(ref_sk, cur, method=methods, sketch=k)
    got = rep.table.set_index("method")["statistic"]
    bound = rep.error_bounds.set_index("method")["statistic_error"]
    assert rep.error_bounds["cdf_error"].iloc[0] > 0
    for m in ("ks", "wasserstein"):
        assert abs(got[m] - exact[m]) <= bound[m] + 1e-12, (m, got[m], exact[m], bound[m])
    assert math.isnan(bound["psi"]) and math.isnan(bound["js"])          # no bound is claimed for binned statistics...
    if kind == "atom":   # 30 % of rows on one value, just above a sparse tail: a decile edge falls in that tail, where
        # the sketch has few values, and a bin with almost no current rows makes PSI swing (5.5 exact, 2.8 sketched);
        # the verdict stands. This is why no bound is stated for PSI and JS.
        assert rep.table.set_index("method").loc[["psi", "js"], "drifted"].tolist() == [True, True]
        return
    tol = 0.02 if k == 256 else 0.002                                    # ... their error is bounded here instead
    assert abs(got["psi"] - exact["psi"]) <= tol and abs(got["js"] - exact["js"]) <= tol


def test_few_distinct_values_are_exact_at_any_size():
    rng = np.random.default_rng(3)
    ref = pd.DataFrame({"age": rng.integers(18, 90, 500_000).astype(float), "flag": rng.integers(0, 2, 500_000)})
    cur = pd.DataFrame({"age": rng.integers(18, 92, 200_000).astype(float), "flag": (rng.random(200_000) < 0.52).astype(int)})
    methods = ["auto", "ks", "psi", "js"]
    exact = drift_report(ref, cur, columns=["age"], method=methods)
    sk = drift_report(ref, cur, columns=["age"], method=methods, sketch=16 * 8)
    assert sk.reference.columns["age"].rank_error == 0 and len(sk.reference.columns["age"].values) == 72
    pd.testing.assert_frame_equal(sk.table, exact.table, check_exact=False, rtol=1e-12, atol=1e-15)
    assert not [f for f in sk.findings if f.check == "drift.approximate"]
    assert (sk.error_bounds["statistic_error"] == 0).all()
    z_exact, z_sk = drift_report(ref, cur, columns=["flag"]), drift_report(ref, cur, columns=["flag"], sketch=16)
    assert z_sk.table["method"].tolist() == ["z"]
    pd.testing.assert_frame_equal(z_sk.table, z_exact.table, check_exact=False, rtol=1e-12)


@pytest.mark.parametrize("method", ["ks", "wasserstein", "psi", "js"])
def test_a_sketch_larger_than_the_data_gives_the_exact_statistics(method):
    rng = np.random.default_rng(5)
    ref = pd.DataFrame({"x": np.round(rng.normal(0, 1, 30_000), 3)})
    cur = pd.DataFrame({"x": rng.normal(0.1, 1.2, 7_000)})
    exact, sk = drift_report(ref, cur, method=method), drift_report(ref, cur, method=method, sketch=10**6)
    pd.testing.assert_frame_equal(sk.table, exact.table, check_exact=False, rtol=1e-12, atol=1e-15)
    assert not sk.error_bounds["statistic_error"].any()


def test_the_report_says_it_is_approximate():
    rng = np.random.default_rng(1)
    ref = pd.DataFrame({"x": rng.normal(0, 1, 50_000), "y": rng.normal(0, 1, 50_000), "c": rng.choice(list("ab"), 50_000)})
    cur = ref.assign(x=ref["x"] + 0.3)
    rep = drift_report(ref, cur, sketch=512)
    approx = [f for f in rep.findings if f.check == "drift.approximate"]
    assert [f.subject for f in approx] == ["x", "y"] and {f.severity for f in approx} == {"info"}
    assert "CDFs are within" in approx[0].message and "wasserstein within" in approx[0].message
    assert approx[0].evidence["cdf_error"] == rep.error_bounds.set_index("column").loc["x", "cdf_error"]
    assert rep.drifted == ["x"] and not rep.ok
    exact = drift_report(ref, cur)
    assert not [f for f in exact.findings if f.check == "drift.approximate"]
    assert len(exact.error_bounds) == len(exact.table) and not exact.error_bounds[["cdf_error", "statistic_error"]].any().any()
    assert rep.plot("x").axes[0].get_title().startswith("x: drifted")


def test_sketched_profile_round_trips_and_merges_with_an_exact_one(tmp_path):
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"x": rng.normal(0, 1, 40_000), "c": rng.choice(list("abc"), 40_000)})
    sk = Profile.from_frame(df.iloc[:30_000], sketch=300)
    sk.save(tmp_path / "p.npz")
    back = Profile.load(tmp_path / "p.npz")
    for key in ("values", "weights"): np.testing.assert_array_equal(getattr(back.columns["x"], key), getattr(sk.columns["x"], key))
    assert back.columns["x"] == sk.columns["x"] and back == sk
    both = back.merge(Profile.from_frame(df.iloc[30_000:]))           # an exact profile merged into a sketch
    s = both.columns["x"]
    assert s.sketch == 300 and len(s.values) <= 300 and int(s.weights.sum()) == 40_000
    assert true_cdf_error(df["x"].to_numpy(), s) <= s.rank_error <= 16 * 40_000 / 300
    assert both.columns["c"].counts == Profile.from_frame(df).columns["c"].counts


@pytest.mark.parametrize("bad", [0, 15, -1, True, 3.5, "big"])
def test_bad_sketch_sizes_are_refused(bad):
    df = pd.DataFrame({"x": [1.0, 2.0]})
    with pytest.raises(ValueError, match=r"sketch must be None \(keep every value: exact\) or an integer >= 16"):
        drift_report(df, df, sketch=bad)
    with pytest.raises(ValueError, match="sketch must be None"): Profile.from_frame(df, sketch=bad)


@pytest.mark.parametrize("kind", ["normal", "lognormal", "atom"])
@pytest.mark.parametrize("seed", [11, 12])
def test_stated_error_is_between_one_and_two_times_the_true_error_in_any_merge_order(kind, seed):
    "The benchmark's distributions at a smaller size: one partition, 64 merged pairwise, 64 merged in a left fold."
    x = sample(kind, 200_000, np.random.default_rng(seed))
    parts = [Profile.from_frame(piece, sketch=1024) for piece in split(pd.DataFrame({"x": x}), 64)]
    fold = parts[0]
    for p in parts[1:]: fold = fold.merge(p)
    for how, p in (("one partition", Profile.from_frame(pd.DataFrame({"x": x}), sketch=1024)), ("pairwise", tree(parts)[0]),
                   ("left fold", fold)):
        s = p.columns["x"]
        true = true_cdf_error(x, s)
        assert 0 < true <= s.rank_error <= 2 * true, (how, true, s.rank_error)
        assert len(s.items) <= 1024 and int(s.weights.sum()) == len(x)


def test_merge_order_changes_the_error_little():
    "Pairwise and left-fold merges of the same 64 partitions: errors of the same size (the old sketch's differed 2-5x)."
    x = sample("normal", 200_000, np.random.default_rng(4))
    parts = [Profile.from_frame(piece, sketch=1024) for piece in split(pd.DataFrame({"x": x}), 64)]
    fold = parts[0]
    for p in parts[1:]: fold = fold.merge(p)
    a, b = true_cdf_error(x, tree(parts)[0].columns["x"]), true_cdf_error(x, fold.columns["x"])
    assert max(a, b) <= 2.5 * min(a, b), (a, b)


@pytest.mark.parametrize("k,n", [(k, n) for k in (64, 1024, 4096) for n in (4_097, 12_000, 200_000, 1_000_000)]
                         + [(4096, 10_000_000)])   # the benchmark's size, where the old rule kept 3,800 values
def test_one_partition_uses_every_value_of_its_budget(k, n):
    "A column of more rows than `k` distinct values is sketched into exactly `k` values (the longest runs cut in two while the budget lasts), all rows counted."
    x = np.random.default_rng(n + k).normal(0, 1, n)
    s = Profile.from_frame(pd.DataFrame({"x": x}), sketch=k).columns["x"]
    assert not s.exact and len(s.items) == k and int(s.weights.sum()) == n
    assert 0 < true_cdf_error(x, s) <= s.rank_error


# --- the values a sketch keeps: any value between a run's middle row and the row after it counts the same rows, so the
# --- sketch keeps the one written with the fewest bits (which packs small); a data value stays exact where it must

def significant_bits(x:float)->int:
    "Bits of |x|'s float64 pattern up to its last 1 bit (0 for zero): fewer means a shorter number."
    m = int(np.abs(np.float64(x)).view(np.uint64))
    return 0 if m == 0 else 64 - ((m & -m).bit_length() - 1)


finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@settings(max_examples=500, deadline=None)
@given(a=finite, b=finite)
def test_shortest_lies_in_the_half_open_interval(a, b):
    p = float(P._shortest(np.array([a]), np.array([b]))[0])
    if b > a: assert a < p <= b, (a, b, p)
    else: assert p == b                                        # an empty interval: the upper end, as it is


@settings(max_examples=300, deadline=None)
@given(a=finite, steps=st.integers(1, 300))
def test_shortest_has_the_fewest_bits_of_every_float_in_the_interval(a, steps):
    "Checked against every float of (a, b], for intervals up to 300 floats wide (b is `steps` floats above a)."
    every = [a]
    with np.errstate(over="ignore"):
        for _ in range(steps): every.append(float(np.nextafter(every[-1], np.inf)))
    if not np.isfinite(every[-1]): return
    b = every[-1]
    p = float(P._shortest(np.array([a]), np.array([b]))[0])
    assert a < p <= b and significant_bits(p) == min(significant_bits(v) for v in every[1:]), (a, b, p)


def test_shortest_on_hand_picked_intervals():
    a = np.array([1.3, -2.0, -0.5, 0.0, 3.0, 0.1, -1e-300])
    b = np.array([1.7, -1.0, 0.25, 5e-324, 3.0, 0.1000001, -1e-301])
    p = P._shortest(a, b)
    assert p[:6].tolist() == [1.5, -1.0, 0.0, 5e-324, 3.0, 0.10000002384185791]
    assert a[6] < p[6] <= b[6] and significant_bits(p[6]) < min(significant_bits(a[6]), significant_bits(b[6]))


@pytest.mark.parametrize("kind,k,n", [(kind, k, n) for kind in ("normal", "lognormal", "atom", "grid")
                                      for k, n in ((256, 5_000), (256, 100_000), (4096, 1_000_000))
                                      if not (kind == "grid" and k > 800)])   # a grid's ~800 values fit 4096: exact
def test_short_values_change_no_count_at_any_value_of_the_data(kind, k, n, monkeypatch):
    """A sketch of one partition counts the same rows at every data value as one keeping the row after each run's middle.
    (With a `k` so small that building it must compact, below 64 or so, the tie-breaks of those compactions read the
    values, so the two would differ there by which items they keep.)"""
    x = sample(kind, n, np.random.default_rng(n + k))
    xs = np.sort(x)
    short = Profile.from_frame(pd.DataFrame({"x": x}), sketch=k).columns["x"]
    monkeypatch.setattr(P, "_shortest", lambda a, b: np.asarray(b, "f8"))
    rows = Profile.from_frame(pd.DataFrame({"x": x}), sketch=k).columns["x"]
    assert not short.exact and short.rank_error == rows.rank_error and len(short.items) == len(rows.items) == k
    assert sum(short.compactions) == 1                         # built without compacting: only the runs' own error
    assert (short.cum(xs) == rows.cum(xs)).all()
    assert (short.items != rows.items).any() or kind == "grid"   # shorter values were kept (a grid's rows are short already)


def test_short_values_pack_to_a_quarter_of_the_plain_bytes():
    "1M normal values sketched with k=4096: the kept values pack to under 2 bytes each (5.6 when they were data rows)."
    x = np.random.default_rng(0).normal(0, 1, 1_000_000)
    s = Profile.from_frame(pd.DataFrame({"x": x}), sketch=4096).columns["x"]
    assert len(s.items) == 4096 and len(P._pack(s.items)) < 2 * 4096


def test_tie_breaks_lean_both_ways_on_short_values():
    "The bit that breaks a tie in a compaction depends on every bit of the values, not only their (often zero) low bits."
    rng = np.random.default_rng(0)
    ups = [P._leans_up(np.round(rng.normal(0, 1, 64) * 8) / 8) for _ in range(400)]   # multiples of 1/8: low bits all 0
    assert 120 <= sum(ups) <= 280, sum(ups)


@pytest.mark.parametrize("kind,seed,parts", [("lognormal", 1006, 64), ("atom", 1007, 32), ("normal", 0, 32)])
def test_stated_error_covers_the_true_error_where_fewer_spreads_fell_short(kind, seed, parts):
    """Two of 756 merged sketches (1M and 10M values, 2 to 256 partitions, both orders) were off by more than 2.75 spreads
    of their compactions, by 1-2 % (511 rows against 503, 514 against 509), so the factor became 2.8; a later sweep found
    a third (1M normal values, seed 0, 32 partitions pairwise) off by 2.85 spreads (526 rows against 518): it is 3 since."""
    x = sample(kind, 1_000_000, np.random.default_rng(seed))
    s = tree([Profile.from_frame(piece, sketch=4096) for piece in split(pd.DataFrame({"x": x}), parts)])[0].columns["x"]
    assert true_cdf_error(x, s) <= s.rank_error


# ---------------------------------------------------------------- the worst case, with the signs of the compactions
def _fold(profiles):
    out = profiles[0]
    for p in profiles[1:]: out = out.merge(p)
    return out


@settings(**SETTINGS)
@given(kind=st.sampled_from(["normal", "lognormal", "atom", "grid"]), n=st.integers(1, 20_000),
       parts=st.integers(1, 12), k=st.sampled_from([16, 50, 256]), seed=st.integers(0, 2**32 - 1),
       order=st.sampled_from(["pairwise", "left fold"]))
def test_the_worst_case_covers_the_true_error_on_its_own(kind, n, parts, k, seed, order):
    """The worst case alone (builds off either way, compactions of one sign added up) is never below the true error,
    in either merge order, ties and atoms included: it is a bound, not a measured factor."""
    x = sample(kind, n, np.random.default_rng(seed))
    pieces = [Profile.from_frame(piece, sketch=k) for piece in split(pd.DataFrame({"x": x}), parts)]
    s = (tree(pieces)[0] if order == "pairwise" else _fold(pieces)).columns["x"]
    if s.exact: return
    assert true_cdf_error(x, s) <= P._worst(s.compactions, s.tilt, s.builds) <= sum(c << h for h, c in enumerate(s.compactions))


def test_the_worst_case_counts_each_compaction_one_way_and_each_build_either_way():
    "A compaction that keeps the first of each pair moves the CDF up by its weight or not at all; the second, down."
    assert P._worst((1, 1), (1, -1), (0, 0)) == 2          # up 1 at level 0, down 2 at level 1: at most 2, not 3
    assert P._worst((1, 1), (1, 1), (0, 0)) == 3           # both up: they can add
    assert P._worst((0, 1), (0, 0), (0, 1)) == 2           # a build at level 1: off by up to 2 either way
    assert P._worst((2, 3), (0, -1), (0, 2)) == 4 + 1 + 2  # level 1: two builds (4) and one down (2); level 0: one each way
    assert P._stated_error((1, 1), (1, -1), (0, 0), 10**9) == 2 and P._stated_error((1, 1), (1, -1), (0, 0), 1) == 1


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 50), st.integers(-50, 50), st.integers(0, 50)), max_size=20))
def test_without_builds_the_worst_case_is_the_largest_the_counts_allow(levels):
    """A sketch loaded from a file saved before builds were counted has `builds=None`: it is given as many builds as its
    compactions and tilts allow, so it states at least what it would with its true builds known, and at most what it
    stated before (every compaction off by its weight, one way); with no tilt, exactly that."""
    comps, tilt, builds = [], [], []
    for c, t, b in levels:
        t = max(-c, min(c, t))                                     # a tilt of at most c in size
        b = min(b, c - abs(t))                                     # builds that leave the rest as many ups and downs
        if (c - t - b) % 2: b += -1 if b else 1                    # as the tilt says (c - b + t and c - b - t even)
        comps.append(c); tilt.append(t); builds.append(b)
    s = SketchSummary(1, 0, np.zeros(1), None, (1,), tuple(comps), tuple(tilt), 16, 0.0, 0.0)
    old = sum(c << h for h, c in enumerate(comps))
    assert P._worst(comps, tilt, builds) <= P._worst(comps, tilt, P._builds(s)) <= old
    if not any(tilt): assert P._worst(comps, tilt, P._builds(s)) == old


@pytest.mark.parametrize("kind,seed,parts", [("normal", 0, 3), ("atom", 0, 3), ("normal", 3, 2), ("normal", 3, 4)])
def test_stated_error_within_twice_the_true_error_where_few_partitions_went_past_it(kind, seed, parts):
    """Merged from 2-4 partitions (1M values, k=4096), the stated error went past twice the true one while every
    compaction counted as if it could move the CDF the same way: 2.07 and 2.11 times it for three partitions of normal
    and atom values, 1.99 and 1.95 for two and four of normal values. Counting the signs of the compactions, every one
    of them is within twice."""
    x = sample(kind, 1_000_000, np.random.default_rng(seed))
    pieces = [Profile.from_frame(piece, sketch=4096) for piece in split(pd.DataFrame({"x": x}), parts)]
    for how, p in (("pairwise", tree(pieces)[0]), ("left fold", _fold(pieces))):
        s = p.columns["x"]
        true = true_cdf_error(x, s)
        assert true <= s.rank_error <= 2 * true, (how, true, s.rank_error)


@pytest.mark.parametrize("parts", [2, 3, 4, 8, 16])
def test_stated_error_within_twice_the_true_error_from_2_to_16_partitions(parts):
    "The benchmark's distributions at a smaller size (200k values, k=1024), in both merge orders."
    for kind in ("normal", "lognormal", "atom"):
        x = sample(kind, 200_000, np.random.default_rng(parts))
        pieces = [Profile.from_frame(piece, sketch=1024) for piece in split(pd.DataFrame({"x": x}), parts)]
        for how, p in (("pairwise", tree(pieces)[0]), ("left fold", _fold(pieces))):
            s = p.columns["x"]
            true = true_cdf_error(x, s)
            assert true <= s.rank_error <= 2 * true, (kind, how, true, s.rank_error)


@pytest.mark.parametrize("kind,k", [("normal", 64), ("normal", 256), ("lognormal", 1024)])
def test_one_sketch_can_come_from_rows_off_by_half_a_run_or_by_one_row(kind, k):
    """Why no stated error read from a sketch can be within twice the true error on every input: rows spread across each
    run, and rows that sit on the sketch's values (but the first of each run, just below it), give the same sketch,
    with true errors of half the longest run and of one row."""
    spread = np.sort(sample(kind, 20_000, np.random.default_rng(5)))
    s = Profile.from_frame(pd.DataFrame({"x": spread}), sketch=k).columns["x"]
    sitting = np.concatenate([[v] if w == 1 else [np.nextafter(v, -np.inf)] + [v] * (w - 1)
                              for v, w in zip(s.values, s.weights)])
    t = Profile.from_frame(pd.DataFrame({"x": sitting}), sketch=k).columns["x"]
    assert not t.exact and len(np.unique(sitting)) > k
    assert (t.items.tolist(), t.levels, t.compactions, t.tilt, t.builds) == (s.items.tolist(), s.levels, s.compactions, s.tilt, s.builds)
    assert true_cdf_error(sitting, t) == 1
    assert 8 <= true_cdf_error(spread, s) <= s.rank_error == t.rank_error     # half of a run of 16 rows or more


# --- all k values: the last compaction of a merge does only the pairs it needs to keep exactly k values and leaves its
# --- other pairs pending, at their level; the next merge does them first, so merges go on as if it had been whole

def _whole(monkeypatch):
    "Every compaction whole again (its pending pairs done at once): the sketch as it was before pairs were left pending."
    compact = P._compact
    def whole(levels, comps, tilt, k):
        P._finish(levels, compact(levels, comps, tilt, k))
    monkeypatch.setattr(P, "_compact", whole)


@pytest.mark.parametrize("parts", [2, 3, 5, 16, 64])
@pytest.mark.parametrize("order", ["pairwise", "left fold"])
def test_merged_sketches_keep_all_k_values(parts, order):
    "Merged in either order from 2 to 64 partitions, a sketch keeps exactly `k` values, every row counted."
    x = sample("normal", 200_000, np.random.default_rng(parts))
    pieces = [Profile.from_frame(piece, sketch=256) for piece in split(pd.DataFrame({"x": x}), parts)]
    s = (tree(pieces)[0] if order == "pairwise" else _fold(pieces)).columns["x"]
    assert not s.exact and len(s.items) == 256 and int(s.weights.sum()) == len(x)
    assert 0 < true_cdf_error(x, s) <= s.rank_error


def test_merges_kept_fewer_values_when_compactions_were_whole(monkeypatch):
    "The same merges with whole compactions keep fewer than `k` values: what the pending pairs fill."
    x = sample("normal", 200_000, np.random.default_rng(2))
    _whole(monkeypatch)
    pieces = [Profile.from_frame(piece, sketch=256) for piece in split(pd.DataFrame({"x": x}), 16)]
    s = tree(pieces)[0].columns["x"]
    assert s.pending is None and len(s.items) < 256 and int(s.weights.sum()) == len(x)


@pytest.mark.parametrize("order", ["pairwise", "left fold"])
@pytest.mark.parametrize("kind,parts", [("normal", 16), ("atom", 16), ("lognormal", 7), ("grid", 5)])
def test_pending_pairs_are_done_first_so_merges_go_as_if_compactions_were_whole(kind, parts, order, monkeypatch):
    """A merge does a sketch's pending pairs first (the same pairs, kept on the same side), so it compacts exactly as it
    would have had every compaction been whole: the same compactions, tilts, builds and stated error, and the same levels
    once the pending pairs are done. The pending pairs only change the CDF between the first and the last of them, by
    at most the weight of one item of the level above."""
    x = sample(kind, 100_000, np.random.default_rng(len(kind) + parts))
    def merged():
        pieces = [Profile.from_frame(piece, sketch=128) for piece in split(pd.DataFrame({"x": x}), parts)]
        return (tree(pieces)[0] if order == "pairwise" else _fold(pieces)).columns["x"]
    s = merged()
    with monkeypatch.context() as m:
        _whole(m)
        w = merged()
    assert s.pending is not None and w.pending is None and len(w.items) < len(s.items) == 128
    assert (s.compactions, s.tilt, s.builds, s.rank_error) == (w.compactions, w.tilt, w.builds, w.rank_error)
    def done(t):
        levels, *_, pending = P._level_list(t, 128)
        assert P._finish(levels, pending) is None
        return [v.tolist() for v in levels if len(v)]
    assert done(s) == done(w)
    h = s.pending[0]
    ends = np.cumsum(s.levels)
    mine = s.items[ends[h] - s.levels[h]:ends[h]]                                   # level h: pending pairs (and extras)
    t = np.union1d(s.values, w.values)
    moved = np.flatnonzero(s.cum(t) != w.cum(t))
    assert len(moved) or kind == "atom"                                 # (pairs on the atom itself move nothing)
    assert mine.min() <= t[moved].min(initial=np.inf) and t[moved].max(initial=-np.inf) < mine.max()
    assert np.abs(s.cum(t) - w.cum(t)).max() <= 2 << h


@pytest.mark.parametrize("kind,n,parts", [("normal", 1_750, 56), ("lognormal", 1_246, 48), ("lognormal", 6_599, 52),
                                          ("atom", 30_000, 200)])
def test_a_fold_of_small_partitions_keeps_all_k_values(kind, n, parts, monkeypatch):
    """Partitions much smaller than `k` add a few rows per merge: the pending pairs are done a few at a time, as far as
    each merge needs (when they were all done at the next merge, a random stress run found such folds keeping 714-1,017
    of 1,024 values), so the sketch keeps `k` values from its first compaction on, every row counted, with no more
    compactions than whole ones would make."""
    x = sample(kind, n, np.random.default_rng(n))
    pieces = [Profile.from_frame(piece, sketch=1024) for piece in split(pd.DataFrame({"x": x}), parts)]
    out, kept = pieces[0], []
    for p in pieces[1:]:
        out = out.merge(p)
        if not out.columns["x"].exact: kept.append(len(out.columns["x"].items))
    s = out.columns["x"]
    assert kept and set(kept) == {1024} and int(s.weights.sum()) == n
    assert 0 < true_cdf_error(x, s) <= s.rank_error
    with monkeypatch.context() as m:
        _whole(m)
        w = _fold(pieces).columns["x"]
    assert len(w.items) < 1024 and sum(s.compactions) <= sum(w.compactions) + 1, (s.compactions, w.compactions)


def test_the_sketch_benchmark_takes_the_true_error_at_every_value():
    """`benchmarks/bench_sketch.py` takes the true CDF error at every value of the data and of the sketch, as
    `true_cdf_error` does (it took it at 20,001 quantiles of the data before, which missed the peaks between them)."""
    import importlib.util
    from pathlib import Path
    spec = importlib.util.spec_from_file_location("bench_sketch", Path(__file__).parents[1] / "benchmarks" / "bench_sketch.py")
    bench = importlib.util.module_from_spec(spec); spec.loader.exec_module(bench)
    merge = lambda u, v: Profile({"x": u}).merge(Profile({"x": v})).columns["x"]
    for kind in ("normal", "lognormal", "atom"):
        x = bench.sample(kind, 200_000, np.random.default_rng(3))
        s = bench.tree([Profile.from_frame(pd.DataFrame({"x": p}), sketch=256).columns["x"] for p in np.array_split(x, 16)], merge)
        xs = np.sort(x)
        assert bench.exact_error(xs, np.searchsorted(xs, xs, "right"), s.items, s.cum) == true_cdf_error(x, s) / len(x), kind
