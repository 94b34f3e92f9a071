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
import sys
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from corpus import manifest
from hubtools import free_port, hapi_process

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
    verify(verifier, hapi_service, dataset, tmp_path, verifier_results)


#: real files of the corpus (tests/corpus.toml) at their place in the archives the catalog names
ARCHIVE = {
    "psp_fld_l2_mag_rtn_1min": ("psp_fld_l2_mag_rtn_1min_20200104_v02.cdf", "parker_solar_probe.yaml",
                                "https://spdf.gsfc.nasa.gov/pub/data",
                                "psp/fields/l2/mag_rtn_1min/2020/psp_fld_l2_mag_rtn_1min_20200104_v02.cdf"),
    "goes_xrs_avg1m": ("sci_xrsf-l2-avg1m_g16_d20210101_truncated.nc", "goes.yaml",
                       "https://data.ngdc.noaa.gov/platforms/solar-space-observing-satellites/goes",
                       "goes16/l2/data/xrsf-l2-avg1m_science/2021/01/sci_xrsf-l2-avg1m_g16_d20210101_v2-2-0.nc"),
}

SERVE = """
import sys
import spacehub.catalog
from tornado import ioloop
from spacehub.services.data.app import make_app

make_app(public=True, catalog=spacehub.catalog.open(sys.argv[1], samples=sys.argv[2], offline=False)).listen(
    int(sys.argv[3]), "127.0.0.1")
ioloop.IOLoop.current().start()
"""


@pytest.fixture(scope="module")
def archive_service(tmp_path_factory):
    """The data service reading real mission files from a local archive (HTTP, in the archive's own
    folders), as a hub online reads them, at the dates the catalog gives as examples."""
    files = {f.name: f.path for f in manifest()[1]}
    if not all(files[name].exists() for name, *_ in ARCHIVE.values()):
        pytest.skip("the real-file corpus is not there: run `make corpus` (downloads it once)")
    tmp = tmp_path_factory.mktemp("archive")
    archive = ThreadingHTTPServer(("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(tmp / "served")))
    base = f"http://127.0.0.1:{archive.server_port}"
    (tmp / "catalogs").mkdir()
    for name, catalog, remote, place in ARCHIVE.values():
        (tmp / "served" / place).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(files[name], tmp / "served" / place)
        (tmp / "catalogs" / catalog).write_text((spacehub.catalog.CATALOG_DIR / catalog).read_text().replace(remote, base))
    threading.Thread(target=archive.serve_forever, daemon=True).start()
    port = free_port()
    env = {**os.environ, "SPACEHUB_OFFLINE": "0", "SPACEHUB_CACHE_DIR": str(tmp / "cache"), "SPACEHUB_CACHE_GIB": "1"}
    try:
        with hapi_process([sys.executable, "-c", SERVE, str(tmp / "catalogs"), str(tmp / "no-samples"), str(port)],
                          env, port, tmp / "service.log") as url:
            yield url
    finally:
        archive.shutdown()
        archive.server_close()


@pytest.mark.parametrize("dataset", sorted(ARCHIVE))
def test_the_official_hapi_verifier_passes_on_real_archive_files(dataset, verifier, archive_service, tmp_path,
                                                                 verifier_results):
    info = requests.get(archive_service + "/info", params={"dataset": dataset}, timeout=60).json()
    # no sample file of these: the catalog's example, the day of the real file
    assert info["sampleStartDate"][:10] == {"psp_fld_l2_mag_rtn_1min": "2020-01-04", "goes_xrs_avg1m": "2021-01-01"}[dataset]
    verify(verifier, archive_service, dataset, tmp_path, verifier_results, "(real files from a local archive)")


def verify(verifier: Path, url: str, dataset: str, tmp_path: Path, results: list, note: str = "") -> None:
    out = tmp_path / "verifier.json"
    with open(out, "w") as f:  # to a file: on a pipe the verifier's JSON is cut short
        subprocess.run(["node", "verify.js", "--url", url, "--dataset", f"^{dataset}$", "--output", "json",
                        "--datatimeout", "60000", "--metatimeout", "10000"], cwd=verifier, stdout=f,
                       stderr=subprocess.PIPE, timeout=600, env={**os.environ, "NO_COLOR": "1"})
    text = out.read_text()
    assert "{" in text, f"the verifier wrote no JSON:\n{text[-2000:]}"
    report = json.loads(text[text.index("{"):])
    fails = [f"{x['description'][:200]} | {str(x.get('got'))[:300]} | {x.get('url')}" for x in report["fails"]]
    warns = {x["description"].split("(")[0].removeprefix("is.") for x in report["warns"]}
    results.append(f"{dataset}{' ' + note if note else ''}: {len(report['passes'])} checks passed, {len(fails)} "
                   f"failed, warnings: {', '.join(sorted(warns)) or 'none'}")
    assert report["passes"] and not fails, "\n".join(fails)
    assert warns <= set(ACCEPTED_WARNINGS), f"new verifier warnings: {warns - set(ACCEPTED_WARNINGS)}"
