"""The output folder of a run (``tinygrad-jp train`` or ``experiment``): rerunning a
command replaces its previous run, two runs never write into one folder at once, and a
folder that holds anything else is never wiped.

* A finished or interrupted run leaves a manifest, ``.tinygrad-jp-run.json``: what made
  the folder (``kind``, the command, when) and the files it may hold.
* Rerunning into a folder whose every entry is in its manifest **replaces** that run,
  and the caller is told what was replaced (the report says it too). A staged run
  (experiments) writes into a hidden sibling folder and swaps it in at the end, so an
  interrupted or failed rerun leaves the previous run as it was.
* A folder with anything else in it is refused, unless ``force``: then the run writes
  into it file by file and deletes nothing.
* ``resume`` continues the run in place; the folder must hold a run of the same kind.
* A lock beside the folder (``.<name>.lock``, an OS file lock that dies with its
  process) makes a second run into the same folder fail at once with a clear message.
"""
from __future__ import annotations

import datetime
import json
import os
import shutil
from pathlib import Path

from .._io import atomic_write_text

__all__ = ["RunFolder", "OutputExistsError", "RunLockedError", "prepare_out_dir",
           "MANIFEST"]

MANIFEST = ".tinygrad-jp-run.json"


class OutputExistsError(FileExistsError):
    """The output folder holds files that are not a previous run of the same command,
    and ``force`` was not given."""


class RunLockedError(RuntimeError):
    """Another run is writing into the same output folder right now."""


def prepare_out_dir(path, force=False) -> Path:
    """Create ``path``; refuse an existing non-empty folder unless ``force`` (then files
    are overwritten one by one and nothing is deleted). For a folder that a rerun may
    replace, use :class:`RunFolder`."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputExistsError(f"output {path} exists and is not a folder; choose another "
                                "--out")
    if path.is_dir() and any(path.iterdir()) and not force:
        raise OutputExistsError(f"output folder {path} exists and is not empty; pass --force "
                                "to write into it anyway, or choose another --out")
    path.mkdir(parents=True, exist_ok=True)
    return path


def read_manifest(path):
    """The manifest of the run in folder ``path`` (a dict), or None."""
    try:
        data = json.loads((Path(path) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


class _FileLock:
    """An exclusive, non-blocking OS lock on a small file; the OS drops it when the
    process ends, so a killed run never leaves a stale lock behind."""

    def __init__(self, path):
        self.path = Path(path)
        self._file = None

    def acquire(self, owner):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        f = open(self.path, "a+", encoding="utf-8")
        try:
            _lock_file(f)
        except OSError:
            f.seek(0)
            holder = f.read().strip() or "another process"
            f.close()
            return holder
        f.seek(0)
        f.truncate()
        f.write(owner)
        f.flush()
        self._file = f
        return None

    def release(self):
        if self._file is not None:
            _unlock_file(self._file)
            self._file.close()
            self._file = None


if os.name == "nt":                                           # pragma: no cover
    import msvcrt

    def _lock_file(f):
        f.seek(0)
        msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)

    def _unlock_file(f):
        f.seek(0)
        msvcrt.locking(f.fileno(), msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _lock_file(f):
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock_file(f):
        fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def _describe(manifest):
    when = manifest.get("finished") or manifest.get("started") or "an unknown time"
    state = "" if manifest.get("finished") else ", unfinished"
    return f"`{manifest.get('command', manifest.get('kind', '?'))}` of {when}{state}"


class RunFolder:
    """The folder a run writes into (see the module's text). Use as a context manager::

        with RunFolder("runs/x", kind="experiment x", command="tinygrad-jp ...",
                       stage=True) as folder:
            ... write into folder.path ...
            # folder.replaced: a sentence on the run this one replaces, or None

    ``writes`` names the files and folders an unstaged run may leave (recorded at the
    start, so an interrupted run can still be replaced or resumed). On success the
    manifest lists what is there; a staged run is then swapped in.
    """

    def __init__(self, path, kind, command, force=False, resume=False, stage=False,
                 writes=()):
        if resume and stage:
            raise ValueError("RunFolder: a resumed run continues in place; it is not staged")
        self.target = Path(path)
        self.kind, self.command = str(kind), str(command)
        self.force, self.resume, self.stage = bool(force), bool(resume), bool(stage)
        self.writes = tuple(writes)
        self.path = self.target
        self.replaced = None
        self._previous = None
        self._ours = True          # False when --force writes into somebody else's folder
        self.complete = True       # the caller sets False when its run was interrupted
        self._lock = _FileLock(self.target.parent / f".{self.target.name}.lock")

    # -- deciding what to do with what is there
    def _inspect(self):
        target = self.target
        if target.exists() and not target.is_dir():
            raise OutputExistsError(f"output {target} exists and is not a folder; choose "
                                    "another --out")
        entries = sorted(p.name for p in target.iterdir()) if target.is_dir() else []
        manifest = read_manifest(target)
        if self.resume:
            # Folders from before manifests existed have none: the caller checks those.
            if manifest is not None and manifest.get("kind") != self.kind:
                raise OutputExistsError(f"--resume: {target} holds a run of "
                                        f"`{manifest.get('kind')}`, not of `{self.kind}`")
            return
        if not entries:
            return
        foreign = []
        if manifest is not None and manifest.get("kind") == self.kind:
            known = set(manifest.get("files", ())) | {MANIFEST}
            foreign = [e for e in entries if e not in known and not e.startswith(".")]
            if not foreign:
                self._previous = manifest
                self.replaced = (f"replaces the previous run in {target} "
                                 f"({_describe(manifest)})")
                return
        if self.force:
            self._ours = False
            return
        if manifest is not None and manifest.get("kind") != self.kind:
            why = f"it holds a run of `{manifest.get('kind')}`"
        elif foreign:
            why = (f"besides a previous run it holds {', '.join(foreign[:5])}"
                   + (" ..." if len(foreign) > 5 else ""))
        else:
            why = "it holds files that are not a run of tinygrad-jp"
        raise OutputExistsError(f"output folder {target} is not empty and {why}; choose "
                                "another --out, or pass --force to write into it anyway "
                                "(nothing in it is deleted)")

    def _write_manifest(self, folder, files, finished):
        now = datetime.datetime.now().isoformat(timespec="seconds")
        data = {"kind": self.kind, "command": self.command,
                "started": self._started, "finished": now if finished else None,
                "files": sorted(set(files) - {MANIFEST})}
        atomic_write_text(Path(folder) / MANIFEST, json.dumps(data, indent=1) + "\n")

    # -- the context manager
    def __enter__(self):
        owner = (f"pid {os.getpid()}, started "
                 f"{datetime.datetime.now().isoformat(timespec='seconds')}, `{self.command}`")
        holder = self._lock.acquire(owner)
        if holder is not None:
            raise RunLockedError(f"another run is writing into {self.target} right now "
                                 f"({holder}); wait for it to finish, or choose another "
                                 "--out")
        try:
            self._inspect()
            self._started = datetime.datetime.now().isoformat(timespec="seconds")
            if self.stage:
                self.path = self.target.parent / f".{self.target.name}.new-{os.getpid()}"
                shutil.rmtree(self.path, ignore_errors=True)
                self.path.mkdir(parents=True)
            else:
                if self._previous is not None:
                    shutil.rmtree(self.target)
                self.target.mkdir(parents=True, exist_ok=True)
                if self.resume:
                    self._started = (read_manifest(self.target) or {}).get("started",
                                                                          self._started)
                elif self._ours and self.writes:
                    self._write_manifest(self.target, self.writes, finished=False)
        except BaseException:
            self._lock.release()
            raise
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is not None:
                if self.stage:
                    shutil.rmtree(self.path, ignore_errors=True)
                return False
            if self._ours:
                files = {p.name for p in self.path.iterdir()} | set(self.writes)
                self._write_manifest(self.path, files, finished=self.complete)
            if self.stage:
                self._swap_in()
            return False
        finally:
            self._lock.release()

    def _swap_in(self):
        """Put the staged folder where the target is; the old run goes only after the new
        one is in place."""
        old = None
        if self.target.exists():
            if not self._ours:
                # --force into a foreign folder: merge file by file, delete nothing.
                for p in self.path.iterdir():
                    dest = self.target / p.name
                    if dest.is_dir() and not dest.is_symlink():
                        shutil.rmtree(dest)
                    os.replace(p, dest)
                self.path.rmdir()
                self.path = self.target
                return
            old = self.target.parent / f".{self.target.name}.old-{os.getpid()}"
            os.replace(self.target, old)
        os.replace(self.path, self.target)
        self.path = self.target
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
