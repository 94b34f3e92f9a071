"""The substorms template run headless on the sample data recovers the chain's injected onsets."""

import json

import numpy as np
import pytest
from test_templates import errors

from spacehub.samples import meridian, omni

ONSET_TOLERANCE = np.timedelta64(3, "m")


def minutes_apart(found, injected):
    return abs(np.datetime64(found) - np.datetime64(injected))


@pytest.mark.slow
def test_substorms(run_template):
    results, nb = run_template("substorms")
    assert not errors(nb)
    injected = meridian.chain_truth()["onsets"]
    check_storm_day(results, [o for o in injected if o["onset"].startswith("2015-03-17")])
    check_scale_out(results, injected)
    check_al_onsets(results["al_onsets"] + results["full_al_onsets"])
    text = json.dumps(nb.cells[-2].get("outputs", []))  # the provenance table
    assert "meridian_magnetometer" in text and "omni_hro_1min" in text and "Newell" in text


def check_storm_day(results, injected):
    """The default range (17 March, median baselines): both injected onsets, none else, with their bays."""
    assert len(results["onsets"]) == len(injected) == 2
    for found, minimum, truth in zip(results["onsets"], results["onset_minimum_nT"], injected):
        assert minutes_apart(found, truth["onset"]) <= ONSET_TOLERANCE
        # the envelope's bay depth; the baseline removal keeps part of the storm's ring current: 15 %
        assert minimum == pytest.approx(truth["al_like_min_nT"], rel=0.15)


def check_scale_out(results, injected):
    """All three days (daily baselines): every injected onset, none else, minima at the bay's peak."""
    assert results["full_station_days"] == 15
    assert len(results["full_onsets"]) == len(injected) == 4
    for found, minimum_time, truth in zip(results["full_onsets"], results["full_onset_minimum_time"], injected):
        assert minutes_apart(found, truth["onset"]) <= ONSET_TOLERANCE
        assert minutes_apart(minimum_time, truth["al_like_min_time"]) <= np.timedelta64(10, "m")
    deepest = int(np.argmin(results["full_onset_minimum_nT"]))
    assert injected[deepest]["onset"] == "2015-03-17T18:30"  # the largest injected bay


def check_al_onsets(onsets):
    """OMNI's sample AL has no isolated substorms: its onsets come only while the storm's Bz is southward."""
    south = [np.datetime64(t) for t in omni.TRUTH["southward_bz_interval"]]
    assert onsets
    assert all(south[0] - np.timedelta64(5, "m") <= np.datetime64(t) < south[1] for t in onsets), onsets
