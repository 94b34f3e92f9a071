"""The solar-flares template recovers the flares injected into the GOES-16 and GOES-15 samples."""

import numpy as np
import pytest
from test_templates import errors

from spacehub.samples import goes, goes_legacy


def _match(found, peak, tolerance=np.timedelta64(2, "m")):
    """The detected flare peaking within ``tolerance`` of ``peak`` (exactly one must)."""
    near = [f for f in found if abs(np.datetime64(f["peak"]) - np.datetime64(peak)) <= tolerance]
    assert len(near) == 1, f"expected one flare peaking at {peak}, found {near}"
    return near[0]


@pytest.mark.slow
def test_solar_flares(run_template):
    results, nb = run_template("solar-flares")
    assert not errors(nb)

    goes_r = results["flares"]["goes_xrs_flx1s"]
    assert len(goes_r) == len(goes.FLARES)  # no spurious flare on the noisy, wandering background
    for truth in goes.FLARES:
        flare = _match(goes_r, truth["peak"])
        # the injected class is the flare's own flux; the detection adds the B4 background, so compare the
        # flux above the pre-flare level: 1-min averaging of the peak costs the short flares a few per cent
        assert flare["above_start_W_m2"] == pytest.approx(truth["xrsb_peak"], rel=0.05)
        assert flare["class_above_start"][0] == truth["class"][0]

    legacy = results["flares"]["goes_xrs_2s"]
    assert len(legacy) == len(goes_legacy.FLARES)
    for truth in goes_legacy.FLARES:  # the sample's 1-min peak is exact: the classes must be too
        flare = _match(legacy, truth["peak"], tolerance=np.timedelta64(0, "m"))
        assert flare["class_swpc"] == truth["swpc_class"]
        assert flare["class_true"] == truth["science_class"]

    forecast = results["forecast"]
    # every >=C flare on the SWPC scale (3 on 2015-03-15, 4 on 2017-09-06) marks the block before it
    assert forecast["events"] == 7
    assert forecast["n_train"] + forecast["n_test"] == forecast["blocks"]
    assert sum(forecast["confusion"].values()) == forecast["n_test"]
    assert -1 <= forecast["tss"] <= 1 and -1 <= forecast["hss"] <= 1

    survey = results["survey"]
    assert survey["days_with_data"] == 2  # the two sample days; the rest of the survey range has no file
    assert survey["flares"] == len(goes.FLARES) + len(goes_legacy.FLARES)


@pytest.mark.slow
def test_solar_flares_strict_swpc_ratio_misses_the_gradual_flares(run_template):
    """With SWPC's 1.4 rise ratio the slowly rising C9 long-duration flare (and the C2 on its tail) go unseen."""
    results, nb = run_template("solar-flares", rise_ratio=1.4)
    assert not errors(nb)
    peaks = {f["peak"][11:16] for f in results["flares"]["goes_xrs_2s"]}
    assert peaks == {"12:40", "20:10"}
