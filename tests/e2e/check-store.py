#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# check-store.py [--clean] [--archives] STORE [BUILDDIR...]: the invariants of
# a store and of the active sets of build directories (t310, t320), checked
# from outside pkgtool:
#  - BUILDDIR/env/active is gen-N, a complete generation: active.json loads,
#    every package it lists is extracted in the store, every symlink resolves;
#    every gen-N on disk has its active.json;
#  - every STORE/ID has pkginfo.json naming ID, and its runtime dependencies
#    (pkginfo.json depends) are extracted beside it;
#  - --archives: every STORE/pkgs/*.tar.zst is a whole zstd tarball whose
#    pkginfo.json names it, and its files match the extracted STORE/ID's;
#  - --clean: no leftovers (.gen-N.tmp, .old-gen-N, active.tmp.*, STORE/tmp/*).
# Prints what is wrong and exits 1, or exits 0 quietly.
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tarfile

ID = re.compile(r"^[a-z0-9][a-z0-9_+.-]*--[0-9][A-Za-z0-9.+~-]*--[0-9a-f]{12}$")
errors = []


def bad(msg):
    errors.append(msg)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


def check_envdir(store, builddir, clean):
    env = os.path.join(builddir, "env")
    if not os.path.isdir(env):
        return
    for name in os.listdir(env):
        if clean and (name.startswith(".gen-") or name.startswith(".old-gen-")
                      or name.startswith("active.tmp.")):
            bad(f"leftover {env}/{name}")
        if re.match(r"^gen-[1-9][0-9]*$", name):
            if not os.path.isfile(os.path.join(env, name, "active.json")):
                bad(f"{env}/{name} has no active.json")
    link = os.path.join(env, "active")
    if not os.path.lexists(link):
        return
    target = os.readlink(link)
    if not re.match(r"^gen-[1-9][0-9]*$", target):
        bad(f"{link} -> {target}: not a generation")
        return
    gen = os.path.join(env, target)
    try:
        with open(os.path.join(gen, "active.json")) as f:
            info = json.load(f)
    except (OSError, ValueError) as e:
        bad(f"{gen}/active.json: {e}")
        return
    for p in info["packages"]:
        if not os.path.isfile(os.path.join(store, p["id"], "pkginfo.json")):
            bad(f"{gen} lists {p['id']}, not in {store}")
    for root, dirs, files in os.walk(gen):
        for n in dirs + files:
            p = os.path.join(root, n)
            if os.path.islink(p) and not os.path.exists(p):
                bad(f"dangling symlink {p} -> {os.readlink(p)}")


def check_store(store, clean, archives):
    for name in sorted(os.listdir(store)):
        if not ID.match(name):
            continue
        info_path = os.path.join(store, name, "pkginfo.json")
        try:
            with open(info_path) as f:
                info = json.load(f)
        except (OSError, ValueError) as e:
            bad(f"{store}/{name}: no pkginfo.json ({e})")
            continue
        if info.get("id") != name:
            bad(f"{info_path} names {info.get('id')}")
        for d in info.get("depends", []):
            dep = d["id"] if isinstance(d, dict) else d
            if not os.path.isdir(os.path.join(store, dep)):
                bad(f"{store}/{name} without its dependency {dep}")
    tmp = os.path.join(store, "tmp")
    if clean and os.path.isdir(tmp) and os.listdir(tmp):
        bad(f"leftovers in {tmp}: {sorted(os.listdir(tmp))}")
    pkgs = os.path.join(store, "pkgs")
    if not os.path.isdir(pkgs):
        return
    for name in sorted(os.listdir(pkgs)):
        if not name.endswith(".tar.zst") or not ID.match(name[:-8]):
            bad(f"stray file {pkgs}/{name}")
            continue
        if archives:
            check_archive(store, os.path.join(pkgs, name), name[:-8])


def check_archive(store, path, pkgid):
    r = subprocess.run(["zstd", "-dcq", path], capture_output=True)
    if r.returncode != 0:
        bad(f"{path}: not a whole zstd stream: {r.stderr.decode().strip()}")
        return
    try:
        tar = tarfile.open(fileobj=io.BytesIO(r.stdout))
        info = json.load(tar.extractfile("pkginfo.json"))
    except (tarfile.TarError, KeyError, ValueError) as e:
        bad(f"{path}: {e}")
        return
    if info.get("id") != pkgid:
        bad(f"{path}: pkginfo.json names {info.get('id')}")
    prefix = os.path.join(store, pkgid)
    for rel, want in info.get("files", {}).items():
        m = tar.getmember(rel)
        got = hashlib.sha256(tar.extractfile(m).read()).hexdigest()
        if got != want:
            bad(f"{path}: {rel} has sha256 {got}, pkginfo.json says {want}")
        if os.path.isdir(prefix) and sha256(os.path.join(prefix, rel)) != want:
            bad(f"{prefix}/{rel} differs from its archive")


def main():
    args = sys.argv[1:]
    clean = "--clean" in args
    archives = "--archives" in args
    args = [a for a in args if not a.startswith("--")]
    store, builddirs = args[0], args[1:]
    check_store(store, clean, archives)
    for b in builddirs:
        check_envdir(store, b, clean)
    for e in errors:
        print(f"check-store: {e}", file=sys.stderr)
    sys.exit(1 if errors else 0)


main()
