from spacehub.gateway.quota import (
    GIB,
    Quota,
    Usage,
    cluster_usage,
    cohort_refusal,
    max_workers,
    new_cluster_refusal,
    scale_refusal,
    total_usage,
)

CONFIG = {"scheduler_cores": 1, "scheduler_memory": GIB, "worker_cores": 1, "worker_memory": 2 * GIB}
QUOTA = Quota(cores=4, memory=8 * GIB, clusters=2)


def test_usage_adds_scheduler_and_workers():
    assert cluster_usage(CONFIG, 2) == Usage(3, 5 * GIB, 1)
    assert total_usage([(CONFIG, 2), (CONFIG, 0)]) == Usage(4, 6 * GIB, 2)


def test_max_workers_by_cores_and_memory():
    assert max_workers(QUOTA, Usage(), CONFIG) == 3  # cores: 4 - 1 = 3; memory: (8-1)/2 = 3
    big_mem = {**CONFIG, "worker_memory": 3 * GIB}
    assert max_workers(QUOTA, Usage(), big_mem) == 2  # memory binds
    assert max_workers(QUOTA, cluster_usage(CONFIG, 2), CONFIG) == 0


def test_refusals_say_the_numbers():
    others = cluster_usage(CONFIG, 2)
    assert new_cluster_refusal(QUOTA, "alice", others, CONFIG) is None
    why = scale_refusal(QUOTA, "alice", others, CONFIG, 1)
    assert "alice's quota of 4 cores" in why and "at most 0 worker" in why
    assert scale_refusal(QUOTA, "alice", Usage(), CONFIG, 3) is None
    two = total_usage([(CONFIG, 0), (CONFIG, 0)])
    assert "already has 2 running cluster" in new_cluster_refusal(QUOTA, "alice", two, CONFIG)
    full = Usage(cores=4, memory=GIB, clusters=1)
    assert "does not fit" in new_cluster_refusal(QUOTA, "alice", full, CONFIG)


def test_a_workshops_seats_share_their_dask_quota():
    shared = Quota(cores=3, memory=8 * GIB, clusters=10**6)
    others = cluster_usage(CONFIG, 1)  # another seat's cluster: 2 cores
    assert cohort_refusal(shared, "tides", others, CONFIG, new=True) is None  # a scheduler more: 3 cores
    why = cohort_refusal(shared, "tides", others, CONFIG, 1)
    assert why is not None and "The workshop tides's seats share 3 cores and 8.0 GiB" in why
    assert "2 cores, 3.0 GiB in 1 cluster(s)" in why and "at most 0 worker(s)" in why
    why = cohort_refusal(shared, "tides", cluster_usage(CONFIG, 2), CONFIG, new=True)
    assert why is not None and "A new cluster does not fit now" in why
