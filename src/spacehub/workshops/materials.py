"""A workshop's materials: a folder, a git repository every seat pulls, or entries of the hub's gallery.

``spacehub workshop create NAME --materials SPEC`` takes three forms of SPEC, checked by :func:`describe`
before anything is made; what it returns is the workshop record's ``materials``:

- a folder (``~/teaching/storms``): ``{"kind": "folder", "path": ...}``, its files installed into each
  home as templates are (:func:`spacehub.hub.homes.install_templates`).
- a git repository: an ``https://``, ``http://``, ``git://`` or ``file://`` URL, or anything ending
  in ``.git`` (a path on this machine is written down absolute); a branch other than the repository's
  default as ``URL#BRANCH`` (``#``: an ``@`` in a URL is its user's). ``{"kind": "git", "url": ...,
  "branch": ...}``: the branch is written down (the default one as the repository names it at
  creation). Checked with ``git ls-remote`` as a stranger would (no password asked, no credentials of
  the hub's account); a URL carrying credentials (``https://user:token@host/...``) is refused: every
  seat clones it, so it is a public repository. At each server start the hub runs, as the seat's own
  account, ``python -m spacehub.workshops.materials pull URL BRANCH ~/NAME`` (:func:`pull`).
- ``gallery:ID[,ID...]``, ``ID@vN`` for a version other than the latest: each version's notebook and its
  files copied once, at creation, into ``<state_dir>/workshops/NAME.materials/<ID>/`` (the notebook
  named after the version's title, ``solar-wind-at-l1.ipynb``, or ``<ID>.ipynb`` where a file of its
  has that name; its files beside it, as the notebook reads them), then installed as a folder is.
  ``{"kind": "gallery", "path": ..., "entries": [{"id": ..., "version": N}, ...]}``.
  An entry must not be withdrawn, and be visible to the whole hub (``hub`` or ``public``) or be an
  instructor's own; any other is refused as unknown (a private entry's title is never shown).

A pull brings the repository with nbgitpuller's ``GitPuller`` (read in nbgitpuller 1.3.0; the tests in
``tests/unit/test_workshop_materials.py`` assert each row below and fail if a release changes it). The
first pull clones; later ones fetch, commit the student's changes and merge the instructors' commits
with ``git merge -Xours``: **a file the student edited is never overwritten**.

=============================  ===============================  ====================================
the student's copy             the instructors' new commits     after the pull
=============================  ===============================  ====================================
edited                         change other lines of it         both: the student's and theirs
edited                         change the same lines            the student's lines (theirs elsewhere
                                                                in the file still merged)
edited                         delete it (and add others, even  kept as edited; theirs arrive
                               alike: git renames off, see
                               :data:`MERGE_OPTIONS`)
deleted                        leave it, or change it           restored as it is upstream (delete a
                                                                file to get a fresh copy)
a file of the student's        add a file of that name          the student's renamed
                                                                ``name__<yyyymmddHHMMSS>.ext``,
                                                                theirs put in its place
=============================  ===============================  ====================================

The student's changes are committed in their clone (``Automatic commit by nbgitpuller``) before each
merge: an earlier state of their work stays in its history.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

GIT_SCHEMES = ("https://", "http://", "git://", "file://")
GALLERY = "gallery:"
#: a branch name as written after ``#``: git's own rules (``git check-ref-format``), the common subset
BRANCH = re.compile(r"^(?!-)(?!.*\.\.)(?!.*//)[A-Za-z0-9._/-]{1,200}(?<![./])(?<!\.lock)$")
GALLERY_ITEM = re.compile(r"^(?P<id>[a-z0-9][a-z0-9-]{0,63})(?:@v(?P<version>[1-9][0-9]{0,5}))?$")
#: everyone's students may see these; another visibility is allowed only for an instructor's own entry
SHARED_VISIBILITIES = ("hub", "public")
FORMS = ("a folder (--materials ~/teaching/storms), a git repository (--materials "
         "https://github.com/org/lessons.git, a branch as ...lessons.git#BRANCH) or gallery entries "
         "(--materials gallery:ID,ID@v2)")
#: git never asks for a password (a server start has nobody to answer: it would wait forever); ssh
#: neither; a transfer slower than 1 kB/s for 30 s is given up; git speaks English (nbgitpuller reads
#: its "CONFLICT (modify/delete)" lines, and its own LANG=C gives way to a student's LC_ALL)
GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_SSH_COMMAND": "ssh -o BatchMode=yes", "GIT_HTTP_LOW_SPEED_LIMIT": "1000",
           "GIT_HTTP_LOW_SPEED_TIME": "30", "LC_ALL": "C"}
#: git settings for every git run here (given in the environment: ``git -c`` for git and what it starts):
#: no credential helper (an empty value empties git's list of them). nbgitpuller reads the files the
#: instructors added and deleted from ``git diff --name-status``: no renames there (a deleted notebook
#: and a new one share most of their lines, nbformat's, and would show as one renamed file: neither is
#: seen), and names as they are (``Übung.ipynb``, not ``"\303\234bung.ipynb"``, which it would not find
#: to move the student's own file of that name aside: the merge would fail at every start)
GIT_CONFIG = {"credential.helper": "", "diff.renames": "false", "core.quotePath": "false"}
#: and for the merge of a pull (``branch.<name>.mergeOptions``): only a file moved as it was is a
#: rename. Else the instructors deleting ``extra.ipynb`` and adding ``new.ipynb`` is taken for a rename,
#: and the merge carries the student's edit of ``extra.ipynb`` into ``new.ipynb`` over theirs, leaving
#: no ``extra.ipynb``. (``-Xno-renames`` and ``merge.renames`` are ignored by git 2.39's ort merge.)
MERGE_OPTIONS = "-Xrename-threshold=100%"
ASKING = ("GIT_ASKPASS", "SSH_ASKPASS")  # programs git would run to ask for a password


class MaterialsError(ValueError):
    """Materials the hub cannot use; the message says what the instructor can do."""


def describe(spec: str, *, state_dir: Path, name: str, instructors: Sequence[str], timeout: float = 20) -> dict:
    """Check the materials ``spec`` of a new workshop ``name``; returns what its record keeps (see the module).

    Parameters
    ----------
    spec : a folder, a git repository URL (``URL#BRANCH``) or ``gallery:ID[@vN][,ID...]``.
    state_dir : the hub's state dir (the gallery's store, the workshops' records and snapshots).
    name : the workshop's name (names the gallery snapshot's folder).
    instructors : hub users teaching it (their own gallery entries may be private).
    timeout : seconds a git repository has to answer.

    Raises
    ------
    MaterialsError
        the source is missing, empty, unreachable, refused, or no form at all.

    Examples
    --------
    >>> describe("https://github.com/org/lessons.git#2026", state_dir=Path("/var/lib/spacehub"),
    ...          name="storms", instructors=["alice"])  # doctest: +SKIP
    {'kind': 'git', 'url': 'https://github.com/org/lessons.git', 'branch': '2026'}
    """
    spec = (spec or "").strip()
    if spec.startswith(GALLERY):
        return _describe_gallery(spec[len(GALLERY):], Path(state_dir), name, instructors)
    if _is_git(spec):
        url, _, branch = spec.partition("#")
        if "://" not in url and not re.match(r"^[^/]+:", url):  # a path (not ssh's host:path): every seat's
            url = str(Path(url).expanduser().resolve())  # pull runs in another folder
        return {"kind": "git", "url": url, "branch": _branch(url, branch or None, timeout)}
    if not spec or re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", spec):
        raise MaterialsError(f"materials {redact(spec)!r}: not a form the hub knows; give {FORMS}")
    folder = Path(spec).expanduser().resolve()
    if not folder.exists():
        raise MaterialsError(f"the materials folder {spec} does not exist; give {FORMS}")
    if not folder.is_dir():
        raise MaterialsError(f"the materials {spec} is a file: give the folder holding it")
    if not any(folder.iterdir()):
        raise MaterialsError(f"the materials folder {spec} is empty: put the notebooks and data in it first")
    return {"kind": "folder", "path": str(folder)}


# -- git ---------------------------------------------------------------------------------------------
def _is_git(spec: str) -> bool:
    url = spec.partition("#")[0]
    return url.startswith(GIT_SCHEMES) or url.rstrip("/").endswith(".git")


def redact(text: str) -> str:
    """``text`` with the user and password of every URL in it replaced by ``***``."""
    return re.sub(r"(?<=://)[^/\s]+@", "***@", text)


def _refuse_credentials(url: str) -> None:
    if re.match(r"^(https?|git|file)://[^/]*@", url) or re.match(r"^[a-z+]+://[^/@]*:[^/@]*@", url):
        raise MaterialsError(f"the repository URL {redact(url)} carries credentials (a user name or token): every "
                             "seat clones it, so use a public repository, given without them")


def _git_env(home: str | None = None, config: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment with :data:`GIT_ENV` and the settings :data:`GIT_CONFIG` and ``config``;
    ``home``: another HOME (no ``~/.gitconfig``, ``~/.git-credentials`` nor ``~/.netrc`` of the account
    running it)."""
    env = {key: value for key, value in os.environ.items() if key not in ASKING}
    env.update(GIT_ENV)
    settings = {**GIT_CONFIG, **(config or {})}
    env["GIT_CONFIG_COUNT"] = str(len(settings))
    for i, (key, value) in enumerate(settings.items()):
        env |= {f"GIT_CONFIG_KEY_{i}": key, f"GIT_CONFIG_VALUE_{i}": value}
    if home is not None:
        env["HOME"] = home
        env.pop("XDG_CONFIG_HOME", None)
    return env


@contextlib.contextmanager
def _environ(env: dict[str, str]) -> Iterator[None]:
    """``env`` as ``os.environ`` for a while: nbgitpuller starts git with a copy of ``os.environ`` and
    has no other way to be given an environment."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _git(args: Sequence[str], env: dict[str, str], timeout: float, cwd: Path | None = None) -> str:
    """``git ARGS``' output; git and whatever it started are killed at ``timeout`` (a process group of
    their own: git's helper for http would otherwise keep the pipe open after git is gone)."""
    try:
        proc = subprocess.Popen(["git", *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env, cwd=cwd, start_new_session=True)
    except FileNotFoundError:
        raise MaterialsError("git is not installed on this machine (apt-get install git)") from None
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, args, out, err)
    return out.decode(errors="replace")


def _git_said(e: subprocess.CalledProcessError | str) -> str:
    """What git said, shortened, without credentials."""
    text = e if isinstance(e, str) else (e.stderr or b"").decode(errors="replace")
    lines = [line.strip() for line in redact(text).splitlines() if line.strip() and not line.startswith("$ ")]
    return "; ".join(lines[-3:])[-400:] or "no reason given"


def _remote_refs(url: str, timeout: float) -> dict[str, str]:
    """``git ls-remote --symref URL`` as a stranger: ``{"HEAD": "refs/heads/main", "refs/heads/main": sha, ...}``."""
    _refuse_credentials(url)
    with tempfile.TemporaryDirectory() as home:
        try:
            out = _git(["ls-remote", "--symref", "--", url], _git_env(home), timeout)
        except subprocess.TimeoutExpired:
            raise MaterialsError(f"the repository {redact(url)} did not answer within {timeout:g} s: check the URL "
                                 "and that this machine reaches it, or try again") from None
        except subprocess.CalledProcessError as e:
            raise MaterialsError(f"the repository {redact(url)} cannot be read ({_git_said(e)}): check the URL, and "
                                 "that it is a public repository (students clone it without a password)") from None
    refs = {}
    for line in out.splitlines():
        if line.startswith("ref: ") and line.endswith("\tHEAD"):
            refs["HEAD"] = line[5:].split("\t")[0]
        elif "\t" in line:
            sha, ref = line.split("\t", 1)
            refs.setdefault(ref, sha)
    return refs


def _branch(url: str, branch: str | None, timeout: float) -> str:
    """``branch`` if the repository has it, else (None) the repository's default branch."""
    if re.search(r"\.git@[^/:]+$", url):
        raise MaterialsError(f"{redact(url)}: a branch is given after '#' (...lessons.git#BRANCH), not '@'")
    if branch is not None and not BRANCH.match(branch):
        raise MaterialsError(f"branch {branch!r}: letters, digits and ._/- (a git branch name)")
    refs = _remote_refs(url, timeout)
    heads = sorted(ref.removeprefix("refs/heads/") for ref in refs if ref.startswith("refs/heads/"))
    if not heads:
        raise MaterialsError(f"the repository {redact(url)} has no branch yet: push the materials to it first")
    if branch is None:
        default = refs.get("HEAD", "")
        if not default.startswith("refs/heads/"):
            raise MaterialsError(f"the repository {redact(url)} names no default branch: give one as URL#BRANCH "
                                 f"(it has {', '.join(heads[:10])})")
        return default.removeprefix("refs/heads/")
    if branch not in heads:
        raise MaterialsError(f"the repository {redact(url)} has no branch {branch} (it has {', '.join(heads[:10])}"
                             f"{' ...' if len(heads) > 10 else ''}): push it, or name one of those after '#'")
    return branch


def pull(url: str, branch: str, dest: Path) -> dict[str, str]:
    """Bring ``branch`` of the repository ``url`` into ``dest``: a clone the first time, later the
    instructors' new commits merged with the student's work (the module's table: an edited file is
    never overwritten).

    Returns
    -------
    dict
        ``{"action": "cloned" | "updated", "commit": sha}``: the instructors' commit now merged.

    Raises
    ------
    MaterialsError
        the repository or branch cannot be read, ``dest`` is something else than its clone, or git
        failed (what git said, without credentials).
    """
    try:
        from nbgitpuller import GitPuller
    except ImportError:
        raise MaterialsError("nbgitpuller is not installed in this environment (pip install 'nbgitpuller>=1.2')") from None
    dest = Path(dest)
    _branch(url, branch, timeout=60)  # reachable, the branch there: said plainly before nbgitpuller tries
    if dest.is_dir() and not any(dest.iterdir()):
        dest.rmdir()  # an empty folder (made by hand, or left by a clone that failed) is cloned into
    action = "updated" if dest.exists() else "cloned"
    if action == "updated":
        _check_clone(dest, url)
    said: deque[str] = deque(maxlen=20)
    env = _git_env(config={f"branch.{branch}.mergeOptions": MERGE_OPTIONS})
    with _environ(env):
        try:
            for line in GitPuller(url, str(dest), branch=branch, depth=1).pull():
                said.append(line)
            commit = _git(["rev-parse", f"origin/{branch}"], env, 30, cwd=dest).strip()
        # nbgitpuller's own errors are a ValueError (1.2), GitPullerError (1.3), and a bare Exception for
        # another git at work in the folder (a recent .git/index.lock, pull.py ensure_lock)
        except Exception as e:
            reason = _git_said("\n".join(said)) if isinstance(e, subprocess.CalledProcessError) else redact(str(e))
            raise MaterialsError(f"{redact(url)} ({branch}) could not be brought into {dest}: {reason}") from None
    return {"action": action, "commit": commit}


def _check_clone(dest: Path, url: str) -> None:
    """``dest`` is a clone of ``url`` (git would otherwise work on whatever repository holds it)."""
    if not (dest / ".git").is_dir():
        raise MaterialsError(f"{dest} exists and is not a clone of {redact(url)}: rename it (its files are kept) "
                             "and start the server again to get the workshop's materials")
    try:
        origin = _git(["config", "--get", "remote.origin.url"], _git_env(), 30, cwd=dest).strip()
    except subprocess.CalledProcessError:
        origin = ""
    if origin != url:
        raise MaterialsError(f"{dest} is a clone of another repository ({redact(origin) or 'none'}), not of "
                             f"{redact(url)}: rename it and start the server again")


# -- gallery -----------------------------------------------------------------------------------------
def _describe_gallery(items: str, state_dir: Path, name: str, instructors: Sequence[str]) -> dict:
    from ..gallery.store import NotFound, Store, read_json, slug
    from . import records
    from .roster import RosterError, check_workshop_name

    try:
        check_workshop_name(name)
    except RosterError as e:
        raise MaterialsError(str(e)) from None
    wanted = [item.strip() for item in items.split(",") if item.strip()]
    if not wanted:
        raise MaterialsError("gallery: name the entries, as gallery:ID or gallery:ID,ID@v2 (IDs are in the "
                             "gallery's entry URLs)")
    bad = [item for item in wanted if not GALLERY_ITEM.match(item)]
    if bad:
        raise MaterialsError(f"gallery entries {', '.join(map(repr, bad))}: an entry's id (from its URL), "
                             "optionally @vN for version N")
    root = state_dir / "gallery"
    if not (root / "entries").is_dir():
        raise MaterialsError(f"this hub has no gallery entries (no store at {root}): publish the notebooks first")
    if records.load(state_dir, name) is not None:
        raise MaterialsError(f"a workshop {name} exists already: its materials stay as they are")
    store = Store(root)
    chosen: list[tuple[str, int, str]] = []  # id, version, title
    problems = []
    for item in wanted:
        match = GALLERY_ITEM.match(item)
        assert match is not None  # checked above
        entry_id = match["id"]
        try:
            entry = store.entry(entry_id)
        except NotFound:
            entry = {}
        ours = entry.get("author") in instructors
        if not entry or not (entry.get("visibility") in SHARED_VISIBILITIES or ours):
            problems.append(f"{entry_id}: no such entry the workshop may use (unknown, or visible to its author "
                            "only: its author can make it visible to the hub)")
        elif entry.get("withdrawn"):
            problems.append(f"{entry_id}: withdrawn from the gallery on {entry['withdrawn'].get('at', '?')}")
        elif not entry["versions"]:
            problems.append(f"{entry_id}: no version published")
        elif match["version"] and int(match["version"]) not in entry["versions"]:
            problems.append(f"{entry_id}: no version {match['version']} (versions "
                            f"{', '.join(map(str, entry['versions']))})")
        else:
            version = int(match["version"] or entry["versions"][-1])
            title = read_json(store.version_dir(entry_id, version) / "version.json").get("title") or entry["title"]
            chosen.append((entry_id, version, title))
    if problems:
        raise MaterialsError("gallery entries refused, nothing was copied: " + "; ".join(problems))
    if len({entry_id for entry_id, _, _ in chosen}) < len(chosen):
        raise MaterialsError("gallery: an entry is named twice (each entry's folder holds one version)")
    where = records.folder(state_dir)
    where.mkdir(mode=0o700, parents=True, exist_ok=True)
    final = where / f"{name}.materials"
    stage = where / f".{name}.materials.{secrets.token_hex(4)}"
    stage.mkdir(mode=0o700)
    try:
        for entry_id, version, title in chosen:
            source, folder = store.version_dir(entry_id, version), stage / entry_id
            folder.mkdir()
            files = store.files(entry_id, version)
            notebook = f"{slug(title)}.ipynb"
            if notebook in files:  # a file published with it has that name: the notebook takes the id's
                notebook = f"{entry_id}.ipynb"
            shutil.copyfile(source / "notebook.ipynb", folder / notebook)
            for file in files:
                shutil.copyfile(source / "files" / file, folder / file)
        if final.exists():  # left by a creation that failed later: no workshop has it (checked above)
            aside = where / f".{name}.materials.old.{secrets.token_hex(4)}"
            os.rename(final, aside)
            shutil.rmtree(aside)
        os.rename(stage, final)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return {"kind": "gallery", "path": str(final),
            "entries": [{"id": entry_id, "version": version} for entry_id, version, _ in chosen]}


def main(argv: list[str] | None = None) -> int:
    """``python -m spacehub.workshops.materials pull URL BRANCH DEST``: :func:`pull`, as the account
    running it; prints the result as one JSON line (exit 1, the reason on standard error, if it fails)."""
    p = argparse.ArgumentParser(prog="python -m spacehub.workshops.materials",
                                description="a workshop's materials from a git repository")
    sub = p.add_subparsers(dest="action", required=True)
    pl = sub.add_parser("pull", help="clone the repository into DEST, or merge its new commits (edits are kept)")
    pl.add_argument("url")
    pl.add_argument("branch")
    pl.add_argument("dest", type=Path)
    args = p.parse_args(argv)
    try:
        result = pull(args.url, args.branch, args.dest)
    except MaterialsError as e:
        print(str(e), file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
