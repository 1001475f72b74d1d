"""`Profile.load` trusts nothing in the file: every field is checked, every unreadable file is a ValueError
"not a readable mlparity profile: <path>: <what>", and a Hypothesis fuzz of corrupted files (truncation, byte flips,
edited header fields) gets either that error or a valid profile, never an exception from numpy, zipfile or json, and
always quickly. Old files (format 1, written before sketches kept levels) still load when they hold no sketch, and a
sketch in format 1 is refused with an error naming the file and the format. Format 2 files (a sketch's values as plain
float64, as the hand-made files below) still load; format 3, written now, packs a sketch's values, and its packed bytes
are checked as closely (damaged, cut short, too long, trailing bytes, a deflate bomb)."""
import io, json, math, time, zipfile, zlib

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st, HealthCheck

from mlparity.profile import Profile, NumericSummary, SketchSummary, CategoricalSummary, _pack, _unpack, _expands_too_far
from mlparity.drift import drift_report

PREFIX = "not a readable mlparity profile: "
FMT = "mlparity.profile.Profile/2"     # the hand-made files below: a sketch's values as plain float64 (still read)
FMT_3 = "mlparity.profile.Profile/3"   # what Profile.save writes: a sketch's values packed
FMT_1 = "mlparity.drift.Profile/1"


def frame(n=300, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x": np.where(rng.random(n) < 0.1, np.nan, rng.normal(0, 1, n)), "c": rng.choice(list("abc"), n),
                         "k": rng.integers(0, 5, n)})


def write(path, meta, **arrays):
    "A profile file as Profile.save writes one, from a header dict (or text) and arrays."
    text = meta if isinstance(meta, str) else json.dumps(meta)
    with open(path, "wb") as f: np.savez(f, meta=np.array(text), **arrays)
    return path


def good_meta():
    return {"format": FMT, "columns": [
        {"name": "x", "kind": "numeric", "n": 4, "n_missing": 1},
        {"name": "c", "kind": "categorical", "n": 4, "n_missing": 0, "counts": {"a": 3, "b": 1}},
        {"name": "s", "kind": "numeric", "n": 10, "n_missing": 0, "sketch": 16, "mean": 2.0, "m2": 5.0,
         "levels": [], "compactions": [], "tilt": []},
        {"name": "L", "kind": "numeric", "n": 5, "n_missing": 1, "sketch": 16, "mean": 4.0, "m2": 41.0,
         "levels": [2, 1], "compactions": [1], "tilt": [1]}]}


def good_arrays():
    return {"values_0": np.array([1.0, 2.0, 3.0]), "values_2": np.array([0.0, 2.0, 5.0]), "weights_2": np.array([3, 4, 3]),
            "values_3": np.array([0.0, 9.0, 4.0])}


def edit(meta, col, **fields):
    meta = json.loads(json.dumps(meta))
    for k, v in fields.items():
        if v is ...: meta["columns"][col].pop(k)
        else: meta["columns"][col][k] = v
    return meta


def test_the_hand_made_file_is_valid(tmp_path):
    p = Profile.load(write(tmp_path / "ok.npz", good_meta(), **good_arrays()))
    assert p.columns["x"] == NumericSummary(4, 1, np.array([1.0, 2.0, 3.0]))
    assert p.columns["c"] == CategoricalSummary(4, 0, {"a": 3, "b": 1})
    assert p.columns["s"] == SketchSummary(10, 0, np.array([0.0, 2.0, 5.0]), np.array([3, 4, 3]), (), (), (), 16, 2.0, 5.0)
    L = p.columns["L"]        # a sketch in levels: 0 and 9 at level 0 (a row each), 4 at level 1 (two rows)
    assert L == SketchSummary(5, 1, np.array([0.0, 9.0, 4.0]), None, (2, 1), (1,), (1,), 16, 4.0, 41.0)
    assert L.values.tolist() == [0.0, 4.0, 9.0] and L.weights.tolist() == [1, 2, 1] and L.rank_error == 1


def test_a_file_written_by_the_old_code_still_loads(tmp_path):
    "A file in format 1, as mlparity.drift wrote it (dict summaries, same keys), loads when it holds no sketch."
    df = frame()
    x = np.sort(df["x"].dropna().to_numpy())
    counts = {k: int(v) for k, v in sorted(df["c"].value_counts().items())}
    k = np.sort(df["k"].to_numpy().astype(float))
    meta = {"format": FMT_1, "columns": [{"name": "x", "kind": "numeric", "n": 300, "n_missing": int(df["x"].isna().sum())},
                                       {"name": "c", "kind": "categorical", "n": 300, "n_missing": 0, "counts": counts},
                                       {"name": "k", "kind": "numeric", "n": 300, "n_missing": 0}]}
    old = Profile.load(write(tmp_path / "old.npz", meta, values_0=x, values_2=k))
    assert old == Profile.from_frame(df)
    cur = frame(seed=1)
    pd.testing.assert_frame_equal(drift_report(old, cur).table, drift_report(df, cur).table)


def test_a_sketch_in_the_old_format_is_refused_naming_the_file_and_the_format(tmp_path):
    meta = {"format": FMT_1, "columns": [{"name": "s", "kind": "numeric", "n": 10, "n_missing": 0, "rank_error": 1,
                                          "sketch": 16, "mean": 2.0, "m2": 5.0}]}
    path = write(tmp_path / "old_sketch.npz", meta, values_0=np.array([0.0, 2.0, 5.0]), weights_0=np.array([3, 4, 3]))
    with pytest.raises(ValueError) as e: Profile.load(path)
    assert str(e.value).startswith(f"{PREFIX}{path}: column 's' is a quantile sketch in the format {FMT_1!r}")
    assert "Profile.from_frame(df, sketch=k)" in str(e.value)


def test_save_load_round_trip_exact_and_sketch(tmp_path):
    df = frame(5_000)
    for sketch in (None, 64, 10_000):       # exact, a sketch in levels, a sketch holding every distinct value
        p = Profile.from_frame(df, sketch=sketch)
        p.save(tmp_path / "p.npz")
        assert Profile.load(tmp_path / "p.npz") == p


# (what, header, arrays, words in the message)
M, A = good_meta(), good_arrays()
HOSTILE = [
    ("negative n", edit(M, 0, n=-5), A, "column 'x': field 'n' must be a whole number >= 0, got -5"),
    ("n as text", edit(M, 0, n="4"), A, "field 'n' must be a whole number >= 0, got '4'"),
    ("n as a float", edit(M, 0, n=4.0), A, "field 'n' must be a whole number"),
    ("n as true", edit(M, 0, n=True), A, "field 'n' must be a whole number"),
    ("n missing", edit(M, 0, n=...), A, "field 'n' must be a whole number >= 0, got None"),
    ("n_missing above n", edit(M, 0, n_missing=9), A, "n_missing (9) is larger than n (4)"),
    ("unknown kind", edit(M, 0, kind="text"), A, "unknown kind 'text'"),
    ("kind missing", edit(M, 0, kind=...), A, "unknown kind None"),
    ("unsorted values", M, A | {"values_0": np.array([3.0, 1.0, 2.0])}, "values must be sorted (not so at position 1)"),
    ("NaN among values", M, A | {"values_0": np.array([1.0, np.nan, 3.0])}, "values must be finite (1 are not)"),
    ("infinite value", M, A | {"values_0": np.array([1.0, 2.0, np.inf])}, "values must be finite"),
    ("values of another size", M, A | {"values_0": np.array([1.0, 2.0])}, "2 values stored for n - n_missing = 3 rows"),
    ("values array missing", M, {k: v for k, v in A.items() if k != "values_0"}, "array 'values_0' is missing"),
    ("values as text", M, A | {"values_0": np.array(["a", "b", "c"])}, "array 'values_0' must be a 1-d array of numbers"),
    ("values 2-d", M, A | {"values_0": np.ones((3, 1))}, "must be a 1-d array of numbers"),
    ("counts not adding up", edit(M, 1, counts={"a": 1}), A, "category counts add up to 1, not n - n_missing = 4"),
    ("negative count", edit(M, 1, counts={"a": 5, "b": -1}), A, "category 'b': field 'b' must be a whole number >= 0"),
    ("counts as a list", edit(M, 1, counts=[3, 1]), A, "field 'counts' must be an object"),
    ("sketch weights missing", M, {k: v for k, v in A.items() if k != "weights_2"}, "array 'weights_2' is missing"),
    ("sketch weights of another size", M, A | {"weights_2": np.array([5, 5])}, "2 weights for 3 values"),
    ("sketch weights not adding up", M, A | {"weights_2": np.array([3, 4, 4])}, "the weights add up to 11, not n - n_missing = 10"),
    ("zero weight", M, A | {"weights_2": np.array([3, 7, 0])}, "weights must be >= 1"),
    ("float weights", M, A | {"weights_2": np.array([3.0, 4.0, 3.0])}, "array 'weights_2' must be a 1-d array of numbers"),
    ("repeated sketch values", M, A | {"values_2": np.array([0.0, 2.0, 2.0])}, "values must be sorted and distinct"),
    ("sketch smaller than allowed", edit(M, 2, sketch=4), A, "sketch size 4 is below the smallest allowed, 16"),
    ("more values than the sketch holds", edit(M, 2, sketch=16), A | {"values_2": np.arange(20.0), "weights_2": np.ones(20, int)},
     "20 values stored in a sketch of at most 16"),
    ("negative m2", edit(M, 2, m2=-1.0), A, "m2 (a sum of squares) must be >= 0"),
    ("NaN mean (as JSON NaN)", edit(M, 2, mean=float("nan")), A, "field 'mean' must be a finite number"),
    ("compactions above the rows", edit(M, 3, compactions=[3], tilt=[1]), A, "3 compactions at level 0 are more than 4 rows allow"),
    ("tilt larger than the compactions", edit(M, 3, tilt=[2]), A, "field 'tilt' must be a list of whole numbers"),
    ("tilt missing", edit(M, 3, tilt=...), A, "field 'tilt' must be a list"),
    ("levels not a list", edit(M, 3, levels=3), A, "field 'levels' must be a list of whole numbers >= 0, got 3"),
    ("levels holding other rows", edit(M, 3, levels=[1, 2]), A, "the levels hold 5 rows, not n - n_missing = 4"),
    ("levels holding other items", edit(M, 3, levels=[4]), A, "3 values stored for levels holding 4"),
    ("level 0 without the extremes", M, A | {"values_3": np.array([0.0, 4.0, 9.0])}, "level 0 must hold the smallest and the largest value"),
    ("unsorted level", M, A | {"values_3": np.array([9.0, 0.0, 4.0])}, "level 0 is not sorted"),
    ("compactions on an exact sketch", edit(M, 2, compactions=[1], tilt=[0]), A, "an exact sketch (no levels) has no compactions"),
    ("unknown format", {**M, "format": "mlparity.drift.Profile/9"}, A, "unknown format 'mlparity.drift.Profile/9'"),
    ("no format", {"columns": M["columns"]}, A, "unknown format None"),
    ("columns not a list", {**M, "columns": {"x": 1}}, A, "header field 'columns' must be a list"),
    ("a column that is not an object", {**M, "columns": ["x"]}, A, "column 0: each column must be an object with a 'name'"),
    ("a name that is a list", edit(M, 0, name=["x"]), A, "'name' must be text or a number"),
    ("a column twice", {**M, "columns": [M["columns"][1], M["columns"][1]]}, A, "column 'c' appears twice"),
    ("header is not JSON", "{not json", A, "the header is not valid JSON"),
    ("header is a JSON list", "[1, 2]", A, "the header must be a JSON object"),
    ("header is empty text", "", A, "the header is not valid JSON"),
]


@pytest.mark.parametrize("what,meta,arrays,words", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_profile_files(tmp_path, what, meta, arrays, words):
    path = write(tmp_path / "p.npz", meta, **arrays)
    with pytest.raises(ValueError) as e: Profile.load(path)
    assert str(e.value).startswith(f"{PREFIX}{path}: ") and words in str(e.value), str(e.value)


# ------------------------------------------------------------------ format 3: a sketch's values packed

EDGE = np.array([0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, -1.7976931348623157e308,
                 1.0, 1.0, -1.0, math.pi, 1e-300, -1e300])


@pytest.mark.parametrize("x", [EDGE, np.array([]), np.array([7.5]), np.random.default_rng(0).normal(0, 1, 3_000),
                               np.sort(np.random.default_rng(1).lognormal(0, 2, 4_096)), np.full(500, 5.0),
                               np.full(150_000, 5.0)],
                         ids=["edge values", "none", "one", "unsorted", "sorted", "an atom", "an atom past 1 MB"])
def test_packing_keeps_every_bit(x):
    "Packed and unpacked, float64 values come back bit for bit: signed zeros, subnormals, extremes, any order."
    y = _unpack(_pack(x), len(x), "w")
    assert y.dtype == np.float64 and y.tobytes() == np.asarray(x, "float64").tobytes()
    assert not _expands_too_far(x.nbytes, len(_pack(x)))     # never packed tighter than a reader accepts


def test_a_saved_sketch_is_packed_and_smaller_than_its_floats(tmp_path):
    x = np.random.default_rng(2).normal(0, 1, 200_000)
    s = Profile.from_frame(pd.DataFrame({"x": x}), sketch=4096)
    s.save(tmp_path / "s.npz")
    with np.load(tmp_path / "s.npz", allow_pickle=False) as z:
        assert json.loads(str(z["meta"]))["format"] == FMT_3 and sorted(z.files) == ["meta", "packed_0"]
        assert z["packed_0"].dtype == np.uint8
    items = len(s.columns["x"].items)
    assert items == 4096 and (tmp_path / "s.npz").stat().st_size < 0.8 * 8 * items   # about 0.7 of the raw floats here
    assert Profile.load(tmp_path / "s.npz") == s


def test_a_sketch_saved_in_format_2_still_loads(tmp_path):
    "A format 2 file (the sketch's values as plain float64) loads as the same sketch, levels and exact alike."
    df = frame(3_000)
    for sketch in (32, 10_000):
        p = Profile.from_frame(df, sketch=sketch)
        p.save(tmp_path / "new.npz")
        with np.load(tmp_path / "new.npz", allow_pickle=False) as z:
            meta, arrays = json.loads(str(z["meta"])), {k: z[k] for k in z.files if k != "meta"}
        meta["format"] = FMT
        for name in [k for k in arrays if k.startswith("packed_")]:
            i = name.split("_")[1]; s = p.columns[meta["columns"][int(i)]["name"]]
            arrays[f"values_{i}"] = s.items; del arrays[name]
        assert Profile.load(write(tmp_path / "old.npz", meta, **arrays)) == p


def _three(**fields):
    "A format 3 header with one sketch column in levels ([2, 1]: 0 and 9 at level 0, 4 at level 1) and one exact sketch."
    meta = {"format": FMT_3, "columns": [dict(good_meta()["columns"][3], **fields), good_meta()["columns"][2]]}
    return meta, {"packed_0": _pack(np.array([0.0, 9.0, 4.0])), "packed_1": _pack(np.array([0.0, 2.0, 5.0])),
                  "weights_1": np.array([3, 4, 3])}


def test_the_hand_made_format_3_file_is_valid(tmp_path):
    p = Profile.load(write(tmp_path / "ok.npz", *_three()[:1], **_three()[1]))
    assert p.columns["L"] == SketchSummary(5, 1, np.array([0.0, 9.0, 4.0]), None, (2, 1), (1,), (1,), 16, 4.0, 41.0)
    assert p.columns["s"] == SketchSummary(10, 0, np.array([0.0, 2.0, 5.0]), np.array([3, 4, 3]), (), (), (), 16, 2.0, 5.0)


_M3, _A3 = _three()
BOMB = np.frombuffer(zlib.compress(b"\0" * 50_000_000, 9), np.uint8)   # 50 MB of zeros in about 50 kB
HOSTILE_3 = [
    ("packed values missing", _M3, {k: v for k, v in _A3.items() if k != "packed_0"}, "array 'packed_0' is missing"),
    ("packed values as floats", _M3, _A3 | {"packed_0": np.array([0.0, 9.0, 4.0])}, "packed values must be a 1-d array of bytes"),
    ("packed values not deflated", _M3, _A3 | {"packed_0": np.frombuffer(b"not deflated at all", np.uint8)}, "packed values are damaged"),
    ("packed values cut short", _M3, _A3 | {"packed_0": _pack(np.array([0.0, 9.0]))}, "packed values hold 2 values, for the 3 the header states"),
    ("packed values too many", _M3, _A3 | {"packed_0": _pack(np.array([0.0, 9.0, 4.0, 5.0]))}, "packed values hold more than 3 values"),
    ("packed values truncated", _M3, _A3 | {"packed_0": _A3["packed_0"][:-6]}, "(cut short)"),
    ("trailing bytes", _M3, _A3 | {"packed_0": np.concatenate([_A3["packed_0"], np.frombuffer(b"xyz", np.uint8)])}, "and trailing bytes"),
    ("a deflate bomb", _M3, _A3 | {"packed_0": BOMB}, "packed values hold more than 3 values"),
    ("packed values unsorted in a level", _M3, _A3 | {"packed_0": _pack(np.array([9.0, 0.0, 4.0]))}, "level 0 is not sorted"),
    ("packed NaN", _M3, _A3 | {"packed_0": _pack(np.array([0.0, np.nan, 4.0]))}, "values must be finite (1 are not)"),
    ("levels above the sketch size", _three(levels=[20, 1])[0], _A3, "levels holding 21 values, in a sketch of at most 16"),
    ("more values than the packed bytes could hold", _three(sketch=10**9, levels=[2, 10**8])[0], _A3,
     "packed bytes would expand to the 800,000,016 of 100,000,002 values"),
    ("exact weights above the sketch size", _M3, _A3 | {"weights_1": np.ones(20, int)}, "20 values stored in a sketch of at most 16"),
    ("exact values fewer than weights", _M3, _A3 | {"packed_1": _pack(np.array([0.0, 2.0]))}, "packed values hold 2 values, for the 3"),
    ("exact values repeated", _M3, _A3 | {"packed_1": _pack(np.array([0.0, 2.0, 2.0]))}, "values must be sorted and distinct"),
    ("builds of another length", _three(builds=[0, 0])[0], _A3, "field 'builds' must be a list of whole numbers >= 0, one per level"),
    ("builds not a list", _three(builds=1)[0], _A3, "field 'builds' must be a list"),
    ("negative builds", _three(builds=[-1])[0], _A3, "got [-1]"),
    ("builds as true", _three(builds=[True])[0], _A3, "field 'builds' must be a list of whole numbers"),
    ("builds as a float", _three(builds=[0.0])[0], _A3, "field 'builds' must be a list of whole numbers"),
    ("more builds than the tilt leaves", _three(builds=[1])[0], _A3, "each leaving its level's other compactions at least as many as the tilt"),
    ("builds of the wrong parity", _three(compactions=[2], tilt=[0], builds=[1])[0], _A3, "and of the tilt's parity, got [1]"),
    ("pending items holding the largest value", _three(n=7, levels=[4, 1], pending=[0, 1, 2])[0],
     _A3 | {"packed_0": _pack(np.array([0.0, 5.0, 2.0, 9.0, 4.0]))}, "apart from its pending items"),
    ("pending items unsorted", _three(n=7, levels=[4, 1], pending=[0, 1, 2])[0],
     _A3 | {"packed_0": _pack(np.array([0.0, 9.0, 5.0, 2.0, 4.0]))}, "level 0 is not sorted"),
]


def test_a_hand_made_file_with_pending_items_loads_and_merges(tmp_path):
    "Level 0 holds 0 and 9, then its pending pair (2, 5); level 1 holds 4. Merged with itself, the pending pairs go first."
    meta = _three(n=7, levels=[4, 1], pending=[0, 1, 2])[0]
    p = Profile.load(write(tmp_path / "p.npz", meta, **(_A3 | {"packed_0": _pack(np.array([0.0, 9.0, 2.0, 5.0, 4.0]))})))
    s = p.columns["L"]
    assert s.pending == (0, True, 2) and s.levels == (4, 1) and s.weights.tolist() == [1, 1, 2, 1, 1]
    m = p.merge(p).columns["L"]
    assert int(m.weights.sum()) == 12 and len(m.items) <= 16 and m.values[0] == 0.0 and m.values[-1] == 9.0


def test_builds_round_trip_and_a_file_without_them_states_no_less(tmp_path):
    """Builds (the compactions that built levels from sorted rows) are saved; a file saved before they were counted has
    none, and its sketch states at least the error it would state with them, alone and merged."""
    rng = np.random.default_rng(7)
    parts = [Profile.from_frame(pd.DataFrame({"x": rng.normal(0, 1, 20_000)}), sketch=64) for _ in range(3)]
    merged = parts[0].merge(parts[1]).merge(parts[2])
    s = merged.columns["x"]
    assert s.builds is not None and sum(s.builds) == 3                    # one build per partition
    merged.save(tmp_path / "new.npz")
    assert Profile.load(tmp_path / "new.npz").columns["x"].builds == s.builds
    with np.load(tmp_path / "new.npz", allow_pickle=False) as z:
        meta, arrays = json.loads(str(z["meta"])), {k: z[k] for k in z.files if k != "meta"}
    del meta["columns"][0]["builds"]
    old = Profile.load(write(tmp_path / "old.npz", meta, **arrays))
    o = old.columns["x"]
    assert o.builds is None and o.items.tolist() == s.items.tolist() and o.rank_error >= s.rank_error
    assert old.merge(parts[0]).columns["x"].rank_error >= merged.merge(parts[0]).columns["x"].rank_error


@pytest.mark.parametrize("what,meta,arrays,words", HOSTILE_3, ids=[h[0] for h in HOSTILE_3])
def test_hostile_format_3_files(tmp_path, what, meta, arrays, words):
    path = write(tmp_path / "p.npz", meta, **arrays)
    t = time.process_time()
    with pytest.raises(ValueError) as e: Profile.load(path)
    assert str(e.value).startswith(f"{PREFIX}{path}: ") and words in str(e.value), str(e.value)
    assert time.process_time() - t < 2


def test_unreadable_files(tmp_path):
    good = tmp_path / "good.npz"; Profile.from_frame(frame()).save(good)
    data = good.read_bytes()
    cases = {"empty": b"", "truncated": data[: len(data) // 2], "text": b"user_id,age\n1,30\n", "first byte flipped": b"Q" + data[1:]}
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ValueError, match=f"^{PREFIX}") as e: Profile.load(tmp_path / name)
        assert str(tmp_path / name) in str(e.value), name
    with pytest.raises(ValueError, match="it is a directory"): Profile.load(tmp_path)
    with pytest.raises(FileNotFoundError, match=f"{PREFIX}.*no such file"): Profile.load(tmp_path / "absent.npz")
    z = tmp_path / "other.zip"                                      # a zip that is not a profile
    with zipfile.ZipFile(z, "w") as f: f.writestr("readme.txt", "hello")
    with pytest.raises(ValueError, match=f"{PREFIX}.*no 'meta' header"): Profile.load(z)
    bomb = tmp_path / "bomb.npz"                                    # 200 MB of zeros in a few hundred kB: refused unread
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as f:
        f.writestr("meta.npy", b"\0" * 200_000_000)
    t = time.process_time()
    with pytest.raises(ValueError, match=f"{PREFIX}.*expands from"): Profile.load(bomb)
    assert time.process_time() - t < 2
    npy = tmp_path / "one.npy"; np.save(npy, np.arange(3.0))       # a single array, not an archive
    with pytest.raises(ValueError, match=f"{PREFIX}.*not an .npz archive"): Profile.load(npy)
    obj = tmp_path / "pickled.npz"                                   # an object array needs pickle: refused, never run
    np.savez(obj, meta=np.array(json.dumps(good_meta())), values_0=np.array([1.0, "a"], dtype=object))
    with pytest.raises(ValueError, match=PREFIX): Profile.load(obj)
    with pytest.raises(ValueError, match="the 'meta' header is not text"):
        write(tmp_path / "m.npz", "x"); np.savez(tmp_path / "m.npz", meta=np.arange(3)); Profile.load(tmp_path / "m.npz")


# ------------------------------------------------------------------ fuzz: corruptions of a valid file

def _valid_bytes():
    buf = io.BytesIO()
    p = Profile.from_frame(frame(400), sketch=None).merge(Profile.from_frame(frame(100, seed=3)))
    cols = dict(p.columns); cols["s"] = Profile.from_frame(frame(2_000, seed=4), sketch=32).columns["x"]
    import tempfile, os
    with tempfile.TemporaryDirectory() as d:
        f = os.path.join(d, "p.npz"); Profile(cols).save(f)
        return open(f, "rb").read()

VALID = _valid_bytes()


def _check(tmp_path, content:bytes):
    path = tmp_path / "fuzzed.npz"
    path.write_bytes(content)
    t = time.process_time()
    try: p = Profile.load(path)
    except ValueError as e:
        assert str(e).startswith(f"{PREFIX}{path}: "), str(e)
    else:       # it loaded: then it is a valid profile that drift_report can use
        assert isinstance(p, Profile)
        for s in p.columns.values():
            assert 0 <= s.n_missing <= s.n
            if s.kind == "numeric":
                assert np.isfinite(s.values).all() and (np.diff(s.values) >= 0).all()
                assert int(s.weights.sum()) == s.count
            else: assert sum(s.counts.values()) == s.count
    assert time.process_time() - t < 5, "loading a corrupted file took too long"


FUZZ = dict(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@settings(**FUZZ)
@given(st.integers(0, len(VALID)))
def test_fuzz_truncation(tmp_path, cut):
    _check(tmp_path, VALID[:cut])


@settings(**FUZZ)
@given(st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(1, 255)), min_size=1, max_size=8))
def test_fuzz_byte_flips(tmp_path, flips):
    b = bytearray(VALID)
    for i, x in flips: b[i] ^= x
    _check(tmp_path, bytes(b))


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats(allow_nan=True) | st.text(max_size=5),
                           lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3), max_leaves=6)


@settings(**FUZZ)
@given(st.data())
def test_fuzz_edited_header_fields(tmp_path, data):
    "Rewrite the header of a valid file with some fields replaced, removed or added: arrays kept as they were."
    with np.load(io.BytesIO(VALID), allow_pickle=False) as z:
        meta, arrays = json.loads(str(z["meta"])), {k: z[k] for k in z.files if k != "meta"}
    for _ in range(data.draw(st.integers(1, 3))):
        col = data.draw(st.sampled_from(meta["columns"]))
        key = data.draw(st.sampled_from(sorted(col) + ["kind", "n", "counts", "sketch", "extra"]))
        if data.draw(st.booleans()): col.pop(key, None)
        else: col[key] = data.draw(JSON_VALUES | st.integers(-3, 3000))
    if data.draw(st.booleans()): arrays.pop(data.draw(st.sampled_from(sorted(arrays))), None)
    buf = io.BytesIO(); np.savez(buf, meta=np.array(json.dumps(meta)), **arrays)
    _check(tmp_path, buf.getvalue())


# ------------------------------------------------------------------ pending pairs: the last compaction's, saved and checked

def _pending_profile():
    "Three partitions of 20,000 normal values, sketched with k=64 and merged one after another: pairs left pending."
    rng = np.random.default_rng(8)
    xs = [rng.normal(0, 1, 20_000) for _ in range(3)]
    parts = [Profile.from_frame(pd.DataFrame({"x": x}), sketch=64) for x in xs]
    return np.concatenate(xs), parts, parts[0].merge(parts[1]).merge(parts[2])


def _header(path):
    with np.load(path, allow_pickle=False) as z:
        return json.loads(str(z["meta"])), {k: z[k] for k in z.files if k != "meta"}


def test_pending_pairs_round_trip_and_a_file_without_them_still_merges(tmp_path):
    """A compaction's pending pairs are saved (its level, its side and how many of the level's last items are pending),
    so a loaded profile merges exactly as the one saved. A file without them loads with those pairs as items of their
    level: every row counted, the same stated error, and it merges into a sketch of all `k` values that covers its true
    error."""
    x, parts, merged = _pending_profile()
    s = merged.columns["x"]
    assert s.pending is not None and len(s.items) == 64
    merged.save(tmp_path / "new.npz")
    meta, arrays = _header(tmp_path / "new.npz")
    assert meta["columns"][0]["pending"] == [s.pending[0], int(s.pending[1]), s.pending[2]] and s.pending[2] % 2 == 0
    loaded = Profile.load(tmp_path / "new.npz")
    assert loaded == merged and loaded.merge(parts[0]) == merged.merge(parts[0])
    del meta["columns"][0]["pending"]
    old = Profile.load(write(tmp_path / "old.npz", meta, **arrays))
    o = old.columns["x"]
    assert o.pending is None and o.items.tolist() == s.items.tolist() and o.rank_error == s.rank_error
    m = old.merge(parts[0]).columns["x"]
    y = np.sort(np.concatenate([x, x[:20_000]]))
    t = np.union1d(y, m.values)
    assert len(m.items) == 64 and int(m.weights.sum()) == len(y)
    assert np.abs(np.searchsorted(y, t, "right") - m.cum(t)).max() <= m.rank_error


def _pending_hostile():
    "(what, the header's pending field and the edits to the rest, words of the error) for a file with pending pairs."
    _, _, merged = _pending_profile()
    s = merged.columns["x"]
    h, first, m = s.pending
    spare = s.levels[h] - 2 * (h == 0)
    one_sign = dict(tilt=[c if j == h else t for j, (c, t) in enumerate(zip(s.compactions, s.tilt))],
                    builds=[0 if j == h else b for j, b in enumerate(s.builds)])       # every compaction at h kept the first
    return [
        ("pending not a list", 3, {}, "field 'pending' must be [level, 1 or 0, items]"),
        ("pending of two numbers", [h, 1], {}, "field 'pending' must be [level, 1 or 0, items]"),
        ("pending of four numbers", [h, 1, m, 0], {}, "field 'pending' must be [level, 1 or 0, items]"),
        ("pending side as true", [h, True, m], {}, "field 'pending' must be [level, 1 or 0, items]"),
        ("pending side 2", [h, 2, m], {}, "got [%d, 2, %d]" % (h, m)),
        ("pending level as a float", [float(h), 1, m], {}, "field 'pending' must be [level, 1 or 0, items]"),
        ("pending items as a float", [h, 1, float(m)], {}, "field 'pending' must be [level, 1 or 0, items]"),
        ("pending level negative", [-1, 1, m], {}, "names level -1, which has no compaction"),
        ("pending level past the compactions", [len(s.compactions), 1, m], {}, "which has no compaction or no level above it"),
        ("pending items odd", [h, 1, m - 1], {}, f"holds {m - 1} items, not an even number"),
        ("pending items none", [h, 1, 0], {}, "holds 0 items, not an even number"),
        ("pending items more than the level spares", [h, 1, spare + 2 - spare % 2], {}, f"the {spare} level {h} can spare"),
        ("pending side its tilt counts none of", [h, 0, m], one_sign, f"names a compaction of level {h} that kept the second item"),
    ], (h, first, m, one_sign)


PENDING_HOSTILE, _PENDING_AT = _pending_hostile()


@pytest.mark.parametrize("what,pending,edits,words", PENDING_HOSTILE, ids=[p[0] for p in PENDING_HOSTILE])
def test_hostile_pending_fields(tmp_path, what, pending, edits, words):
    _, _, merged = _pending_profile()
    merged.save(tmp_path / "ok.npz")
    meta, arrays = _header(tmp_path / "ok.npz")
    meta["columns"][0].update(edits, pending=pending)
    path = write(tmp_path / "p.npz", meta, **arrays)
    with pytest.raises(ValueError) as e: Profile.load(path)
    assert str(e.value).startswith(f"{PREFIX}{path}: ") and words in str(e.value), str(e.value)


def test_the_one_sign_edit_alone_is_a_valid_file(tmp_path):
    "The edit the last hostile case makes to tilt and builds is valid on its own, with the pending pairs on the first side."
    _, _, merged = _pending_profile()
    h, first, m, one_sign = _PENDING_AT
    merged.save(tmp_path / "ok.npz")
    meta, arrays = _header(tmp_path / "ok.npz")
    meta["columns"][0].update(one_sign, pending=[h, 1, m])
    s = Profile.load(write(tmp_path / "p.npz", meta, **arrays)).columns["x"]
    assert s.pending == (h, True, m) and s.tilt[h] == s.compactions[h]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(n=st.integers(300, 30_000), parts=st.integers(2, 24), k=st.sampled_from([16, 64, 256]),
       seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(["normal", "ties"]))
def test_saving_and_loading_anywhere_in_a_fold_changes_nothing(tmp_path, n, parts, k, seed, kind):
    """A left fold whose running profile is saved and loaded after every merge ends where the fold in memory ends: the
    same items, levels, compactions, tilts, builds and pending pairs (which a file must carry between merges)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, n) if kind == "normal" else np.round(rng.normal(0, 1, n), 1)
    pieces = [Profile.from_frame(pd.DataFrame({"x": p}), sketch=k) for p in np.array_split(x, parts)]
    mem = disk = pieces[0]
    for i, p in enumerate(pieces[1:]):
        mem = mem.merge(p)
        disk.merge(p).save(tmp_path / "run.npz")
        disk = Profile.load(tmp_path / "run.npz")
        assert disk == mem, i
