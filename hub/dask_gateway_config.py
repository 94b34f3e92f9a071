# dask-gateway-server configuration of spacehub (run by the hub as the dask-gateway service);
# everything comes from the settings file in $SPACEHUB_CONFIG; see src/spacehub/gateway/config.py.
import sys
from pathlib import Path

from spacehub.config import load_settings
from spacehub.gateway.config import gateway_config
from spacehub.redact import redact_logs

redact_logs()  # no credential in the gateway's log (its records are made after this file is read)
c.merge(gateway_config(load_settings(), Path(sys.executable).parent))  # noqa: F821
