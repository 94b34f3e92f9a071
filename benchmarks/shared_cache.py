"""Shared cache: a second user's read of a remote dataset vs the first user's.

A local HTTP server plays the archive (SPDF-like month files of OMNI HRO 1-min, 2.5 MB each) with an
added latency per request and a bandwidth cap, as a remote archive has. User 1 reads three months
(the cache fetches the files); user 2, in another process with the same cache folder, reads the same
range (cache hits). Both processes first open one local file, so that imports and first-call costs
(paid once per kernel either way) are outside the timing. Baseline in the same run: user 1's read.

    .venv/bin/python benchmarks/shared_cache.py [--latency 0.25] [--mbps 5]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

USER = """
import os, sys, time, spacehub.catalog
from spacehub.catalog.readers import open_file
from spacehub.data.cache import SharedCache
# warm-up on a local copy: imports and first-call costs, paid once per kernel whatever the cache does
open_file(sys.argv[3], "cdf", ["SYM_H"]).sel(time=slice("2015-04-02", "2015-04-03"))
cat = spacehub.catalog.open(sys.argv[1])
cache = SharedCache(sys.argv[2], allowed=cat.allows)
t0 = time.perf_counter()
ds = cat.omni_hro_1min.read("2015-02-01", "2015-05-01", ["SYM_H", "BZ_GSM", "flow_speed"], cache=cache)
print(time.perf_counter() - t0, ds.time.size)
"""


class SlowArchive(SimpleHTTPRequestHandler):
    latency = 0.25
    bytes_per_s = 5e6

    def copyfile(self, source, outputfile):
        time.sleep(self.latency)
        while chunk := source.read(64 * 1024):
            outputfile.write(chunk)
            time.sleep(len(chunk) / self.bytes_per_s)

    def log_message(self, *args):
        pass


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--latency", type=float, default=0.25, help="seconds added per request")
    p.add_argument("--mbps", type=float, default=5, help="bandwidth cap, MB/s")
    args = p.parse_args(argv)
    SlowArchive.latency, SlowArchive.bytes_per_s = args.latency, args.mbps * 1e6
    import os

    import spacehub.catalog
    from spacehub.samples import omni

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        files = omni.write_month_files(tmp / "served")
        size_mb = sum(f.stat().st_size for f in files) / 1e6
        server = ThreadingHTTPServer(("127.0.0.1", 0), partial(SlowArchive, directory=str(tmp / "served")))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_port}/omni/hro_1min/{{time:%Y}}/omni_hro_1min_{{time:%Y%m}}01_v01.cdf"
        (tmp / "catalogs").mkdir()
        (tmp / "catalogs" / "omni.yaml").write_text((spacehub.catalog.CATALOG_DIR / "omni.yaml").read_text().replace(
            "https://spdf.gsfc.nasa.gov/pub/data/omni/omni_cdaweb/hro_1min/{time:%Y}/omni_hro_1min_{time:%Y%m}01_v01.cdf", url))
        env = {**os.environ, "SPACEHUB_SAMPLE_DATA": str(tmp / "none")}
        env.pop("SPACEHUB_OFFLINE", None)
        times = []
        for user in (1, 2):
            out = subprocess.run([sys.executable, "-c", USER, str(tmp / "catalogs"), str(tmp / "cache"), str(files[-1])],
                                 env=env,
                                 capture_output=True, text=True, check=True).stdout.split()
            times.append(float(out[0]))
            print(f"user {user}: {float(out[0]):.3f} s for {int(out[1]):,} records")
        server.shutdown()
    print(f"archive: {args.latency:g} s latency per request, {args.mbps:g} MB/s; {len(files)} files, {size_mb:.1f} MB")
    print(f"second user's read is {times[0] / times[1]:.0f}x faster than the first's")
    return 0


if __name__ == "__main__":
    sys.exit(main())
