# JupyterHub configuration of spacehub: everything comes from the settings file
# (hub/spacehub.yaml, or $SPACEHUB_CONFIG); see src/spacehub/hub/config.py.
from spacehub.config import load_settings
from spacehub.hub import hub_config
from spacehub.hub.runtime import discover, prepare_state

settings = load_settings()
c.merge(hub_config(settings, prepare_state(settings), discover(settings)))  # noqa: F821
