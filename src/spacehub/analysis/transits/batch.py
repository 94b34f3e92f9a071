"""Many stars: detrend and search each light curve, locally or in batches on a Dask cluster, into
one table with a row (and flags) per star."""

from __future__ import annotations

import math
import time as _time

import numpy as np

from .bls import DEFAULT_DURATIONS_DAYS, bls_search, transit_stats
from .detrend import detrend
from .fold import fold
from .signals import event_stats

KEPLER_THRESHOLD_SNR = 7.1  # the Kepler pipeline's detection threshold (Jenkins et al. 2010)


def _unpack(lc):
    """(time, flux, flux_err, quality) from a tuple or an xarray.Dataset with those variables."""
    if hasattr(lc, "data_vars"):
        get = lambda name: lc[name].values if name in lc.variables else None  # noqa: E731
        return get("time"), get("flux"), get("flux_err"), get("quality")
    return tuple(lc) + (None,) * (4 - len(lc))


def search_star(lc, *, window_days: float | None = None, snr_threshold: float = KEPLER_THRESHOLD_SNR,
                **search_kw) -> dict:
    """Detrend and search one light curve; one row of :func:`search_many` (errors become flags).

    Examples
    --------
    >>> t = np.arange(0, 90, 0.02)
    >>> flux = 1e3 - 3 * (np.abs(fold(t, 2.5, 0.3)) < 0.06) + 0.3 * np.random.default_rng(3).standard_normal(t.size)
    >>> row = search_star((t, flux), max_period_days=10)
    >>> row["flags"], round(row["period_days"], 1)
    ('detected', 2.5)
    """
    start = _time.perf_counter()
    time, flux, flux_err, quality = _unpack(lc)
    durations = np.atleast_1d(search_kw.get("durations_days", DEFAULT_DURATIONS_DAYS))
    window_days = window_days or 3 * float(np.max(durations))
    try:
        flux_rel, trend = detrend(time, flux, quality, window_days=window_days)
        err = None if flux_err is None else np.asarray(flux_err, float) / trend
        row = bls_search(time, flux_rel, err, **search_kw).to_dict()
        if row["snr"] >= snr_threshold:  # measure again on a trend that the transits did not pull down
            ephemeris = {k: row[k] for k in ("period_days", "t0_days", "duration_days")}
            in_transit = np.abs(fold(time, row["period_days"], row["t0_days"])) < row["duration_days"]
            flux_rel, trend = detrend(time, flux, quality, window_days=window_days, transit_mask=in_transit)
            err = None if flux_err is None else np.asarray(flux_err, float) / trend
            row.update(transit_stats(time, flux_rel, err, **ephemeris))
            events = event_stats(time, flux_rel, err, **ephemeris)
            row.update({k: events[k] for k in ("max_event_fraction", "carried_by_one_event")})
        flags = ["detected" if row["snr"] >= snr_threshold else "below_threshold"]
        if row["n_transits"] < 3:
            flags.append("few_transits")
        if row.get("carried_by_one_event"):
            flags.append("carried_by_one_event")  # not a periodic planet: see search_signals
        row["flags"] = ",".join(flags)
    except ValueError as e:
        row = {"flags": f"error: {e}"}
    row["seconds"] = _time.perf_counter() - start
    return row


def _search_batch(items, loader, kw):
    rows = []
    for star_id, lc in items:
        rows.append({"star_id": star_id, **search_star(loader(star_id) if loader else lc, **kw)})
    return rows


def search_many(lightcurves, client=None, progress: bool = True, *, star_ids=None, batch_size: int | None = None,
                **kw):
    """Detrend and search many light curves, on a Dask cluster when ``client`` is given.

    Parameters
    ----------
    lightcurves : mapping, iterable of (star_id, lc), or callable
        Light curves (``(time, flux[, flux_err[, quality]])`` tuples or ``xarray.Dataset`` with those
        variables) by star id; or a *loader* ``lc = loader(star_id)`` called where the search runs
        (on the workers), with the ids in ``star_ids``: the data then never passes through the client.
    client : distributed.Client, optional
        E.g. ``GatewayCluster().get_client()``. Stars go to the workers in batches of ``batch_size``
        (default: about 16 batches per worker thread, at most 50 stars each): a batch of a few stars
        takes seconds, against milliseconds of scheduling, and the threads finish within a small
        batch of each other. Results stream back as batches finish. Without a client
        the stars are searched here, one after another.
    progress : bool
        Show a tqdm progress bar counting stars.
    **kw
        ``window_days`` and ``snr_threshold`` of :func:`search_star`, and the arguments of
        :func:`bls_search`.

    Returns
    -------
    pandas.DataFrame
        One row per star in input order: ``star_id``, ``period_days``, ``t0_days``,
        ``duration_days``, ``depth_ppm``, ``depth_err_ppm``, ``snr``, ``n_transits``, ``flags``
        (``detected`` when ``snr >= snr_threshold``, else ``below_threshold``; ``few_transits``;
        ``carried_by_one_event`` as :func:`event_stats` says; ``error: ...`` for unusable light
        curves), for detections ``max_event_fraction`` and ``carried_by_one_event``, and ``seconds``
        spent on the star.

    Examples
    --------
    >>> def load(i):  # star i: a 3 ppt transit every 2 + i days
    ...     t = np.arange(0, 60, 0.02)
    ...     noise = 3e-4 * np.random.default_rng(i).standard_normal(t.size)
    ...     return t, 1 - 3e-3 * (np.abs(fold(t, 2 + i, 0.5)) < 0.06) + noise
    >>> table = search_many(load, star_ids=[0, 1], progress=False, max_period_days=10)
    >>> table.period_days.round(1).tolist()
    [2.0, 3.0]
    """
    import pandas as pd
    from tqdm.auto import tqdm

    if callable(lightcurves):
        if star_ids is None:
            raise ValueError("a loader needs the star ids: search_many(loader, star_ids=[...])")
        items, loader = [(i, None) for i in star_ids], lightcurves
    else:
        items = list(lightcurves.items() if hasattr(lightcurves, "items") else lightcurves)
        loader = None
    rows = []
    with tqdm(total=len(items), unit="star", disable=not progress) as bar:
        if client is None:
            for item in items:
                rows.extend(_search_batch([item], loader, kw))
                bar.update(1)
        else:
            rows = _search_on_cluster(client, items, loader, kw, batch_size, bar)
    order = {star_id: k for k, (star_id, _) in enumerate(items)}
    return pd.DataFrame(rows).sort_values("star_id", key=lambda s: s.map(order)).reset_index(drop=True)


def _search_on_cluster(client, items, loader, kw, batch_size, bar):
    from distributed import as_completed

    from . import BATCHES_PER_THREAD  # the package's setting, as it is now

    threads = max(1, sum(client.nthreads().values()))
    # many small batches: the last round leaves a thread idle for at most one small batch
    size = batch_size or max(1, min(50, math.ceil(len(items) / (BATCHES_PER_THREAD * threads))))
    batches = [items[i:i + size] for i in range(0, len(items), size)]
    futures = [client.submit(_search_batch, b, loader, kw, pure=False) for b in batches]
    rows = []
    for future in as_completed(futures):
        batch = future.result()
        rows.extend(batch)
        bar.update(len(batch))
        future.release()
    return rows
