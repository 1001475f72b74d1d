"""Non-lesson tests of `mlparity.recsys`: metrics against brute force and scikit-learn, bad input, the models."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st, assume
from sklearn.metrics import ndcg_score
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import StandardScaler

from mlparity.datasets import FEATURES, make_novatech, user_features
from mlparity.recsys import (NeighbourRecommender, PopularityRecommender, catalog_coverage, gini, hit_rate_at_k,
                             ndcg_at_k, per_user_metrics, precision_at_k, recall_at_k, recommendation_metrics,
                             replay_split)


# ---- brute-force definitions --------------------------------------------------------------------------------------

def brute(recs, truth, k):
    "Precision, recall, NDCG and hit rate at k, one user at a time with Python loops."
    lists = {}
    for u, g in recs.sort_values(["user_id", "rank"], kind="stable").groupby("user_id"):
        lists[u] = list(g["product_id"])[:k]
    rel = {u: set(g["product_id"]) for u, g in truth.groupby("user_id")}
    P, R, N, H = [], [], [], []
    for u, relevant in rel.items():
        top = lists.get(u, [])
        hits = [p in relevant for p in top]
        dcg = sum(1 / np.log2(i + 2) for i, h in enumerate(hits) if h)
        idcg = sum(1 / np.log2(i + 2) for i in range(min(len(relevant), k)))
        P.append(sum(hits) / k); R.append(sum(hits) / len(relevant)); N.append(dcg / idcg); H.append(any(hits))
    return np.mean(P), np.mean(R), np.mean(N), np.mean(H)


def brute_gini(counts):
    "Gini as the mean absolute difference over all pairs, halved and divided by the mean."
    x = np.asarray(counts, dtype=float)
    if x.sum() == 0: return 0.0
    return np.abs(x[:, None] - x[None, :]).sum() / (2 * len(x) ** 2 * x.mean())


@st.composite
def rec_and_truth(draw):
    n_users = draw(st.integers(1, 8)); n_items = draw(st.integers(1, 15))
    rows, truth = [], []
    for u in range(n_users):
        L = draw(st.lists(st.integers(0, n_items - 1), unique=True, max_size=n_items))
        rows += [(u, r + 1, p) for r, p in enumerate(L)]
        T = draw(st.lists(st.integers(0, n_items - 1), min_size=0, max_size=6))
        truth += [(u, p) for p in T]
    assume(rows and truth)
    recs = pd.DataFrame(rows, columns=["user_id", "rank", "product_id"]).sample(frac=1, random_state=0)  # shuffled rows
    return recs, pd.DataFrame(truth, columns=["user_id", "product_id"]), n_items


@settings(max_examples=60, deadline=None)
@given(rec_and_truth(), st.integers(1, 12))
def test_metrics_match_brute_force(data, k):
    recs, truth, _ = data
    p, r, n, h = brute(recs, truth, k)
    assert precision_at_k(recs, truth, k) == pytest.approx(p)
    assert recall_at_k(recs, truth, k) == pytest.approx(r)
    assert ndcg_at_k(recs, truth, k) == pytest.approx(n)
    assert hit_rate_at_k(recs, truth, k) == pytest.approx(h)


@settings(max_examples=40, deadline=None)
@given(rec_and_truth(), st.integers(1, 12))
def test_coverage_and_gini_match_brute_force(data, k):
    recs, truth, n_items = data
    top = recs.sort_values(["user_id", "rank"]).groupby("user_id").head(k)
    counts = top["product_id"].value_counts().reindex(range(n_items), fill_value=0)
    assert catalog_coverage(recs, n_items, k) == pytest.approx((counts > 0).mean())
    assert catalog_coverage(recs, list(range(n_items)), k) == pytest.approx((counts > 0).mean())
    assert gini(recs, range(n_items), k) == pytest.approx(brute_gini(counts))
    assert 0 <= gini(recs, n_items, k) <= 1


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 12), st.integers(2, 25), st.integers(1, 25), st.integers(0, 2**32 - 1), st.floats(0.02, 0.9))
def test_ndcg_agrees_with_sklearn(n_users, n_items, k, seed, p):
    "Full rankings (no ties in the top k) and random binary relevance with at least one relevant item per user."
    rng = np.random.default_rng(seed)
    rel = rng.random((n_users, n_items)) < p
    rel[np.arange(n_users), rng.integers(0, n_items, n_users)] = True
    order = np.argsort(rng.random((n_users, n_items)), axis=1)
    score = np.empty((n_users, n_items))
    np.put_along_axis(score, order, np.tile(np.arange(n_items, 0, -1, dtype=float), (n_users, 1)), axis=1)
    recs = pd.DataFrame({"user_id": np.repeat(np.arange(n_users), n_items),
                         "rank": np.tile(np.arange(1, n_items + 1), n_users), "product_id": order.ravel()})
    truth = pd.DataFrame({"user_id": np.nonzero(rel)[0], "product_id": np.nonzero(rel)[1]})
    expected = ndcg_score(rel.astype(int), score, k=k)
    assert ndcg_at_k(recs, truth, k) == pytest.approx(expected, abs=1e-12)


def test_rank_column_beats_row_order():
    recs = pd.DataFrame({"user_id": [1, 1], "rank": [2, 1], "product_id": [5, 6]})
    truth = pd.DataFrame({"user_id": [1], "product_id": [6]})
    assert ndcg_at_k(recs, truth, 1) == 1.0
    assert ndcg_at_k(recs.drop(columns="rank"), truth, 1) == 0.0   # without rank, row order is the ranking


def test_users_without_recommendations_score_zero_and_extra_users_are_ignored():
    recs = pd.DataFrame({"user_id": [1, 3], "rank": [1, 1], "product_id": [5, 7]})
    truth = pd.DataFrame({"user_id": [1, 2], "product_id": [5, 9]})
    pu = per_user_metrics(recs, truth, 1)
    assert list(pu.index) == [1, 2] and list(pu["hits"]) == [1, 0]
    assert precision_at_k(recs, truth, 1) == 0.5


def test_duplicates_in_ground_truth_count_once():
    recs = pd.DataFrame({"user_id": [1, 1], "rank": [1, 2], "product_id": [5, 6]})
    truth = pd.DataFrame({"user_id": [1, 1, 1], "product_id": [5, 5, 6]})
    assert recall_at_k(recs, truth, 2) == 1.0 and ndcg_at_k(recs, truth, 2) == pytest.approx(1.0)


R = pd.DataFrame({"user_id": [1, 1], "rank": [1, 2], "product_id": [5, 6]})
T = pd.DataFrame({"user_id": [1], "product_id": [5]})
METRICS = [precision_at_k, recall_at_k, ndcg_at_k, hit_rate_at_k]


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("recs,truth,k,exc,msg", [
    (R.iloc[:0], T, 10, ValueError, "`recommendations` is empty"),
    (R, T.iloc[:0], 10, ValueError, "`ground_truth` is empty"),
    (R.drop(columns="user_id"), T, 10, KeyError, "column(s) ['user_id'] missing from `recommendations`"),
    (R, T.rename(columns={"product_id": "sku"}), 10, KeyError, "column(s) ['product_id'] missing from `ground_truth`"),
    (R, T, 0, ValueError, "`k` must be an integer >= 1"),
    (R, T, 2.5, ValueError, "`k` must be an integer >= 1"),
    (R, T, True, ValueError, "`k` must be an integer >= 1"),
    (R.values, T, 10, TypeError, "`recommendations` must be a pandas DataFrame"),
    (pd.concat([R, R]), T, 10, ValueError, "lists a product twice for the same user"),
    (R.assign(product_id=[5, None]), T, 10, ValueError, "missing user_id or product_id"),
])
def test_metric_bad_input(metric, recs, truth, k, exc, msg):
    with pytest.raises(exc) as e:
        metric(recs, truth, k)
    assert msg in str(e.value)


@pytest.mark.parametrize("fn,args,msg", [
    (catalog_coverage, (R, [5]), "not in `catalog`"),
    (catalog_coverage, (R, 1), "smaller than the 2 products recommended"),
    (catalog_coverage, (R, []), "`catalog` is empty"),
    (gini, (R, None, 0), "`k` must be an integer >= 1"),
])
def test_coverage_gini_bad_input(fn, args, msg):
    with pytest.raises(ValueError, match=msg.replace("(", r"\(").replace("[", r"\[")):
        fn(*args)


def test_recommendation_metrics_keys():
    m = recommendation_metrics(R, T, catalog=10, k=2)
    assert list(m) == ["precision_at_k", "recall_at_k", "ndcg_at_k", "hit_rate_at_k", "catalog_coverage", "gini"]
    assert m["precision_at_k"] == 0.5 and m["catalog_coverage"] == 0.2


# ---- the models ---------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def replay():
    nt = make_novatech(600, 120, seed=5)
    ref = pd.Timestamp("2024-11-01")
    i = nt.interactions
    train = i[i["purchase_date"] < ref]
    fut = i[(i["purchase_date"] >= ref) & (i["purchase_date"] < ref + pd.Timedelta(weeks=4))]
    X = user_features(i, ref)
    truth = fut.loc[fut["user_id"].isin(X.index), ["user_id", "product_id"]].drop_duplicates()
    return nt, X, train, truth


def test_replay_split(replay):
    nt, X, train, truth = replay
    tr, tt = replay_split(nt.interactions, "2024-11-01", horizon_days=28, users=X.index)
    pd.testing.assert_frame_equal(tr, train)
    pd.testing.assert_frame_equal(tt, truth.reset_index(drop=True))
    with pytest.raises(KeyError, match="purchase_date"):
        replay_split(nt.interactions.drop(columns="purchase_date"), "2024-11-01")
    with pytest.raises(ValueError, match="`reference_date` must be a date"):
        replay_split(nt.interactions, "later")


def test_fit_uses_exactly_the_legacy_settings(replay):
    _, X, train, _ = replay
    m = NeighbourRecommender().fit(X, train)
    assert m.nn_.metric == "cosine" and m.nn_.algorithm == "brute" and m.nn_.n_neighbors == 48   # 47 + the user
    assert m.n_features_in_ == 7 and list(m.feature_names_in_) == list(FEATURES)
    np.testing.assert_allclose(m.scaler_.mean_, X.mean().to_numpy())
    assert m.fit(X, train) is m


def test_scores_match_a_direct_computation(replay):
    "Score of a product = similarity-weighted share of the 47 nearest other users who bought it."
    _, X, train, _ = replay
    m = NeighbourRecommender(top_k=5).fit(X, train)
    recs = m.recommend(X.iloc[:20])
    Z = StandardScaler().fit(X.to_numpy()).transform(X.to_numpy())
    d, idx = NearestNeighbors(n_neighbors=48, metric="cosine", algorithm="brute").fit(Z).kneighbors(Z[:20])
    bought = train.groupby("user_id")["product_id"].apply(set)
    ids = X.index.to_numpy()
    for r, u in enumerate(ids[:20]):
        nb = [(ids[j], max(1 - dd, 0)) for j, dd in zip(idx[r], d[r]) if ids[j] != u][:47]
        wsum = sum(w for _, w in nb)
        for _, row in recs[recs["user_id"] == u].iterrows():
            want = sum(w for v, w in nb if row["product_id"] in bought.get(v, set())) / wsum
            assert row["score"] == pytest.approx(want)


def test_recommend_shape_and_order(replay):
    _, X, train, _ = replay
    recs = NeighbourRecommender(top_k=7).fit(X, train).recommend(X)
    assert list(recs.columns) == ["user_id", "rank", "product_id", "score"]
    assert (recs.groupby("user_id").size() == 7).all() and set(recs["user_id"]) == set(X.index)
    assert not recs.duplicated(["user_id", "product_id"]).any()
    assert recs.groupby("user_id")["score"].apply(lambda s: s.is_monotonic_decreasing).all()
    again = NeighbourRecommender(top_k=7).fit(X, train).recommend(X)
    pd.testing.assert_frame_equal(recs, again)


def test_batches_do_not_change_the_answer(replay):
    _, X, train, _ = replay
    a = NeighbourRecommender(batch_size=1024).fit(X, train).recommend(X, exclude_seen=True)
    b = NeighbourRecommender(batch_size=37).fit(X, train).recommend(X, exclude_seen=True)
    pd.testing.assert_frame_equal(a, b)


def test_exclude_seen(replay):
    _, X, train, _ = replay
    for model in [NeighbourRecommender(), PopularityRecommender()]:
        recs = model.fit(X, train).recommend(X, exclude_seen=True)
        seen = set(zip(train["user_id"], train["product_id"]))
        assert not any(p in seen for p in zip(recs["user_id"], recs["product_id"]))


def test_unknown_users_are_served(replay):
    "Users the model was not fitted on (new users at serving time) get recommendations too."
    _, X, train, _ = replay
    m = NeighbourRecommender().fit(X.iloc[:400], train)
    recs = m.recommend(X.iloc[400:], exclude_seen=True)
    assert set(recs["user_id"]) == set(X.index[400:])


def test_neighbours_beat_popularity(replay):
    nt, X, train, truth = replay
    a = recommendation_metrics(NeighbourRecommender().fit(X, train).recommend(X), truth, nt.products)
    b = recommendation_metrics(PopularityRecommender().fit(X, train).recommend(X), truth, nt.products)
    assert a["ndcg_at_k"] > 1.05 * b["ndcg_at_k"] and a["hit_rate_at_k"] > b["hit_rate_at_k"]
    assert a["catalog_coverage"] > b["catalog_coverage"] and a["gini"] < b["gini"]


def test_serving_features_checked(replay):
    _, X, train, _ = replay
    m = NeighbourRecommender().fit(X, train)
    with pytest.raises(KeyError, match=r"expects 7 features.*missing from `user_features`: \['category_diversity'\]"):
        m.recommend(X.drop(columns="category_diversity"))
    with pytest.raises(KeyError, match=r"unexpected: \['extra'\]"):
        m.recommend(X.assign(extra=1.0))
    # columns in another order are matched by name
    pd.testing.assert_frame_equal(m.recommend(X[list(X.columns[::-1])]), m.recommend(X))


@pytest.mark.parametrize("make,msg", [
    (lambda X, t: NeighbourRecommender(n_neighbors=0).fit(X, t), "`n_neighbors` must be an integer >= 1"),
    (lambda X, t: NeighbourRecommender(top_k=0).fit(X, t), "`top_k` must be an integer >= 1"),
    (lambda X, t: NeighbourRecommender().fit(X.assign(page_views_per_session=np.inf), t), "NaN or infinite"),
    (lambda X, t: NeighbourRecommender().fit(X.iloc[:1], t), "need at least 2 training users"),
    (lambda X, t: NeighbourRecommender().fit(pd.concat([X, X.iloc[:1]]), t), "duplicate user ids"),
    (lambda X, t: NeighbourRecommender().fit(X, t.drop(columns="product_id")), "missing from `interactions`"),
    (lambda X, t: NeighbourRecommender().fit(X.assign(seg="a"), t), "are not numeric"),
    (lambda X, t: NeighbourRecommender().recommend(X), "not fitted yet"),
    (lambda X, t: PopularityRecommender().recommend(X), "not fitted yet"),
    (lambda X, t: NeighbourRecommender().fit(X, t).recommend(X, top_k=0), "`top_k` must be an integer >= 1"),
])
def test_model_bad_input(replay, make, msg):
    _, X, train, _ = replay
    with pytest.raises((ValueError, KeyError, TypeError, RuntimeError), match=msg.replace("(", r"\(")):
        make(X, train)


def test_popularity_recommends_the_bestsellers(replay):
    _, X, train, _ = replay
    recs = PopularityRecommender(top_k=5).fit(X, train).recommend(X.iloc[:3])
    top5 = train["product_id"].value_counts().sort_index().sort_values(ascending=False, kind="stable").index[:5]
    for _, g in recs.groupby("user_id"):
        assert list(g["product_id"]) == list(top5)
