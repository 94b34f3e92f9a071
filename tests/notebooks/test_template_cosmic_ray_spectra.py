"""The cosmic-ray spectra template: DAMPE's published TeV break, and the spectrum injected into the event sample
recovered from counts, live time and acceptance."""

import numpy as np
import pytest
from astropy.io import fits
from test_templates import errors

from spacehub.samples import dampe_events

NAME = "cosmic-ray-spectra"
#: Ambrosi et al. 2017 (Nature 552, 63): value and 1σ error of the smoothly broken power law, Δ = 0.1
PUBLISHED = {"e_break_GeV": (914.0, 98.0), "gamma1": (3.09, 0.01), "gamma2": (3.92, 0.20)}
INJECTED = {"phi0": dampe_events.SPECTRUM["phi0_per_GeV_m2_s_sr"], "gamma1": dampe_events.SPECTRUM["gamma1"],
            "gamma2": dampe_events.SPECTRUM["gamma2"], "e_break_GeV": dampe_events.SPECTRUM["eb_GeV"]}


def assert_recovers_injected(fit, n_sigma=3.0):
    for name, truth in INJECTED.items():
        value, error = fit["params"][name], fit["errors"][name]
        assert 0 < error and abs(value - truth) < n_sigma * error, \
            f"{name} = {value:.4g} ± {error:.2g}, injected {truth}"


@pytest.mark.slow
def test_published_break_and_injected_spectrum(run_template, sample_dir):
    results, nb = run_template(NAME)
    assert not errors(nb)

    published = results["published"]["broken"]
    assert published["n_points"] == 28 and published["params"]["delta"] == 0.1
    for name, (value, sigma) in PUBLISHED.items():
        assert published["params"][name] == pytest.approx(value, abs=sigma), name
    assert published["errors"]["e_break_GeV"] == pytest.approx(98.0, rel=0.15)  # the paper's uncertainty
    assert results["published"]["delta_chi2"] > 25  # the single power law is rejected

    # one day, interactive: the whole day's live time from the file's good time intervals
    events = results["events"]
    assert events["livetime_s"] == pytest.approx(dampe_events.livetime_s("2016-12-30"), rel=1e-9)
    assert_recovers_injected(events["fit"])

    # every sample file on the (local) cluster: every event counted, live time across the 2016 leap second
    archive = results["archive"]
    files = sorted((sample_dir / "dampe" / "events").glob("*.fits"))
    rows = sum(fits.getheader(f, "EVENTS")["NAXIS2"] for f in files)
    assert archive["files"] == len(files) == 3 and archive["n_events"] == rows
    assert archive["livetime_s"] == pytest.approx(sum(map(dampe_events.livetime_s, dampe_events.DAYS)), rel=1e-9)
    assert_recovers_injected(archive["fit"])
    assert archive["fit"]["errors"]["e_break_GeV"] < events["fit"]["errors"]["e_break_GeV"]  # three days beat one


def livetime_between_s(day: str, start_h: float, stop_h: float) -> float:
    """Live time of ``day``'s file between two hours of the day (UTC), from the generator's good time."""
    t0 = dampe_events.DAY_START_MET_S[day]
    gti = dampe_events.gti(day)
    good = np.clip(np.minimum(gti[:, 1], t0 + 3600 * stop_h) - np.maximum(gti[:, 0], t0 + 3600 * start_h), 0, None)
    return float(good.sum() * dampe_events.LIVE_FRACTION)


@pytest.mark.slow
def test_part_of_a_day_and_bad_input(run_template, sample_dir):
    # the interactive range cuts the day's file: live time from the good time inside it, events from the same span
    results, nb = run_template(NAME, start="2016-12-30T06:00", stop="2016-12-30T18:00")
    assert not errors(nb)
    events = results["events"]
    assert events["livetime_s"] == pytest.approx(livetime_between_s("2016-12-30", 6, 18), rel=1e-9)
    assert events["livetime_s"] < 0.51 * dampe_events.livetime_s("2016-12-30")
    met = fits.getdata(sample_dir / "dampe" / "events" / "20161230.fits", "EVENTS")["TIME"]
    t0 = dampe_events.DAY_START_MET_S["2016-12-30"]
    assert events["n_events"] == np.count_nonzero((met >= t0 + 6 * 3600) & (met < t0 + 18 * 3600))

    # a reversed range: the widget says what is wrong, the rest of the notebook runs
    results, nb = run_template(NAME, start="2016-12-31", stop="2016-12-30")
    assert not errors(nb)
    assert results["events"]["fit"] is None and "not after start" in results["events"]["message"]
    assert_recovers_injected(results["archive"]["fit"])
