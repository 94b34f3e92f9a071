"""The ``ClusterPanel``: buttons and sliders over a ``ClusterControl``, never blocking the notebook."""

from __future__ import annotations

import html
from concurrent.futures import Future, ThreadPoolExecutor

import ipywidgets as widgets

from ..catalog.display import plural
from ..gateway.quota import GIB
from .cluster import ClusterControl
from .feedback import MessageLine, message_html

#: slider range when the quota is unknown; the gateway still refuses what does not fit
DEFAULT_MAX_WORKERS = 8


class ClusterPanel(widgets.VBox):
    """Start / scale (fixed or adaptive) / stop the user's gateway cluster, with its dashboard and quota.

    Operations run in a background thread (``background=True``), so the notebook stays usable
    while a cluster starts; the panel shows the state meanwhile. ``background=False`` runs them in
    the caller's thread (tests, scripts).

    >>> panel = ClusterPanel()                   # doctest: +SKIP
    >>> panel                                    # doctest: +SKIP
    >>> client = panel.model.cluster.get_client()   # doctest: +SKIP
    """

    def __init__(self, gateway=None, *, model: ClusterControl | None = None, background: bool = True):
        self.model = model or ClusterControl(gateway)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cluster-panel") if background else None
        self.last_job: Future | None = None
        self.start_button = widgets.Button(description="Start cluster", button_style="success", icon="play")
        self.attach_button = widgets.Button(description="Attach", icon="link",
                                            tooltip="Attach to a cluster you started before")
        self.stop_button = widgets.Button(description="Stop", button_style="danger", icon="stop")
        self.refresh_button = widgets.Button(description="Refresh", icon="refresh")
        self.mode = widgets.ToggleButtons(options=["fixed", "adaptive"], description="Workers")
        self.workers = widgets.IntSlider(value=2, min=0, max=DEFAULT_MAX_WORKERS, description="Number")
        self.adapt_range = widgets.IntRangeSlider(value=(0, 4), min=0, max=DEFAULT_MAX_WORKERS, description="Min, max")
        self.apply_button = widgets.Button(description="Scale", icon="arrows-v")
        self.status = widgets.HTML()
        self.dashboard = widgets.HTML()
        self.quota = widgets.HTML()
        self.message = MessageLine()
        self.start_button.on_click(lambda _: self.submit(self.model.start))
        self.attach_button.on_click(lambda _: self.submit(self.model.attach))
        self.stop_button.on_click(lambda _: self.submit(self.model.stop))
        self.refresh_button.on_click(lambda _: self.submit(self.model.refresh))
        self.apply_button.on_click(lambda _: self.apply())
        self.mode.observe(lambda _: self._render(), "value")
        self.model.observe(self._render)
        super().__init__([
            widgets.HBox([self.start_button, self.attach_button, self.stop_button, self.refresh_button]),
            self.status, self.dashboard, self.mode, self.workers, self.adapt_range, self.apply_button,
            self.quota, self.message,
        ])
        self._render()
        self.submit(self.model.refresh)

    def submit(self, operation, *args) -> Future:
        """Run ``operation(*args)`` in the background (or now, without ``background``)."""
        if self._executor is None:
            job: Future = Future()
            job.set_result(operation(*args))
        else:
            job = self._executor.submit(operation, *args)
        self.last_job = job
        return job

    def apply(self) -> Future:
        """Scale to the slider's number, or adapt within its range."""
        if self.mode.value == "fixed":
            return self.submit(self.model.scale, self.workers.value)
        return self.submit(self.model.adapt, *self.adapt_range.value)

    def _render(self, _change=None) -> None:
        m = self.model
        running = m.cluster is not None
        self.start_button.disabled = m.busy or running
        self.attach_button.layout.display = "" if not running and m.others else "none"
        self.attach_button.disabled = m.busy
        self.stop_button.disabled = m.busy or not running
        self.apply_button.disabled = m.busy or not running
        self.refresh_button.disabled = m.busy
        fixed = self.mode.value == "fixed"
        self.workers.layout.display = "" if fixed else "none"
        self.adapt_range.layout.display = "none" if fixed else ""
        top = DEFAULT_MAX_WORKERS if m.most_workers is None else max(m.most_workers, 1)
        self.workers.max = self.adapt_range.max = top
        self.status.value = status_html(m)
        self.dashboard.value = (f'<a href="{html.escape(m.dashboard_link)}" target="_blank">Dask dashboard</a>'
                                if m.dashboard_link else "")
        self.quota.value = quota_html(m)
        self.message.show(m.message, "error" if m.failed else "info")


def status_html(m: ClusterControl) -> str:
    """One line on the cluster: state, workers connected and asked for."""
    if m.busy:
        return f"<b>{html.escape(m.status)} ...</b>"
    if m.cluster is None:
        return "<b>no cluster</b>: start one to compute in parallel"
    asked = f"adaptive {m.adaptive[0]}..{m.adaptive[1]}" if m.adaptive else f"{m.requested} asked for"
    return f"<b>{html.escape(m.status)}</b> {html.escape(m.cluster_name)}: {m.workers} worker(s) ({asked})"


def quota_html(m: ClusterControl) -> str:
    """The user's quota, what their clusters hold, and how many workers this cluster may have."""
    if m.limits is None:
        why = message_html(f"The quota is unknown: {m.limits_error}") if m.limits_error else \
            "The quota is not published on this server (SPACEHUB_USER_QUOTA)"
        return f"<small>{m.others} other cluster(s) of yours. {why}; the gateway still enforces it.</small>"
    use = m.usage
    unknown = ""
    if m.others:
        unknown = (" (not counting the workers of your other cluster)" if m.others == 1 else
                   f" (not counting the workers of your {m.others} other clusters)")
    most = "" if m.most_workers is None else f" This cluster may have up to {plural(m.most_workers, 'worker')}."
    return (f"<small>Quota {html.escape(m.limits.describe())}. In use: {use.cores:g} cores and "
            f"{use.memory / GIB:.1f} GiB in {plural(use.clusters, 'cluster')}{unknown}.{most}</small>")

