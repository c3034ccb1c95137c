#!/usr/bin/env bash
# Builds the Docker image with podman and runs its smoke stage, on a machine where Docker does
# not run and no base image can be pulled:
#   1. a local base image: Debian (the release and mirror this machine's apt uses, read now)
#      made with debootstrap, plus python3 and python3-venv, imported as localhost/iqtibas-base;
#   2. the image (target "runtime") built FROM it, timed, and its size measured;
#   3. the "smoke" target, which asks the seed question with the CLI and over HTTP while
#      building (RUN steps work under --isolation chroot, `podman run` does not here).
# The building machine's pip configuration (where torch 2.13.0 CPU comes from) is passed to
# the build as a secret, and any local folders it names are mounted read-only.
#
# usage: scripts/docker_smoke.sh [--rebuild-base] [--fresh]
#   --rebuild-base  make the Debian base again even if localhost/iqtibas-base exists
#   --fresh         build every step of the image again (no layer cache): the time to report
#   env: WORK (default /tmp/iqtibas-docker), TAG (default localhost/iqtibas:latest)
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
WORK=${WORK:-/tmp/iqtibas-docker}
TAG=${TAG:-localhost/iqtibas:latest}
BASE_TAG=localhost/iqtibas-base:latest
REBUILD_BASE=false
CACHE=()
for argument in "$@"; do
    case "$argument" in
        --rebuild-base) REBUILD_BASE=true ;;
        --fresh) CACHE=(--no-cache) ;;
        *) echo "usage: $0 [--rebuild-base] [--fresh]" >&2; exit 2 ;;
    esac
done
# vfs and chroot: no overlay mounts or user namespaces are needed, which this machine lacks
PODMAN=(podman --storage-driver vfs)
BUILD=("${PODMAN[@]}" build --isolation chroot)

log() { printf '[docker_smoke %(%H:%M:%S)T] %s\n' -1 "$*"; }

install_tools() {
    local missing=()
    command -v podman >/dev/null || missing+=(podman)
    command -v debootstrap >/dev/null || missing+=(debootstrap)
    if ((${#missing[@]})); then
        log "installing ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
    fi
}

# The first Debian source this machine's apt uses (deb822 .sources or one-line .list files),
# skipping -security/-updates suites: prints "URI SUITE KEYRING" (KEYRING may be empty).
apt_source() {
    local files=()
    [[ -f /etc/apt/sources.list ]] && files+=(/etc/apt/sources.list)
    for file in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [[ -f "$file" ]] && files+=("$file")
    done
    python3 - "${files[@]}" <<'PY'
import re
import sys

def stanzas(path):
    text = open(path, encoding="utf-8").read()
    if path.endswith(".sources"):
        for block in re.split(r"\n\s*\n", text):
            fields = {}
            for line in block.splitlines():
                if line.startswith("#") or ":" not in line:
                    continue
                key, _, value = line.partition(":")
                fields[key.strip().lower()] = value.strip()
            for uri in fields.get("uris", "").split():
                for suite in fields.get("suites", "").split():
                    if "deb" in fields.get("types", "").split():
                        yield uri, suite, fields.get("signed-by", "")
    else:
        for line in text.splitlines():
            match = re.match(r"\s*deb\s+(\[(?P<options>[^]]*)\]\s+)?(?P<uri>\S+)\s+(?P<suite>\S+)", line)
            if match:
                keyring = re.search(r"signed-by=(\S+)", match.group("options") or "")
                yield match.group("uri"), match.group("suite"), keyring.group(1) if keyring else ""

for path in sys.argv[1:]:
    for uri, suite, keyring in stanzas(path):
        if "-" not in suite and "/debian" in uri:
            print(uri, suite, keyring if keyring.startswith("/") else "")
            sys.exit(0)
sys.exit("no Debian apt source found in /etc/apt")
PY
}

make_base() {
    if ! $REBUILD_BASE && "${PODMAN[@]}" image exists "$BASE_TAG"; then
        log "base image $BASE_TAG exists (--rebuild-base makes it again)"
        return
    fi
    local uri suite keyring
    read -r uri suite keyring < <(apt_source)
    log "debootstrap $suite from $uri"
    local rootfs="$WORK/rootfs"
    rm -rf "$rootfs"
    mkdir -p "$WORK"
    local options=(--variant=minbase --include=python3,python3-venv,ca-certificates)
    [[ -n "$keyring" ]] && options+=(--keyring="$keyring")
    debootstrap "${options[@]}" "$suite" "$rootfs" "$uri" >"$WORK/debootstrap.log" 2>&1 \
        || { tail -30 "$WORK/debootstrap.log"; exit 1; }
    # a smaller base: no package lists or downloaded .debs
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb
    tar -C "$rootfs" -c . | "${PODMAN[@]}" import \
        --change 'CMD ["/bin/bash"]' --change 'ENV LANG=C.UTF-8' - "$BASE_TAG"
    rm -rf "$rootfs"
    log "base image: $("${PODMAN[@]}" image inspect --format '{{.Size}}' "$BASE_TAG") bytes"
}

# This machine's pip configuration as a pip.conf (only where packages come from and the CA
# bundle that trusts them: a TLS-inspecting proxy's certificate lives only there), the bundle
# itself, and a read-only mount for every local folder the configuration names; all go to the
# build as secrets or mounts, none into the repo or the image.
pip_config() {
    local conf="$1" cert="$2"
    { python3 -m pip config list 2>/dev/null || true; } | python3 -c '
import shutil
import sys

KEEP = {"index-url", "extra-index-url", "find-links", "trusted-host", "default-timeout", "retries"}
values = {}
for line in sys.stdin:
    name, _, value = line.strip().partition("=")
    key = name.rsplit(".", 1)[-1]
    if key in KEEP | {"cert"}:
        # ":env:" (PIP_* variables) and later files override, as pip itself does
        values[key] = value.strip().strip("\x27\"")
cert = values.pop("cert", "")
if cert:
    shutil.copyfile(cert, sys.argv[1])
    # where the Dockerfile mounts the "pipcert" secret
    values["cert"] = "/run/secrets/pipcert"
else:
    open(sys.argv[1], "w").close()
print("[global]")
for key, value in sorted(values.items()):
    print(f"{key} = {value}")
' "$cert" >"$conf"
    python3 - "$conf" <<'PY'
import configparser
import os
import sys

parser = configparser.ConfigParser()
parser.read(sys.argv[1])
folders = set()
for key in ("index-url", "extra-index-url", "find-links"):
    for value in parser.get("global", key, fallback="").split():
        path = value.removeprefix("file://")
        if path.startswith("/") and os.path.exists(path):
            # an index's pages link to files beside "simple/"
            folders.add(os.path.dirname(path) if os.path.basename(path) == "simple" else path)
for folder in sorted(folders):
    print(folder)
PY
}

main() {
    install_tools
    mkdir -p "$WORK"
    make_base

    local conf="$WORK/pip.conf" cert="$WORK/pip-cert.pem" volumes=() folder
    while read -r folder; do
        [[ -n "$folder" ]] && volumes+=(-v "$folder:$folder:ro")
    done < <(pip_config "$conf" "$cert")
    log "pip configuration passed to the build:"
    sed 's/^/    /' "$conf"

    # a snapshot of the working tree: both builds see the same files even while people edit
    # (the smoke stage then reuses the runtime stage's layers instead of rebuilding them)
    local context="$WORK/context"
    rm -rf "$context"
    mkdir -p "$context"
    tar -C "$REPO" --exclude=./.git --exclude=./.venv --exclude=./.mypy_cache \
        --exclude=./.hypothesis --exclude=__pycache__ -cf - . | tar -C "$context" -xf -

    local common=(--build-arg "BASE=$BASE_TAG" --secret "id=pipconf,src=$conf"
                  --secret "id=pipcert,src=$cert" "${volumes[@]}"
                  -f "$context/Dockerfile" "$context")
    log "building $TAG (target runtime)"
    local started=$SECONDS
    "${BUILD[@]}" "${CACHE[@]}" --target runtime -t "$TAG" "${common[@]}"
    local build_s=$((SECONDS - started))
    local size
    size=$("${PODMAN[@]}" image inspect --format '{{.Size}}' "$TAG")
    log "built $TAG in ${build_s} s; size $size bytes ($((size / 1000000)) MB)"

    log "building the smoke stage (runs the checks)"
    started=$SECONDS
    "${BUILD[@]}" --target smoke -t localhost/iqtibas-smoke:latest "${common[@]}"
    log "smoke stage passed in $((SECONDS - started)) s"
    "${PODMAN[@]}" rmi localhost/iqtibas-smoke:latest >/dev/null || true
    printf 'image %s\nbuild_seconds %d\nsize_bytes %d\n' "$TAG" "$build_s" "$size" \
        | tee "$WORK/result.txt"
}

main
