"""Non-lesson tests of `mlparity.datasets`: determinism, structure of the world, knob checks, the feature function."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from mlparity.datasets import (CATEGORIES, FEATURES, INTERACTION_COLUMNS, NovaTech, make_novatech,
                               purchase_gaps, user_features)


@pytest.fixture(scope="module")
def world():
    return make_novatech(n_users=1500, n_products=200, seed=3)


def test_same_seed_same_world():
    a, b = make_novatech(400, 60, seed=11), make_novatech(400, 60, seed=11)
    for name in ["users", "products", "interactions", "segments"]:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert a.params == b.params


def test_different_seeds_differ():
    a, b = make_novatech(400, 60, seed=1), make_novatech(400, 60, seed=2)
    assert not a.interactions.equals(b.interactions)
    assert not a.products["price"].equals(b.products["price"])


def test_columns_and_dtypes(world):
    i = world.interactions
    assert isinstance(world, NovaTech)
    assert tuple(i.columns) == INTERACTION_COLUMNS
    assert str(i["purchase_date"].dtype) == "datetime64[ns]"
    for c in ["user_id", "product_id", "session_duration", "page_views"]:
        assert i[c].dtype == np.int64, c
    assert i["purchase_amount"].dtype == np.float64
    assert isinstance(i["category"].dtype, pd.CategoricalDtype)
    assert list(i["category"].cat.categories) == list(CATEGORIES)
    assert i["purchase_date"].is_monotonic_increasing
    assert (i["purchase_amount"] > 0).all() and (i["session_duration"] >= 10).all() and (i["page_views"] >= 1).all()


def test_category_matches_product(world):
    i = world.interactions.merge(world.products[["product_id", "category"]], on="product_id", suffixes=("", "_p"))
    assert (i["category"].astype(str) == i["category_p"].astype(str)).all()


@pytest.mark.parametrize("n_users,n_products,days", [(50, 8, 30), (300, 100, 365), (1000, 37, 120)])
def test_sizes_honoured(n_users, n_products, days):
    w = make_novatech(n_users, n_products, start="2023-03-01", days=days, seed=5)
    i = w.interactions
    assert len(w.users) == n_users and len(w.products) == n_products
    assert set(w.users["user_id"]) == set(range(n_users)) and set(w.products["product_id"]) == set(range(n_products))
    assert i["user_id"].between(0, n_users - 1).all() and i["product_id"].between(0, n_products - 1).all()
    assert i["purchase_date"].min() >= pd.Timestamp("2023-03-01")
    assert i["purchase_date"].max() < pd.Timestamp("2023-03-01") + pd.Timedelta(days=days)
    assert w.products["category"].nunique() == len(CATEGORIES)   # every category has a product


def test_purchase_cycle_is_45_days():
    gaps = purchase_gaps(make_novatech(3000, 200, seed=9).interactions)
    assert abs(gaps.mean() - 45) < 4.5, gaps.mean()          # a one-year log censors the longest gaps a little
    assert 30 < gaps.median() < 45


@pytest.mark.parametrize("cycle", [20.0, 60.0])
def test_cycle_knob_moves_the_gaps(cycle):
    gaps = purchase_gaps(make_novatech(2000, 100, days=730, seed=4, cycle_days=cycle).interactions)
    assert abs(gaps.mean() - cycle) < 0.12 * cycle, (cycle, gaps.mean())


def test_one_purchase_users(world):
    per_user = world.interactions.groupby("user_id").size()
    flagged = world.users.loc[world.users["one_purchase"], "user_id"]
    assert (per_user.reindex(flagged) == 1).all()
    assert 0.04 < (per_user == 1).mean() < 0.15
    assert not make_novatech(500, 50, seed=1, one_purchase_share=0.0).users["one_purchase"].any()


def test_popularity_is_skewed_within_categories(world):
    i = world.interactions.merge(world.products[["product_id", "popularity_rank"]], on="product_id")
    top = i[i["popularity_rank"] == 1].groupby("category", observed=True).size()
    tail = i[i["popularity_rank"] >= 10].groupby(["category", "product_id"], observed=True).size()
    assert top.min() > 3 * tail.median()


def test_product_taste_separates_segments():
    "With product_taste > 0 two segments rank the products of a category differently; with 0 they agree."
    def rank_corr(w):
        i = w.interactions.merge(w.users[["user_id", "segment"]], on="user_id")
        c = i.groupby(["segment", "product_id"]).size().unstack(fill_value=0)
        return c.T.corr(method="spearman").to_numpy()[np.triu_indices(len(c), 1)].mean()
    agree = rank_corr(make_novatech(3000, 80, seed=1, product_taste=0.0, taste=0.0))
    differ = rank_corr(make_novatech(3000, 80, seed=1, product_taste=1.5, taste=0.0))
    assert agree > 0.7 and differ < agree - 0.2, (agree, differ)


def test_segments_shape_taste_and_behaviour(world):
    i = world.interactions.merge(world.users[["user_id", "segment"]], on="user_id")
    seg = world.segments.set_index("segment")
    top = i.groupby("segment")["category"].agg(lambda c: c.value_counts().index[0])
    assert (top == seg.loc[top.index, "favourite"]).all()
    sess = i.groupby("segment")["session_duration"].mean()
    assert sess.max() > 2 * sess.min()
    assert len(set(zip(seg["favourite"], seg["second_favourite"]))) == len(seg)


BAD_KNOBS = [
    (dict(n_users=0), ValueError, "`n_users` must be in [1, inf]"),
    (dict(n_users=2.5), TypeError, "`n_users` must be an integer"),
    (dict(n_users=True), TypeError, "`n_users` must be an integer"),
    (dict(n_products=7), ValueError, "`n_products` must be in [8, inf]"),
    (dict(days=0), ValueError, "`days` must be in [1, inf]"),
    (dict(seed=-1), ValueError, "`seed` must be in [0, inf]"),
    (dict(n_segments=0), ValueError, "`n_segments` must be in [1, inf]"),
    (dict(cycle_days=0), ValueError, "`cycle_days` must be in (0, inf]"),
    (dict(cycle_days=float("nan")), ValueError, "`cycle_days` must be in"),
    (dict(gap_shape=-1.0), ValueError, "`gap_shape` must be in (0, inf]"),
    (dict(one_purchase_share=1.2), ValueError, "`one_purchase_share` must be in [0, 1]"),
    (dict(taste=-0.1), ValueError, "`taste` must be in [0, 1]"),
    (dict(zipf_a="steep"), TypeError, "`zipf_a` must be a number"),
    (dict(spend_sigma=3), ValueError, "`spend_sigma` must be in [0, 2]"),
    (dict(product_taste=-1.0), ValueError, "`product_taste` must be in [0, 3]"),
    (dict(start="not a date"), ValueError, "`start` must be a date"),
]


@pytest.mark.parametrize("knobs,exc,msg", BAD_KNOBS)
def test_bad_knobs_raise_clear_errors(knobs, exc, msg):
    with pytest.raises(exc) as e:
        make_novatech(**knobs)
    assert msg in str(e.value)


def test_unknown_knob():
    with pytest.raises(TypeError, match="unexpected keyword argument 'cycle'"):
        make_novatech(cycle=30)


@settings(max_examples=15, deadline=None)
@given(n_users=st.integers(1, 60), n_products=st.integers(8, 40), days=st.integers(1, 400),
       seed=st.integers(0, 2**32), n_segments=st.integers(1, 10), taste=st.floats(0, 1),
       one=st.floats(0, 1), zipf_a=st.floats(0, 5))
def test_any_valid_knobs_give_a_valid_world(n_users, n_products, days, seed, n_segments, taste, one, zipf_a):
    w = make_novatech(n_users, n_products, days=days, seed=seed, n_segments=n_segments, taste=taste,
                      one_purchase_share=one, zipf_a=zipf_a)
    i = w.interactions
    assert tuple(i.columns) == INTERACTION_COLUMNS
    assert i["user_id"].between(0, n_users - 1).all() and i["product_id"].between(0, n_products - 1).all()
    assert len(w.segments) == n_segments
    assert np.isfinite(i["purchase_amount"]).all()


# ---- user_features ---------------------------------------------------------------------------------------------

def brute_features(inter, ref, window=90):
    "The definition, one user at a time."
    ref = pd.Timestamp(ref)
    rows = {}
    for u, p in inter[inter["purchase_date"] < ref].groupby("user_id"):
        w = p[p["purchase_date"] >= ref - pd.Timedelta(days=window)]
        rows[u] = {"avg_purchase_value": w["purchase_amount"].mean() if len(w) else 0.0,
                   "median_purchase_value": w["purchase_amount"].median() if len(w) else 0.0,
                   "purchase_frequency": len(w) / window,
                   "days_since_last_purchase": float((ref - p["purchase_date"].max()).days),
                   "category_diversity": float(w["category"].nunique()),
                   "avg_session_duration": w["session_duration"].mean() if len(w) else 0.0,
                   "page_views_per_session": w["page_views"].mean() if len(w) else 0.0}
    out = pd.DataFrame.from_dict(rows, orient="index")[list(FEATURES)]
    out.index.name = "user_id"
    return out


@pytest.mark.parametrize("ref,window", [("2024-11-01", 90), ("2024-04-15 12:30", 30), ("2024-02-01", 365)])
def test_user_features_match_the_definition(ref, window):
    i = make_novatech(300, 50, seed=2).interactions
    got = user_features(i, ref, window_days=window)
    pd.testing.assert_frame_equal(got, brute_features(i, ref, window), check_dtype=False)
    assert list(got.columns) == list(FEATURES) and (got.dtypes == "float64").all()


def test_user_features_ignore_the_future(world):
    i, ref = world.interactions, pd.Timestamp("2024-08-01")
    a = user_features(i, ref)
    b = user_features(i[i["purchase_date"] < ref], ref)
    pd.testing.assert_frame_equal(a, b)


def test_window_boundary():
    ref = pd.Timestamp("2024-06-01")
    i = pd.DataFrame({"user_id": [1, 1, 1, 2], "product_id": [1, 2, 3, 4],
                      "purchase_date": [ref - pd.Timedelta(days=90), ref - pd.Timedelta(days=90, seconds=1), ref, ref - pd.Timedelta(days=200)],
                      "purchase_amount": [10.0, 20.0, 30.0, 5.0], "category": ["home", "books", "toys", "home"],
                      "session_duration": [100, 200, 300, 50], "page_views": [2, 4, 6, 1]})
    f = user_features(i, ref)
    assert f.loc[1, "purchase_frequency"] == pytest.approx(1 / 90)   # exactly 90 days before counts; earlier and ref do not
    assert f.loc[1, "avg_purchase_value"] == 10.0 and f.loc[1, "days_since_last_purchase"] == 90
    assert f.loc[2].drop("days_since_last_purchase").eq(0).all() and f.loc[2, "days_since_last_purchase"] == 200


@pytest.mark.parametrize("mutate,exc,msg", [
    (lambda i: i.drop(columns=["category"]), KeyError, "column(s) ['category'] missing from `interactions`"),
    (lambda i: i.assign(purchase_date=i["purchase_date"].astype(str)), TypeError, "convert it with pd.to_datetime"),
    (lambda i: i.to_numpy(), TypeError, "must be a pandas DataFrame"),
])
def test_user_features_bad_input(world, mutate, exc, msg):
    with pytest.raises(exc) as e:
        user_features(mutate(world.interactions), "2024-11-01")
    assert msg in str(e.value)


@pytest.mark.parametrize("kw,msg", [(dict(window_days=0), "`window_days` must be a positive integer"),
                                    (dict(window_days=9.5), "`window_days` must be a positive integer"),
                                    (dict(reference_date="soon"), "`reference_date` must be a date")])
def test_user_features_bad_arguments(world, kw, msg):
    kw = {"reference_date": "2024-11-01", **kw}
    with pytest.raises(ValueError, match=msg.replace("(", r"\(").replace("`", "`")):
        user_features(world.interactions, **kw)
