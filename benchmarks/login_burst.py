"""A workshop's first minute: N people log in at once; how long until each can run a cell?

A real hub (``spacehub up`` on loopback, local logins). N users, created beforehand by the admin as
an instructor would, all press "Sign in" at the same moment: the login form (their first login sets
their password), their server starts (they follow its progress events, as the page they see does),
a kernel opens and runs a cell. Time to ready = from the login form's POST to the cell's output.
Meanwhile someone else keeps loading the login page (its latency says whether the hub stays
responsive) and the memory of every process of the hub is sampled.

Two bursts in one run, each on a fresh hub: spacehub's settings (servers start
``spawner.concurrent_starts`` at a time, the others queued; its timeouts), and the baseline of
JupyterHub's defaults (every server at once, ``http_timeout`` 30 s, ``start_timeout`` 60 s).

    .venv/bin/python benchmarks/login_burst.py --users 40
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from hubtools import Kernel, RunningHub

PASSWORD = "workshop-password-123"
BASELINE = {"concurrent_starts": 1000, "http_timeout": 30, "start_timeout": 60}  # JupyterHub's defaults


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def hub_memory_gib(hub: RunningHub) -> float:
    """The memory (RSS) of every process of the hub: the hub, its services, servers and kernels."""
    rss = 0
    for p in hub.processes():
        try:
            rss += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return rss / 2**30


def release_and_watch(go: threading.Barrier, threads: list[threading.Thread], sample, every: float) -> float:
    """Release the started ``threads`` waiting at ``go`` all at once and call ``sample()`` every ``every``
    seconds until they have all finished; return the time they took."""
    done = threading.Event()

    def watch():
        while not done.is_set():
            sample()
            done.wait(every)

    watcher = threading.Thread(target=watch)
    go.wait()
    t0 = time.perf_counter()
    watcher.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    done.set()
    watcher.join()
    return wall


def sign_in_and_wait(hub: RunningHub, s: requests.Session, name: str, password: str, out: dict) -> list[str]:
    """POST the login form with ``s`` (its page already loaded) and follow the server's start as the page a
    person sees does, until it is ready; ``out["login"]`` is the POST's time. The progress messages seen."""
    t0 = time.perf_counter()
    r = s.post(hub.url + "hub/login", data={"username": name, "password": password,
                                            "_xsrf": s.cookies.get("_xsrf")}, allow_redirects=False, timeout=300)
    out["login"] = time.perf_counter() - t0
    if r.status_code != 302:
        raise RuntimeError(f"login answered {r.status_code}")
    s.get(hub.url + "hub/spawn", allow_redirects=False, timeout=300)  # where the login's redirect leads
    messages = []
    with s.get(hub.url + f"hub/api/users/{name}/server/progress", stream=True, timeout=900,
               headers={"X-XSRFToken": s.cookies.get("_xsrf", path="/hub/") or ""}) as events:
        for line in events.iter_lines():
            if line.startswith(b"data:"):
                event = json.loads(line[5:])
                messages.append(event.get("message", ""))
                if event.get("failed"):
                    raise RuntimeError(f"spawn failed: {event.get('message')}")
                if event.get("ready"):
                    break
    return messages


def one_user(hub: RunningHub, name: str, token: str, go: threading.Barrier, out: dict) -> None:
    s = requests.Session()
    try:
        s.get(hub.url + "hub/login", timeout=60)
        go.wait()  # everyone has the login page open: "Sign in", all at once
        t0 = time.perf_counter()
        messages = sign_in_and_wait(hub, s, name, PASSWORD, out)
        out["queued"] = any("ahead of you" in m for m in messages)
        out["server"] = time.perf_counter() - t0
        kernel = Kernel(hub.url + f"user/{name}/", token)
        assert kernel.run("print(6 * 7)").strip() == "42"
        kernel.close()
        out["ready"] = time.perf_counter() - t0
    except Exception as e:
        out["error"] = f"{type(e).__name__}: {e}"[:200]


def burst(users: int, workdir: Path, spawner: dict) -> dict:
    names = [f"user{i:02d}" for i in range(1, users + 1)]
    hub = RunningHub(workdir, auth={"type": "local", "admin_users": ["admin"], "allowed_users": names},
                     spawner=spawner, culler={"enabled": False})
    hub.start(timeout=120)
    try:
        tokens = {}
        for name in names:  # the instructor's list, made before the workshop
            assert hub.api("POST", f"users/{name}", session=hub.admin()).status_code in (201, 409)
            tokens[name] = hub.token_for(name)
        go, results = threading.Barrier(users + 1), {name: {} for name in names}
        threads = [threading.Thread(target=one_user, args=(hub, n, tokens[n], go, results[n])) for n in names]
        for t in threads:
            t.start()
        page, memory = [], [0.0]

        def sample():
            t0 = time.perf_counter()
            try:
                ok = requests.get(hub.url + "hub/login", timeout=30).status_code == 200
            except requests.RequestException:
                ok = False
            page.append(time.perf_counter() - t0 if ok else float("inf"))
            memory[0] = max(memory[0], hub_memory_gib(hub))

        wall = release_and_watch(go, threads, sample, every=0.25)
    finally:
        hub.stop()
    ready = sorted(r["ready"] for r in results.values() if "ready" in r)
    errors = [f"{n}: {r['error']}" for n, r in results.items() if "error" in r]
    logins = [r["login"] for r in results.values() if "login" in r]
    return {"users": users, "ok": len(ready), "errors": errors, "wall": wall,
            "p50": statistics.median(ready) if ready else None, "p95": percentile(ready, 95) if ready else None,
            "max": max(ready) if ready else None, "login_post_p95": percentile(logins, 95) if logins else None,
            "queued": sum(1 for r in results.values() if r.get("queued")),
            "page_p50": statistics.median(page), "page_p95": percentile(page, 95), "page_max": max(page),
            "peak_gib": memory[0]}


def report(label: str, r: dict) -> None:
    def s(v):
        return "-" if v is None else f"{v:.1f} s"
    print(f"{label}: {r['ok']}/{r['users']} ready in {r['wall']:.1f} s; time to ready p50 {s(r['p50'])}, "
          f"p95 {s(r['p95'])}, max {s(r['max'])}; login POST p95 {s(r['login_post_p95'])}; "
          f"{r['queued']} saw their place in the queue")
    print(f"   login page during the burst: p50 {r['page_p50'] * 1000:.0f} ms, p95 {r['page_p95'] * 1000:.0f} ms, "
          f"max {r['page_max'] * 1000:.0f} ms; hub's processes peaked at {r['peak_gib']:.1f} GiB")
    for e in r["errors"][:5]:
        print("   failed:", e)
    if len(r["errors"]) > 5:
        print(f"   ... and {len(r['errors']) - 5} more")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--users", type=int, default=40)
    p.add_argument("--concurrent-starts", type=int, help="spawner.concurrent_starts (default: the settings' default)")
    p.add_argument("--no-baseline", action="store_true", help="skip the burst with JupyterHub's defaults")
    args = p.parse_args(argv)
    spawner = {} if args.concurrent_starts is None else {"concurrent_starts": args.concurrent_starts}
    with tempfile.TemporaryDirectory(prefix="login-burst-") as tmp:
        ours = burst(args.users, Path(tmp) / "spacehub", spawner)
        report("spacehub", ours)
        if not args.no_baseline:
            base = burst(args.users, Path(tmp) / "baseline", BASELINE)
            report("baseline (all at once, JupyterHub's timeouts)", base)
            if ours["p95"] and base["p95"]:
                print(f"ratio of p95 time to ready, spacehub / baseline: {ours['p95'] / base['p95']:.2f} "
                      f"(with {ours['ok']} and {base['ok']} of {args.users} ready)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
