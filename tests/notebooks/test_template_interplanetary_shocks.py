"""The interplanetary-shocks template recovers the shock injected into the OMNI, ACE and Wind samples."""

import numpy as np
import pytest
from test_templates import errors

from spacehub.samples import ace, omni, wind

MINUTE = np.timedelta64(1, "m")


def _near(text, truth, tolerance):
    return abs(np.datetime64(text) - np.datetime64(truth)) <= tolerance


@pytest.mark.slow
def test_interplanetary_shocks(run_template):
    results, nb = run_template("interplanetary-shocks")
    assert not errors(nb)

    speed_before, speed_after = omni.TRUTH["shock_speed_jump_km_s"]
    density_before, density_after = omni.TRUTH["shock_density_jump_cm3"]
    for where, truth_time in (("ACE", ace.TRUTH["shock_time_at_L1"]), ("OMNI", omni.TRUTH["shock_time"])):
        (shock,) = results["shocks"][where]  # the one shock of the three days, nothing spurious
        assert shock["type"] == "FF"
        assert _near(shock["time"], truth_time, 2 * MINUTE)  # the 1-min grid and the 2-min ramp
        # the windows average over red noise (25 km/s, 1.5 cm^-3) and the start of the post-shock decay
        assert shock["V_up_km_s"] == pytest.approx(speed_before, abs=30)
        assert shock["speed_jump_km_s"] == pytest.approx(speed_after - speed_before, abs=25)
        assert shock["N_down_cm3"] - shock["N_up_cm3"] == pytest.approx(density_after - density_before, abs=3)

    timing = results["timing"]
    lag_s = wind.TRUTH["lag_after_ace_minutes"] * 60
    assert timing["lag_ace_wind_s"] == pytest.approx(lag_s, abs=9)  # three 3-s samples
    assert _near(timing["wind_time"], wind.TRUTH["shock_time_at_wind"], 2 * MINUTE)
    assert timing["shock_speed_x_km_s"] == pytest.approx(wind.SHOCK_SPEED_KM_S, rel=0.05)
    assert timing["lag_ace_omni_minutes"] == pytest.approx(ace.TRUTH["lead_over_omni_minutes"], abs=2)

    scan = results["scan"]
    assert scan["chunks"] == 31
    (shock,) = scan["shocks"]  # a month of quiet solar wind around it yields no false shock
    assert shock["type"] == "FF" and _near(shock["time"], omni.TRUTH["shock_time"], 2 * MINUTE)
