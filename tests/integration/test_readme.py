"""The README's Python examples, run as written in a user's kernel on the real hub."""

import re
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

README = Path(__file__).resolve().parents[2] / "README.md"


def python_examples() -> list[str]:
    return [re.sub(r"(?m)^ {3}", "", block) for block in
            re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)]


def test_readme_has_the_examples_it_promises():
    blocks = python_examples()
    assert len(blocks) >= 3
    assert any("GatewayCluster" in b for b in blocks) and any("hapi_server" in b for b in blocks)
    assert any("spacehub.open_file(" in b for b in blocks)


@pytest.fixture(scope="module")
def kernel(hub):
    r = hub.api("POST", "users/reader", session=hub.admin())
    assert r.status_code in (201, 409), r.text
    kernel = hub.user_kernel("reader", "a-readers-password")
    yield kernel
    kernel.run("import dask_gateway\n"
               "for c in dask_gateway.Gateway().list_clusters():\n"
               "    dask_gateway.Gateway().stop_cluster(c.name)")
    kernel.close()


def test_readme_examples_run_as_written(kernel, hub):
    # the file a user downloaded, in the folder the kernel starts in
    kernel.run("import shutil, spacehub.catalog\n"
               "shutil.copy(spacehub.catalog.open().wi_h0_mfi.read('2015-03-17', '2015-03-18').attrs"
               "['provenance_files'][0], '.')")
    for block in python_examples():
        kernel.run(block, timeout=240)
    # what the examples promise
    out = kernel.run("print(ds.SYM_H.min().item() < -150, len(data), 'BZ_GSM' in data.dtype.names)\n"
                     "print(cluster.dashboard_link)\n"
                     "print(spacehub.data.hapi_server())\n"
                     "print(mag.sizes['time'], mag.BGSE.dims, bz.size,\n"
                     "      float(bz.mean()) == float(both['Epoch3'].B3GSE[:, 2].mean()))")
    first, link, server, files = out.splitlines()
    assert first == "True 2880 True"
    assert files == "1440 ('time', 'label_bgse') 28800 True"
    assert "/services/dask-gateway/clusters/" in link
    token = kernel.run("import os; print(os.environ['JUPYTERHUB_API_TOKEN'])").strip()
    assert token not in server and token not in link
