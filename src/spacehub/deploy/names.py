"""Names every target shares: services, roles and the environment variables a user's server gets."""

GATEWAY_SERVICE = "dask-gateway"
CULLER_SERVICE = "idle-culler"
DATA_SERVICE = "data"
#: notebooks published, re-run and cited (spacehub.gallery)
GALLERY_SERVICE = "gallery"
#: a workshop's status page and REST API for its instructors; ends workshops at their end time (spacehub.workshops)
WORKSHOPS_SERVICE = "workshops"
#: the token of `spacehub groups` (the hub's account on the host): manages hub groups, nothing else
ADMIN_CLI_SERVICE = "admin-cli"

#: the gateway's own process; GATEWAY_SERVICE is what users reach at /services/dask-gateway (the gate, on
#: the local and slurm targets)
GATEWAY_SERVER_SERVICE = "dask-gateway-server"
#: a Dask cluster's processes: the hub user who owns it (a workshop's status counts each seat's clusters)
CLUSTER_OWNER_ENV = "SPACEHUB_CLUSTER_OWNER"
#: the hub's secret every cluster's dashboard key derives from (the gateway's and the gate's environment)
DASHBOARD_SECRET_ENV = "SPACEHUB_DASHBOARD_SECRET"

GATEWAY_ROLE = "spacehub-gateway"
DASHBOARDS_ROLE = "spacehub-dashboards"
CULLER_ROLE = "spacehub-idle-culler"

#: the per-user quota published to servers (JSON: :mod:`spacehub.deploy.published`)
QUOTA_ENV = "SPACEHUB_USER_QUOTA"
#: the hub's HAPI service, for notebooks
HAPI_URL_ENV = "SPACEHUB_HAPI_URL"
#: the gallery, for users' servers (publish, open in my hub): through the hub's proxy on loopback
GALLERY_URL_ENV = "SPACEHUB_GALLERY_URL"
#: the offline sample data, the shared download cache and its size
SAMPLE_DATA_ENV = "SPACEHUB_SAMPLE_DATA"
CACHE_DIR_ENV = "SPACEHUB_CACHE_DIR"
CACHE_GIB_ENV = "SPACEHUB_CACHE_GIB"
#: no reads from remote archives (tests, air-gapped sites)
OFFLINE_ENV = "SPACEHUB_OFFLINE"
#: the data service serves anyone, logged in or not
DATA_PUBLIC_ENV = "SPACEHUB_DATA_PUBLIC"
DATA_MAX_VALUES_ENV = "SPACEHUB_DATA_MAX_VALUES"  #: data_service.max_values, for the service
DATA_MAX_SPAN_ENV = "SPACEHUB_DATA_MAX_SPAN_DAYS"  #: data_service.max_span_days, for the service
#: a workshop seat's notebook to open (its path in the home): its server starts its kernel ahead
#: (spacehub.notebook.warm)
OPEN_NOTEBOOK_ENV = "SPACEHUB_OPEN_NOTEBOOK"
#: folders of the home a user's server keeps read-only (demo mode's shared/; spacehub.notebook.contents)
READ_ONLY_ENV = "SPACEHUB_READ_ONLY_FOLDERS"

#: plots in notebooks carry their JavaScript (bokeh, panel, holoviews) in the notebook's output
#: instead of loading it from a CDN, so they render on networks without internet access
OFFLINE_PLOTS = {"BOKEH_RESOURCES": "inline", "PANEL_INLINE": "1"}
