"""spacehub installed from its wheel (not editable) finds its catalogs, settings and templates.

The wheel is built from this checkout and installed into a fresh venv; the dependencies are borrowed
from the test environment (a path entry, not an install) so that the test takes seconds. The
commands run from another folder, so nothing can be found through the checkout.
"""

import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def wheel_env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wheel")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp / "dist"),
                            str(ROOT)], capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr[-3000:]
    (wheel,) = (tmp / "dist").glob("spacehub-*.whl")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    site = next((venv / "lib").glob("python3*/site-packages"))
    # the test environment's packages as a plain path entry: its editable spacehub (a .pth of its
    # own, not read from here) stays invisible
    (site / "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--no-deps", "-q", str(wheel)],
                             capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr[-3000:]
    return venv, tmp


def run(venv: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(cwd)}
    return subprocess.run([str(venv / "bin" / "spacehub"), *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_wheel_install_uses_its_own_files(wheel_env):
    venv, tmp = wheel_env
    probe = subprocess.run([str(venv / "bin" / "python"), "-c",
                            "import spacehub, spacehub.config.paths as p; print(spacehub.__file__); print(p.ROOT)"],
                           cwd=tmp, capture_output=True, text=True, timeout=120)
    package, root = probe.stdout.split()
    assert package.startswith(str(venv)) and root == str(venv / "share" / "spacehub")
    pages = Path(package).parent / "hub" / "templates"  # the hub's pages come along
    assert (pages / "login.html").is_file() and (pages / "sharing" / "home.html").is_file()


def test_catalog_list_from_a_wheel(wheel_env):
    venv, tmp = wheel_env
    listed = run(venv, tmp, "catalog", "list")
    assert listed.returncode == 0, listed.stderr
    assert "omni_hro_1min" in listed.stdout and "dampe_electron_flux_2017" in listed.stdout


def test_doctor_from_a_wheel(wheel_env):
    venv, tmp = wheel_env
    doctor = run(venv, tmp, "doctor")
    assert "Traceback" not in doctor.stderr + doctor.stdout
    # the shipped settings are found in the installed share folder and are valid
    assert f"[ok] settings: {venv / 'share' / 'spacehub' / 'hub' / 'spacehub.yaml'}" in doctor.stdout
    # the proxy comes from npm, not the wheel: doctor says what to do
    assert "configurable-http-proxy" in doctor.stdout
