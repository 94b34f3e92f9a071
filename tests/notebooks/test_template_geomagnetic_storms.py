"""The geomagnetic-storms template recovers the storm injected into the OMNI SYM-H and Kyoto Dst samples."""

import numpy as np
import pytest
from test_templates import errors

from spacehub.samples import omni

TRUTH = omni.TRUTH
MINUTE = np.timedelta64(1, "m")


def _t(text):
    return np.datetime64(text)


@pytest.mark.slow
def test_geomagnetic_storms(run_template):
    results, nb = run_template("geomagnetic-storms")
    assert not errors(nb)

    (sym,) = results["storms"]["SYM-H"]  # exactly one storm in the week
    assert abs(_t(sym["minimum_time"]) - _t(TRUTH["sym_h_minimum_time"])) <= 10 * MINUTE
    assert sym["minimum_nT"] == pytest.approx(TRUTH["sym_h_minimum_nT"], abs=15)  # 3-nT red noise on top
    assert sym["category"] == "intense"
    assert sym["recovery_e_folding_hours"] == pytest.approx(TRUTH["recovery_e_folding_hours"], rel=0.1)
    assert sym["recovery_constrained"] and sym["sc_amplitude_nT"] >= 10  # the commencement's own threshold
    # the sudden commencement starts as the shock arrives; the main phase begins within 1.5 h after it
    assert abs(_t(sym["sc_time"]) - _t(TRUTH["shock_time"])) <= 5 * MINUTE
    assert _t(TRUTH["shock_time"]) <= _t(sym["onset"]) <= _t(TRUTH["shock_time"]) + 90 * MINUTE

    (dst,) = results["storms"]["Dst"]  # hourly means of SYM-H, labelled by the hour's start
    assert _t(dst["minimum_time"]) == _t(TRUTH["sym_h_minimum_time"]).astype("datetime64[h]")
    assert dst["minimum_nT"] == pytest.approx(TRUTH["sym_h_minimum_nT"], abs=15)
    assert dst["category"] == "intense"
    assert dst["recovery_e_folding_hours"] == pytest.approx(TRUTH["recovery_e_folding_hours"], rel=0.1)

    epoch = results["epoch"]
    assert epoch["n_epochs"] == 1
    # the main phase is driven by the injected southward Bz; before the shock Bz fluctuates around zero
    assert epoch["bz_main_phase_nT"] == pytest.approx(TRUTH["southward_bz_nT"], abs=2)
    assert abs(epoch["bz_before_nT"]) < 3
    assert epoch["speed_after_km_s"] == pytest.approx(TRUTH["shock_speed_jump_km_s"][1], abs=40)

    scale_out = results["scale_out"]
    assert scale_out["hours"] == 24 * (28 + 31 + 30)  # February to April, every hour
    (storm,) = scale_out["storms"]  # the quiet months around it hold no other storm
    assert _t(storm["minimum_time"]) == _t(TRUTH["sym_h_minimum_time"]).astype("datetime64[h]")
    assert storm["minimum_nT"] == pytest.approx(TRUTH["sym_h_minimum_nT"], abs=15)
