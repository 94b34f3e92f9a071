"""The exoplanet-transits template run headless on the sample data recovers the injected planets."""

import json

import pytest
from test_templates import errors

from spacehub.analysis.transits import fold
from spacehub.samples import kepler, tess

PLANETS = {f"KIC {t['kic']}": t["planet"] for t in kepler.TARGETS} | {f"TIC {tess.TIC}": tess.PLANET}


@pytest.mark.slow
def test_exoplanet_transits(run_template):
    results, nb = run_template("exoplanet-transits")
    assert not errors(nb)
    stars = {row["star_id"]: row for row in results["stars"]}
    assert set(stars) == set(PLANETS)  # all eight Kepler stars and the TESS star were searched
    for star_id, planet in PLANETS.items():
        if planet:
            check_recovered(stars[star_id], planet, star_id)
        else:  # the two stars without a planet: nothing above the threshold
            assert stars[star_id]["snr"] < results["snr_threshold"], star_id
            assert stars[star_id]["flags"].startswith("below_threshold"), star_id
    first = kepler.TARGETS[0]
    assert results["kepler"]["kic"] == first["kic"] and results["kepler"]["detected"]
    check_recovered(results["kepler"], first["planet"], "one-star Kepler search")
    assert results["kepler"]["period_days"] == pytest.approx(stars[f"KIC {first['kic']}"]["period_days"], rel=1e-9)
    check_recovered(results["tess"], tess.PLANET, "one-star TESS search")
    assert results["tess"]["detected"]
    # every signal: the one injected planet of each star, periodic, and no single transit made of noise
    for name, planet in (("kepler", first["planet"]), ("tess", tess.PLANET)):
        (signal,) = results[name]["signals"]
        assert signal["kind"] == "periodic" and not signal["carried_by_one_event"], name
        assert signal["period_days"] == pytest.approx(planet["period_d"], rel=1e-3), name
    text = json.dumps(nb.cells[-2].get("outputs", []))  # the provenance table
    assert "kepler_llc" in text and "tess_spoc_2min" in text and "box least squares" in text


def check_recovered(found, planet, name):
    """Period within 0.1 %, depth within its error or 20 %, mid-transit within a quarter of the duration."""
    assert found["snr"] >= 7.1, name
    assert found["period_days"] == pytest.approx(planet["period_d"], rel=1e-3), name
    tolerance = max(found["depth_err_ppm"], 0.2 * planet["depth_ppm"])
    assert abs(found["depth_ppm"] - planet["depth_ppm"]) <= tolerance, name
    t0 = planet.get("t0_bkjd", planet.get("t0_btjd"))
    # the epoch nearest the middle of the data, predicted with the injected ephemeris
    assert abs(fold(found["t0_days"], planet["period_d"], t0)) * 24 < planet["duration_h"] / 4, name
