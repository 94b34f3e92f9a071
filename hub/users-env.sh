#!/usr/bin/env bash
# The Python environment users' servers, kernels and Dask processes run from in isolated mode,
# where each hub user is their own Unix account.
#
#   hub/users-env.sh DEST [HUB_PYTHON]
#
# Every user must be able to read and run it, so it is built from the system's python3 (not from an
# interpreter under a private home such as /root/.pyenv) into DEST (default /opt/spacehub/env),
# folders 0755, files 0644 (0755 for programs). spacehub is installed as a copy (not an editable
# install pointing into a checkout users may not read), with every dependency at the version the
# hub's environment (HUB_PYTHON, default: the checkout's .venv) has: clients, schedulers and
# workers exchange pickled objects. Rebuilds only when those versions or the checkout change.
set -euo pipefail

DEST=${1:-/opt/spacehub/env}
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
HUB_PYTHON=${2:-$REPO/.venv/bin/python}
SYSTEM_PYTHON=${SYSTEM_PYTHON:-/usr/bin/python3}

# the versions that must match the hub's: what clients, schedulers and workers pickle and send each
# other, and what the hub and the servers speak; the rest resolves for this Python (some releases
# need a newer patch level than Debian's)
pins=$("$HUB_PYTHON" - <<'PY'
from importlib.metadata import PackageNotFoundError, version
for name in ("dask", "distributed", "dask-gateway", "cloudpickle", "msgpack", "numpy", "pandas", "xarray",
             "tornado", "bokeh", "jupyterhub", "jupyter-server", "jupyterlab", "jupyter-collaboration",
             "ipykernel", "ipywidgets", "hapiclient", "pycdfpp", "astropy", "scipy", "numba"):
    try:
        print(f"{name}=={version(name)}")
    except PackageNotFoundError:
        pass
PY
)
source_hash=$(cd "$REPO" && find src catalogs notebooks/templates hub/spacehub.yaml hub/jupyterhub_config.py \
                hub/dask_gateway_config.py pyproject.toml -type f ! -name '*.pyc' -print0 | sort -z \
              | xargs -0 sha256sum | sha256sum | cut -c1-16)
want="$source_hash
$pins"
stamp=$DEST/.spacehub-build
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$DEST/bin/jupyterhub-singleuser" ]; then
    exit 0
fi
[ -x "$SYSTEM_PYTHON" ] || { echo "users-env: $SYSTEM_PYTHON not found (apt-get install python3 python3-venv)" >&2; exit 1; }
echo "users-env: building $DEST from $SYSTEM_PYTHON (the environment users' servers and clusters run from)"
umask 022
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "$pins" > "$tmp/constraints.txt"
rm -rf "$DEST.new"
mkdir -p "$(dirname "$DEST")"
"$SYSTEM_PYTHON" -m venv "$DEST.new"
# a copy of the checkout: pip builds it in a folder of its own
mkdir "$tmp/src" && (cd "$REPO" && tar --exclude=./.git --exclude=./.venv --exclude=./.state --exclude=./hub/proxy/node_modules --exclude=./build -cf - .) | tar -xf - -C "$tmp/src"
PIP_CONSTRAINT="$tmp/constraints.txt" "$DEST.new/bin/python" -m pip install --quiet --disable-pip-version-check \
    "$tmp/src"
chmod -R a+rX "$DEST.new"
# venvs are not relocatable: rebuild the scripts' shebangs for the final path
grep -rlI "^#!$DEST.new/bin/python" "$DEST.new/bin" | xargs -r sed -i "1s|^#!$DEST.new/bin/python|#!$DEST/bin/python|"
sed -i "s|$DEST.new|$DEST|g" "$DEST.new/bin/activate" "$DEST.new/pyvenv.cfg"
rm -rf "$DEST.old"
[ -e "$DEST" ] && mv "$DEST" "$DEST.old"
mv "$DEST.new" "$DEST"
rm -rf "$DEST.old"
echo "$want" > "$stamp"
