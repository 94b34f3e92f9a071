"""Widgets driven headlessly: set widget values, read the models (and back); the cluster panel's
model against a small in-process gateway that refuses with the real quota rules."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from dask_gateway.client import GatewayClusterError
from traitlets import TraitError

import spacehub.catalog as catalog
from spacehub.deploy import PublishedLimits
from spacehub.gateway.quota import GIB, new_cluster_refusal, scale_refusal, total_usage
from spacehub.samples import goes, omni
from spacehub.widgets import (
    ClusterControl,
    ClusterPanel,
    DatasetPicker,
    TimeRange,
    TimeRangePicker,
    UserLimits,
    explorer,
    plot_timeseries,
    presets_from_events,
    with_gaps,
)
from spacehub.widgets.timerange import cadence_of

OMNI_VARIABLES = ["F", "BX_GSE", "BY_GSM", "BZ_GSM", "flow_speed", "proton_density", "T", "Pressure", "E", "SYM_H",
                  "AE_INDEX", "AL_INDEX"]


@pytest.fixture(scope="module")
def cat():
    return catalog.open()


@pytest.fixture
def samples(sample_dir, monkeypatch):
    monkeypatch.setenv("SPACEHUB_SAMPLE_DATA", str(sample_dir))
    return sample_dir


# --- DatasetPicker -------------------------------------------------------------------------------

def test_dataset_picker_lists_the_catalog(cat):
    picker = DatasetPicker(cat)
    assert list(picker.mission.options) == cat.missions()
    assert {"OMNI", "GOES", "ACE", "DAMPE"} <= set(picker.mission.options)
    picker.mission.value = "OMNI"
    assert picker.model.datasets == ["omni2_h0_mrg1hr", "omni_hro_1min"]
    picker.dataset.value = "omni_hro_1min"
    assert picker.entry.id == "omni_hro_1min"
    assert [value for _, value in picker.variable_list.options] == OMNI_VARIABLES
    assert ("BZ_GSM [nT]", "BZ_GSM") in picker.variable_list.options
    picker.variable_list.value = ("SYM_H", "BZ_GSM")
    assert picker.variables == ("SYM_H", "BZ_GSM")
    for shown in ("PT1M", "1981-01-01 .. now", "km/s", "King, J. H.", "doi:10.1029/2004JA010649"):
        assert shown in picker.info.value
    picker.dataset.value = "omni2_h0_mrg1hr"  # BZ_GSM exists there too; SYM_H does not
    assert picker.variables == ("BZ_GSM",) and picker.variable_list.value == ("BZ_GSM",)


def test_dataset_filters_and_search(cat):
    picker = DatasetPicker(cat)
    picker.domain.value = "solar"
    assert picker.model.missions and all(e.domain == "solar" for m in picker.model.missions
                                         for e in cat.search(mission=m, domain="solar"))
    assert "OMNI" not in picker.mission.options
    picker.domain.value = ""
    picker.search.value = "SYM-H storms"
    assert picker.model.missions == ["OMNI"] and picker.model.dataset_id == "omni_hro_1min"
    picker.search.value = "no such words xyzzy"
    assert picker.entry is None and picker.variable_list.options == ()
    assert picker.message.text == ("no dataset matches 'no such words xyzzy': clear the search box or "
                                   "pick another domain") and picker.message.kind == "error"
    picker.search.value = ""
    assert picker.message.text == "" and picker.entry is not None


def test_dataset_model_rules(cat):
    picker = DatasetPicker(cat, kind="timeseries")
    assert "DAMPE" not in picker.model.missions  # its flux points are a table, not a time series
    picker.model.select("omni_hro_1min", ["SYM_H"])
    with pytest.raises(TraitError, match="omni_hro_1min has no variable 'Bz'; it has: F, BX_GSE"):
        picker.model.variables = ("Bz",)
    with pytest.raises(TraitError, match="unknown domain 'space'; the catalog has: astrophysics"):
        picker.model.domain = "space"
    with pytest.raises(KeyError, match="did you mean omni_hro_1min"):
        picker.model.select("OMNI-hro")
    assert picker.variables == ("SYM_H",)


# --- TimeRangePicker -----------------------------------------------------------------------------

@pytest.mark.parametrize("start, stop, message", [
    ("2015-03-18", "2015-03-17", "stop 2015-03-17 is not after start 2015-03-18: pick a later stop, e.g. 2015-03-19"),
    ("2015-03-17T04:45", "2015-03-17T04:45", "stop 2015-03-17T04:45:00 is not after start 2015-03-17T04:45:00"),
    ("1970-01-01", "1970-01-03", "[1970-01-01, 1970-01-03) is outside the coverage of omni_hro_1min, 1981-01-01 .. now:"
                                 " pick a range inside it, e.g. 1981-01-01 .. 1981-01-02"),
    ("2000-01-01", "2010-01-01", "[2000-01-01, 2010-01-01) holds about 5,260,320 samples per variable at "
                                 "omni_hro_1min's cadence PT1M, more than the 2,000,000 one interactive read allows: "
                                 "pick at most 1388 d 21 h 20 min, e.g. 2000-01-01 .. 2003-10-20T21:20:00"),
])
def test_time_range_rejects_with_what_works(cat, start, stop, message):
    picker = TimeRangePicker(cat.omni_hro_1min, "2015-03-17", "2015-03-19")
    assert picker.model.valid and picker.message.text == ""
    picker.start.value, picker.stop.value = start, stop
    assert not picker.model.valid
    assert picker.model.message.startswith(message)
    assert picker.message.text == picker.model.message and picker.message.kind == "error"


def test_time_range_values_and_bad_text(cat):
    picker = TimeRangePicker(cat.omni_hro_1min, "2015-03-17", "2015-03-19")
    picker.stop.value = "2015-03-17T06:30"
    assert picker.model.valid
    assert picker.model.start == np.datetime64("2015-03-17T00:00", "ns")
    assert picker.model.stop == np.datetime64("2015-03-17T06:30", "ns")
    picker.stop.value = "tomorrow"
    assert picker.message.text == "stop 'tomorrow' is not a time: use ISO 8601, e.g. 2015-03-17 or 2015-03-17T04:45"
    assert picker.model.stop == np.datetime64("2015-03-17T06:30", "ns") and picker.model.valid
    picker.stop.value = "2015-03-18"
    assert picker.message.text == ""


def test_time_range_follows_dataset_and_presets(cat):
    events = pd.DataFrame({"start": ["2017-09-06T11:53"], "peak": ["2017-09-06T12:02"], "end": ["2017-09-06T12:10"]},
                          index=["X9.3"])
    presets = {"storm": ("2015-03-17", "2015-03-19"), **presets_from_events(events)}
    assert presets["X9.3"] == ("2017-09-06T10:53:00", "2017-09-06T13:10:00")
    dataset = DatasetPicker(cat)
    dataset.model.select("omni_hro_1min")
    picker = TimeRangePicker(presets=presets, dataset=dataset)
    picker.preset.value = "storm"
    assert (picker.start.value, picker.stop.value) == ("2015-03-17", "2015-03-19") and picker.model.valid
    assert "data 1981-01-01 .. now, cadence PT1M" in picker.coverage.value
    dataset.model.select("ac_h0_mfi")  # ACE since 1997: the range still fits
    assert picker.model.entry.id == "ac_h0_mfi" and cadence_of(picker.model.entry) == np.timedelta64(16, "s")
    picker.model.max_samples = 1000  # two days at 16 s are 10,800 samples
    assert not picker.model.valid and "pick at most 4 h 26 min 40 s, e.g. 2015-03-17 .. 2015-03-17T04:26:40" in picker.message.text


def test_time_range_partial_coverage_is_a_note(cat):
    tr = TimeRange(cat.c1_cp_fgm_spin, "2024-09-29", "2024-10-02")  # Cluster's last days
    assert tr.valid and tr.message == "note: c1_cp_fgm_spin has data until 2024-09-30; the range is read up to there"
    tr.start, tr.stop = "2000-12-31", "2001-01-02"
    assert tr.valid and tr.message == "note: c1_cp_fgm_spin has data from 2001-01-01 on; the range is read from there"


# --- plots ---------------------------------------------------------------------------------------

def test_gaps_become_breaks():
    t = np.arange("2015-03-17T00:00", "2015-03-17T01:00", np.timedelta64(1, "m"), dtype="datetime64[ns]")
    holed = np.delete(t, np.s_[20:30])  # ten missing minutes
    da = xr.DataArray(np.arange(holed.size, dtype=float), coords={"time": holed}, name="SYM_H", attrs={"units": "nT"})
    out = with_gaps(da)
    assert out.sizes["time"] == holed.size + 1
    assert np.isnan(out.sel(time="2015-03-17T00:20")) and int(out.isnull().sum()) == 1


def test_plot_pane_on_omni_sample(samples, cat):
    truth_min = np.datetime64(omni.TRUTH["sym_h_minimum_time"])
    events = pd.DataFrame({"start": [omni.TRUTH["shock_time"]], "peak": [truth_min], "end": ["2015-03-18T00:00"]})
    ui = explorer(cat, dataset_id="omni_hro_1min", variables=["BZ_GSM", "SYM_H"], backend="matplotlib", events=events,
                  presets={"St Patrick's Day storm": ("2015-03-17", "2015-03-19")})
    model = ui.plot.model
    assert model.ok, model.message
    assert ui.plot.message.text == "omni_hro_1min: 2,880 samples in [2015-03-17, 2015-03-19)"
    fig = model.figure
    assert [ax.get_ylabel() for ax in fig.axes] == ["BZ_GSM [nT]", "SYM_H [nT]"]
    assert fig.axes[0].get_shared_x_axes().joined(fig.axes[0], fig.axes[1])
    (line,) = fig.axes[1].get_lines()[:1]
    y = np.asarray(line.get_ydata(), dtype=float)
    assert np.nanmin(y) == pytest.approx(omni.TRUTH["sym_h_minimum_nT"], abs=25)  # the injected storm is drawn
    assert len(fig.axes[1].patches) == 1 and len(fig.axes[1].get_lines()) == 2  # event span + peak line
    (shown,) = ui.plot.output.outputs
    assert shown["data"]["image/png"]  # what the notebook shows
    ui.time_range.stop.value = "2015-03-16"
    assert not model.ok and ui.plot.message.text.startswith("stop 2015-03-16 is not after start 2015-03-17")
    ui.time_range.stop.value = "2015-03-18"
    ui.dataset.variable_list.value = ("flow_speed",)
    assert model.ok and [ax.get_ylabel() for ax in model.figure.axes] == ["flow_speed [km/s]"]
    assert model.data.sizes["time"] == 1440
    ui.time_range.start.value, ui.time_range.stop.value = "2019-01-01", "2019-01-02"  # no sample there
    assert not model.ok and "no local data of omni_hro_1min" in ui.plot.message.text
    assert ui.plot.output.outputs == ()


def test_plot_goes_gap_and_flare_headless(samples, cat):
    ds = cat.goes_xrs_flx1s.read("2017-09-06T11:00", "2017-09-06T16:00", ["xrsb_flux"])
    x93 = next(f for f in goes.FLARES if f["class"] == "X9.3")
    fig = plot_timeseries(ds, backend="matplotlib", events=pd.DataFrame([{"peak": x93["peak"]}]))
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and ax.get_ylabel() == "xrsb_flux [W/m2]"
    y = np.asarray(ax.get_lines()[0].get_ydata(), dtype=float)
    assert int(np.isnan(y).sum()) == 120  # the fill gap 14:59-15:01 is a hole in the line
    assert np.nanmax(y) == pytest.approx(x93["xrsb_peak"], rel=0.05)
    fig.canvas.draw()  # Agg, no display


def test_hvplot_layout_linked(samples, cat):
    ds = cat.omni_hro_1min.read("2015-03-17", "2015-03-18", ["BZ_GSM", "SYM_H"])
    layout = plot_timeseries(ds, backend="hvplot", events=pd.DataFrame({"start": ["2015-03-17T04:45"],
                                                                          "end": ["2015-03-17T06:00"]}))
    import holoviews as hv

    assert len(layout) == 2
    assert hv.Store.lookup_options("bokeh", layout, "plot").kwargs["shared_axes"] is True
    assert [p.Curve.I.opts.get().kwargs["ylabel"] for p in layout] == ["BZ_GSM [nT]", "SYM_H [nT]"]
    assert all(len(p.VSpan) == 1 for p in layout)
    with pytest.raises(ValueError, match="the dataset has no variable 'Bz'; it has: BZ_GSM, SYM_H"):
        plot_timeseries(ds, ["Bz"], backend="matplotlib")


# --- ClusterPanel with an in-process gateway -------------------------------------------------------

class FakeCluster:
    def __init__(self, gateway, name: str, options: dict):
        self.gateway, self.name, self.options, self.count = gateway, name, options, 0
        self.dashboard_link = f"http://127.0.0.1:8000/services/dask-gateway/clusters/{name}/status"
        self.scheduler_info = {"workers": {}}

    def scale(self, n):
        gw = self.gateway
        why = scale_refusal(gw.limits.quota, gw.user, gw.others(self.name), gw.config(self.options), n)
        if why:
            raise GatewayClusterError(why)  # what the client raises for the gateway's 409
        self.count = n
        self.scheduler_info = {"workers": {f"tls://127.0.0.1:{40000 + i}": {} for i in range(n)}}

    def adapt(self, minimum, maximum):
        self.adaptive = (minimum, maximum)

    def shutdown(self):
        del self.gateway.clusters[self.name]


class FakeGateway:
    """The parts of ``dask_gateway.Gateway`` the panel uses, refusing as ``SpacehubBackend`` does."""

    user = "alice"

    def __init__(self, limits: UserLimits):
        self.limits, self.clusters = limits, {}

    def cluster_options(self):
        return {"worker_cores": 1, "worker_memory": 1.0}

    def config(self, options):
        return self.limits.cluster_config({**self.cluster_options(), **options})

    def others(self, exclude):
        return total_usage((self.config(c.options), c.count) for c in self.clusters.values() if c.name != exclude)

    def new_cluster(self, shutdown_on_close=True, **options):
        why = new_cluster_refusal(self.limits.quota, self.user, self.others(None), self.config(options))
        if why:
            raise ValueError(why)  # what the client raises for the gateway's 422
        cluster = FakeCluster(self, f"spacehub.{len(self.clusters) + 1}", options)
        self.clusters[cluster.name] = cluster
        return cluster

    def connect(self, name):
        return self.clusters[name]

    def list_clusters(self):
        return [SimpleNamespace(name=c.name, options=c.options) for c in self.clusters.values()]


LIMITS = UserLimits.from_published(PublishedLimits(cores=12, memory=24 * GIB, clusters=2, scheduler_cores=1,
                                                   scheduler_memory=GIB, cluster_max_workers=8))


def test_cluster_start_scale_refuse_stop():
    gateway = FakeGateway(LIMITS)
    panel = ClusterPanel(gateway, model=ClusterControl(gateway, limits=LIMITS), background=False)
    model = panel.model
    assert model.status == "stopped" and panel.stop_button.disabled and not panel.start_button.disabled
    panel.start_button.click()
    assert model.status == "running" and model.cluster_name == "spacehub.1"
    assert panel.dashboard.value == ('<a href="http://127.0.0.1:8000/services/dask-gateway/clusters/spacehub.1/status"'
                                     ' target="_blank">Dask dashboard</a>')
    panel.workers.value = 2
    panel.apply_button.click()
    assert model.workers == 2 and gateway.clusters["spacehub.1"].count == 2
    assert "running</b> spacehub.1: 2 worker(s) (2 asked for)" in panel.status.value
    assert (model.usage.cores, model.usage.memory) == (3, 3 * GIB)  # scheduler + 2 workers of 1 core, 1 GiB
    assert "In use: 3 cores and 3.0 GiB in 1 cluster. This cluster may have up to 8 workers." in panel.quota.value
    assert not model.scale(20)
    assert model.message == ("scaling to 20 workers failed: Scaling to 20 workers would exceed alice's quota of "
                             "12 cores, 24.0 GiB across all clusters (0 cores, 0.0 GiB in 0 cluster(s) held by "
                             "other clusters). This cluster can have at most 11 worker(s) now: scale to 11, or "
                             "scale down or stop another cluster.")
    assert panel.message.text == model.message and panel.message.kind == "error"
    assert model.status == "running" and model.workers == 2
    panel.mode.value = "adaptive"
    panel.adapt_range.value = (1, 6)
    panel.apply_button.click()
    assert gateway.clusters["spacehub.1"].adaptive == (1, 6) and "adaptive 1..6" in panel.status.value
    panel.stop_button.click()
    assert model.status == "stopped" and model.cluster is None and gateway.clusters == {}
    assert "no cluster" in panel.status.value and model.usage.clusters == 0


def test_cluster_quota_refusal_on_start_and_attach():
    gateway = FakeGateway(LIMITS)
    gateway.new_cluster()
    gateway.new_cluster()  # two clusters from an earlier kernel: the quota allows two
    model = ClusterControl(gateway, limits=LIMITS)
    assert not model.start()
    assert model.message == ("starting a cluster failed: alice already has 2 running cluster(s), the most allowed "
                             "per user is 2. Stop one (cluster.shutdown()) before starting another.")
    assert model.status == "stopped" and model.failed
    assert model.attach() and model.cluster_name == "spacehub.1" and model.others == 1
    assert model.scale(3) and model.usage.cores == 1 + 3 + 1  # this cluster + the other's scheduler


def test_cluster_panel_background_and_unknown_quota(monkeypatch):
    monkeypatch.setenv("SPACEHUB_USER_QUOTA", "{cores: 12")
    gateway = FakeGateway(LIMITS)
    broken = ClusterPanel(gateway, background=False)
    assert broken.model.limits is None
    assert broken.model.limits_error.startswith("SPACEHUB_USER_QUOTA is not JSON (Expecting property name")
    assert "The quota is unknown: SPACEHUB_USER_QUOTA is not JSON" in broken.quota.value
    monkeypatch.delenv("SPACEHUB_USER_QUOTA")
    panel = ClusterPanel(gateway)  # operations in a thread; each click's job is waited on, not slept through
    panel.last_job.result(timeout=10)
    assert "The quota is not published on this server (SPACEHUB_USER_QUOTA)" in panel.quota.value
    panel.start_button.click()
    assert panel.last_job.result(timeout=10) is True
    panel.apply_button.click()
    assert panel.last_job.result(timeout=10) is True
    assert panel.model.workers == 2 and "2 worker(s)" in panel.status.value
    panel.stop_button.click()
    assert panel.last_job.result(timeout=10) is True and gateway.clusters == {}
    assert not panel.model.scale(1) and panel.model.message == "start a cluster first"


def test_show_in_replaces_output_state_with_png_and_messages():
    import ipywidgets
    from matplotlib.figure import Figure

    from spacehub.widgets import message, show, show_in

    fig = Figure()
    fig.add_subplot().plot([1, 2, 3])
    out = ipywidgets.Output()
    show_in(out, [message("stop must be after start"), fig])
    kinds = [list(o["data"]) for o in out.outputs]
    assert "text/html" in kinds[0] and "image/png" in kinds[1]
    assert "spacehub-error" in out.outputs[0]["data"]["text/html"]
    show("only this", out)  # replaces, does not append
    assert len(out.outputs) == 1 and out.outputs[0]["data"]["text/plain"] == "'only this'"
