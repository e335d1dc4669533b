#!/usr/bin/env bash
# Makes the tests' container world ready where this machine allows it: a Docker engine (Debian's docker.io, started
# here when none answers) and a local image per test engine, made from the engine's binaries with `docker import`
# (nothing is pulled from a registry). Safe to re-run: a daemon that answers and an image built from the same
# binaries are reused. Prints what it did, then the world `npm test` will use.
# Exit 0: containers are ready. Exit 3: they are not (the reason is printed) and the tests will use processes.
# DOCKER_HOST=unix:///some/dir/docker.sock starts a private daemon whose state lives in /some/dir.
set -euo pipefail

ENGINES_DIR="${MIGRATE_ENGINES_DIR:-$HOME/.cache/upstash-elasticache-migrate/engines}"
# The harness's container world needs this image; the others are used where they exist.
BASE_IMAGE="migrate-test/redis:7.0"
# Bump when the image layout below changes, so existing images are rebuilt.
RECIPE=1

say() { echo "test-world: $*"; }
no_containers() {
  say "$1"
  say "world: processes (the tests start local server processes)"
  exit 3
}

docker_answers() { timeout 10 docker info >/dev/null 2>&1; }

install_docker() {
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    no_containers "no Docker engine, and installing one needs root and apt-get"
  fi
  say "installing Debian's docker.io"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq docker.io >/dev/null
}

start_daemon() {
  command -v dockerd >/dev/null || install_docker
  [ "$(id -u)" = 0 ] || no_containers "no Docker engine answers, and starting dockerd needs root"
  # --cgroup-parent=/: each container competes for CPU as one process would; under the default parent (docker) all
  # containers together get one share, and a busy machine starves the test servers.
  local args=(--storage-driver=vfs --iptables=false --ip-masq=false --bridge=none --cgroup-parent=/)
  local socket="${DOCKER_HOST:-unix:///var/run/docker.sock}" log
  socket="${socket#unix://}"
  if [ "$socket" = /var/run/docker.sock ]; then
    log=/var/log/migrate-test-dockerd.log
  else
    # A private daemon: its own socket, state and containerd, beside the socket.
    local dir
    dir="$(dirname "$socket")"
    mkdir -p "$dir"
    log="$dir/dockerd.log"
    args+=(-H "unix://$socket" --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/docker.pid")
  fi
  say "starting dockerd ${args[*]} (log: $log)"
  setsid nohup dockerd "${args[@]}" >>"$log" 2>&1 </dev/null &
  for _ in $(seq 1 60); do
    docker_answers && return 0
    sleep 0.5
  done
  no_containers "dockerd did not answer within 30 s; see $log"
}

# The shared libraries and loader a binary needs, as absolute paths.
libraries() { ldd "$@" 2>/dev/null | awk '/^\t/ { for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }' | sort -u; }

# build_image IMAGE SERVER CLI: a root filesystem with the two binaries (as /usr/local/bin/<name>), their libraries,
# the loader, /tmp and /etc/passwd, imported as IMAGE unless an image of the same binaries exists.
build_image() {
  local image="$1" server="$2" cli="$3" fingerprint existing rootfs lib
  fingerprint="$RECIPE-$(cat "$server" "$cli" | sha256sum | cut -c1-16)"
  existing="$(docker image inspect -f '{{index .Config.Labels "migrate-test.fingerprint"}}' "$image" 2>/dev/null || true)"
  if [ "$existing" = "$fingerprint" ]; then
    say "image $image: reused ($server)"
    return 0
  fi
  rootfs="$(mktemp -d)"
  mkdir -p "$rootfs/usr/local/bin" "$rootfs/etc" "$rootfs/tmp"
  chmod 1777 "$rootfs/tmp"
  cp -L "$server" "$rootfs/usr/local/bin/$(basename "$server")"
  cp -L "$cli" "$rootfs/usr/local/bin/$(basename "$cli")"
  for lib in $(libraries "$server" "$cli"); do
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n' >"$rootfs/etc/passwd"
  tar -C "$rootfs" -c . | docker import \
    --change "LABEL migrate-test.fingerprint=$fingerprint" \
    --change "CMD [\"/usr/local/bin/$(basename "$server")\"]" - "$image" >/dev/null
  rm -rf "$rootfs"
  say "image $image: built from $server ($(($(docker image inspect -f '{{.Size}}' "$image") / 1000000)) MB)"
}

if [ "${MIGRATE_TEST_WORLD:-}" = processes ]; then
  no_containers "MIGRATE_TEST_WORLD=processes"
fi
command -v docker >/dev/null || install_docker
if docker_answers; then
  say "a Docker engine answers ($(docker version -f '{{.Server.Version}}' 2>/dev/null))"
else
  start_daemon
  say "dockerd $(docker version -f '{{.Server.Version}}') answers"
fi

# Redis 7.0: Debian's package. Valkey 8.1, Redis 8.0, ...: <engines dir>/<product>-<version>/bin/<product>-server.
command -v redis-server >/dev/null || no_containers "redis-server is not installed: no binary for $BASE_IMAGE"
version="$(redis-server --version | grep -o 'v=[0-9]*\.[0-9]*' | cut -c3-)"
[ "migrate-test/redis:$version" = "$BASE_IMAGE" ] || no_containers "redis-server is $version, $BASE_IMAGE needs 7.0"
build_image "$BASE_IMAGE" "$(command -v redis-server)" "$(command -v redis-cli)"
for server in "$ENGINES_DIR"/*/bin/*-server; do
  [ -x "$server" ] || continue
  engine="$(basename "$(dirname "$(dirname "$server")")")" # e.g. valkey-8.1
  product="${engine%-*}"
  cli="$(dirname "$server")/$product-cli"
  [ "$server" = "$(dirname "$server")/$product-server" ] && [ -x "$cli" ] || continue
  build_image "migrate-test/$product:${engine##*-}" "$server" "$cli"
done

say "world: containers (Docker $(docker version -f '{{.Server.Version}}'), images: $(docker images --format '{{.Repository}}:{{.Tag}}' 'migrate-test/*' | sort | paste -sd ' '))"
