"""The HAPI community's official verifier (hapi-server/verifier-nodejs, in ../shared/tools) against
the real data service, once per dataset it serves: 0 failures, and only the warnings the service
documents (services/data/hapi.py), each for a reason.

The service runs offline on the sample data (public mode: the verifier sends no token; the hub's
login in front of the same handlers is tested in tests/integration/test_hub.py), so it serves the
datasets it has samples of; each result is one test here, named by its dataset.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

import spacehub.catalog
from spacehub.catalog.read import stations_of
from spacehub.samples import GENERATORS
from spacehub.services.data.hapi import _served

ROOT = Path(__file__).resolve().parents[2]
VERIFIER = ROOT.parent / "shared" / "tools" / "hapi-verifier"

pytestmark = [pytest.mark.integration, pytest.mark.slow]

#: warnings the service leaves, and why (the module doc of services/data/hapi.py)
ACCEPTED_WARNINGS = {
    "TooLong": "titles longer than 40 characters: the archives' own titles",
    "CIdentifier": "'@' in the id of a second time axis (CDAWeb's convention)",
    "CompressionAvailable": "data bodies are not gzipped on the service's event loop",
}


def _datasets() -> list[str]:
    """The datasets the service serves offline: time series `spacehub data sample` writes, one per time axis."""
    catalog = spacehub.catalog.open(samples=None, offline=True)
    return [d.id for e in catalog if e.kind == "timeseries" and e.id in GENERATORS and not stations_of(e)
            for d in _served(e)]


@pytest.fixture(scope="module")
def verifier(tmp_path_factory):
    if not VERIFIER.is_dir():
        pytest.skip(f"the HAPI verifier is not in {VERIFIER} (../shared/tools/hapi-verifier next to the checkout)")
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are needed to run the HAPI verifier")
    where = tmp_path_factory.mktemp("verifier") / "verifier"
    shutil.copytree(VERIFIER, where, ignore=shutil.ignore_patterns("node_modules"))
    # --ignore-scripts: the install scripts would fetch a git submodule; the folder has it already
    subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], cwd=where,
                   check=True, capture_output=True, timeout=300)
    return where


@pytest.fixture(scope="module")
def served(hapi_service):
    return {d["id"] for d in requests.get(hapi_service + "/catalog", timeout=30).json()["catalog"]}


def test_the_service_serves_every_dataset_it_has_samples_of(served):
    assert served == set(_datasets())
    assert {"wi_h0_mfi", "wi_h0_mfi@Epoch3", "omni_hro_1min", "kepler_llc"} <= served


@pytest.mark.parametrize("dataset", _datasets())
def test_the_official_hapi_verifier_passes(dataset, verifier, hapi_service, served, tmp_path, verifier_results):
    assert dataset in served
    out = tmp_path / "verifier.json"
    with open(out, "w") as f:  # to a file: on a pipe the verifier's JSON is cut short
        subprocess.run(["node", "verify.js", "--url", hapi_service, "--dataset", f"^{dataset}$", "--output", "json",
                        "--datatimeout", "60000", "--metatimeout", "10000"], cwd=verifier, stdout=f,
                       stderr=subprocess.PIPE, timeout=600, env={**os.environ, "NO_COLOR": "1"})
    text = out.read_text()
    assert "{" in text, f"the verifier wrote no JSON:\n{text[-2000:]}"
    report = json.loads(text[text.index("{"):])
    fails = [f"{x['description'][:200]} | {str(x.get('got'))[:300]} | {x.get('url')}" for x in report["fails"]]
    warns = {x["description"].split("(")[0].removeprefix("is.") for x in report["warns"]}
    verifier_results.append(
        f"{dataset}: {len(report['passes'])} checks passed, {len(fails)} failed, "
        f"warnings: {', '.join(sorted(warns)) or 'none'}")
    assert report["passes"] and not fails, "\n".join(fails)
    assert warns <= set(ACCEPTED_WARNINGS), f"new verifier warnings: {warns - set(ACCEPTED_WARNINGS)}"
