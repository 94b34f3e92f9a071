"""The gamma-ray-bursts template run headless on the sample data recovers the injected bursts."""

import json

import numpy as np
import pytest
from test_templates import errors

from spacehub.samples import gecam, hxmt


@pytest.mark.slow
def test_gamma_ray_bursts(run_template):
    results, nb = run_template("gamma-ray-bursts")
    assert not errors(nb)
    check_long_hxmt_burst(results["hxmt"])
    check_short_gecam_burst(results["gecam"], results["gecam_facing"])
    check_per_detector_counts(results)
    text = json.dumps(nb.cells[-2].get("outputs", []))  # the provenance table
    assert "hxmt_he_events" in text and "gecam_grd_events" in text and "Bayesian blocks" in text


def check_long_hxmt_burst(found):
    assert found["bursts_found"] == 1
    assert found["t90_s"] == pytest.approx(hxmt.TRUTH["t90_s"], rel=0.05)  # 24.5 s injected
    assert abs(found["t90_s"] - hxmt.TRUTH["t90_s"]) < 3 * found["t90_err_s"] + 0.25  # within its error (+ one bin)
    assert found["t90_start_met_s"] == pytest.approx(hxmt.TRUTH["t05_met_s"], abs=0.5)
    assert found["peak_met_s"] == pytest.approx(hxmt.TRUTH["peak_met_s"], abs=1.0)  # the peak block's centre
    # ~90 % of the burst's photons are CsI events, the ones kept
    assert 0.8 * hxmt.TRUTH["fluence_counts"] < found["fluence_counts"] < hxmt.TRUTH["fluence_counts"]
    assert found["peak_utc"].startswith(hxmt.TRUTH["peak_utc"][:19])


def check_short_gecam_burst(found, facing):
    assert found["bursts_found"] == 1
    assert found["t90_s"] == pytest.approx(gecam.TRUTH["t90_s"], rel=0.15)  # 0.48 s injected
    assert found["t90_s"] < 2.0  # a short GRB
    # the 50-2000 keV band keeps the error well below the burst's duration (all energies: ~1 s)
    assert found["t90_err_s"] < 0.15
    assert found["peak_met_s"] == pytest.approx(gecam.TRUTH["peak_met_s"], abs=0.05)
    assert facing["t90_s"] == pytest.approx(gecam.TRUTH["t90_s"], rel=0.15)


def check_per_detector_counts(results):
    """The scale-out's per-detector burst counts follow the injected cosine response."""
    weights = np.array(gecam.TRUTH["detector_weights"])
    counts = np.array(results["gecam_per_detector_counts"])
    facing = np.array(results["gecam_facing"]["detectors"]) - 1
    expected = weights * gecam.TRUTH["fluence_counts"]  # all energies
    assert set(np.flatnonzero(expected > 55)) <= set(facing)  # every detector with ~50 burst counts in band
    assert not set(np.flatnonzero(weights == 0)) & set(facing)  # none turned away from the burst
    assert np.corrcoef(counts, weights)[0, 1] > 0.9
