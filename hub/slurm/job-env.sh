#!/usr/bin/env bash
# The Python environment Slurm jobs run in: Dask schedulers and workers, and the gateway's
# dask-gateway-jobqueue-launcher, started as each user's own Unix account.
#
#   hub/slurm/job-env.sh DEST [HUB_PYTHON]
#
# It must be readable and runnable by every user, so it is built from the system's python3 (not from
# an interpreter under a private home such as /root/.pyenv) into DEST (default /opt/spacehub/job-env),
# folders 0755. The Dask, distributed, dask-gateway, cloudpickle, msgpack and numpy versions are those
# of the hub's environment (HUB_PYTHON, default: the checkout's .venv), because clients, schedulers
# and workers exchange pickled objects. Rebuilds only when those versions change.
set -euo pipefail

DEST=${1:-/opt/spacehub/job-env}
HERE=$(cd "$(dirname "$0")" && pwd)
HUB_PYTHON=${2:-$HERE/../../.venv/bin/python}
SYSTEM_PYTHON=${SYSTEM_PYTHON:-/usr/bin/python3}

pins=$("$HUB_PYTHON" - <<'PY'
from importlib.metadata import PackageNotFoundError, version
for name in ("dask", "distributed", "dask-gateway", "dask-gateway-server", "cloudpickle", "msgpack",
             "numpy", "pandas", "tornado", "bokeh"):
    try:
        print(f"{name}=={version(name)}")
    except PackageNotFoundError:
        pass
PY
)
stamp=$DEST/.spacehub-pins
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$pins" ] && [ -x "$DEST/bin/dask" ]; then
    exit 0
fi
[ -x "$SYSTEM_PYTHON" ] || { echo "job-env: $SYSTEM_PYTHON not found (apt-get install python3 python3-venv)" >&2; exit 1; }
echo "job-env: building $DEST from $SYSTEM_PYTHON"
umask 022
rm -rf "$DEST"
mkdir -p "$(dirname "$DEST")"
"$SYSTEM_PYTHON" -m venv "$DEST"
# shellcheck disable=SC2086
"$DEST/bin/python" -m pip install --quiet --disable-pip-version-check $pins
echo "$pins" > "$stamp"
chmod -R a+rX "$DEST"
