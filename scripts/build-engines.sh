#!/usr/bin/env bash
# Builds the engines the tests run beside the Redis 7.0 on PATH (Valkey 8.1, Redis 8.0) from Debian trixie's source
# packages, and caches their binaries outside the repository, so every run and every clone reuses them.
# Usage: scripts/build-engines.sh [valkey-8.1] [redis-8.0]   (no name: all of them)
# Exits 0 even when an engine cannot be built (the tests then say which engine is missing); 2 on a usage error.
set -uo pipefail

readonly ENGINES_DIR="${MIGRATE_ENGINES_DIR:-$HOME/.cache/upstash-elasticache-migrate/engines}"
readonly ALL_ENGINES=(valkey-8.1 redis-8.0)
readonly SOURCES_FILE=/etc/apt/sources.list.d/debian-trixie-src.sources

# name -> Debian source package (also the binaries' prefix) and upstream release series (trixie: 8.1.1, 8.0.2)
package_of() { case "$1" in valkey-8.1) echo valkey ;; redis-8.0) echo redis ;; esac; }
series_of() { case "$1" in valkey-8.1) echo 8.1 ;; redis-8.0) echo 8.0 ;; esac; }

usage() {
  local IFS='|'
  echo "usage: $0 [${ALL_ENGINES[*]}]...   (no name: all of them)" >&2
  echo "builds into \${MIGRATE_ENGINES_DIR:-\$HOME/.cache/upstash-elasticache-migrate/engines}/<name>/bin" >&2
}

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo -n "$@"
  else echo "needs root for: $*" >&2; return 1
  fi
}

# apt may be busy (another build, another job): wait for its locks instead of failing.
apt_get() { as_root apt-get -o DPkg::Lock::Timeout=300 "$@"; }

is_cached() {
  local name=$1 bin="$ENGINES_DIR/$1/bin" prefix
  prefix=$(package_of "$name")
  [ -x "$bin/$prefix-server" ] && [ -x "$bin/$prefix-cli" ] &&
    "$bin/$prefix-server" --version 2>/dev/null | grep -qF "v=$(series_of "$name")."
}

# Debian's version of source package $1 whose upstream release is in series $2 (e.g. 5:8.0.2-3+deb13u3), if known.
debian_version() {
  apt-cache showsrc "$1" 2>/dev/null | sed -n 's/^Version: //p' | grep -E "^([0-9]+:)?${2//./\\.}\\." |
    sort -V | tail -n 1
}

# The source index must know trixie's packages; add a deb-src entry for trixie main if none exists.
ensure_sources() {
  if [ -z "$(debian_version "$1" "$2")" ]; then
    if ! grep -rqsE '^(deb-src .*trixie|Suites:.*trixie)' /etc/apt/sources.list /etc/apt/sources.list.d/ ||
      [ -f "$SOURCES_FILE" ]; then
      printf '%s\n' 'Types: deb-src' 'URIs: http://deb.debian.org/debian' 'Suites: trixie' 'Components: main' \
        'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' | as_root tee "$SOURCES_FILE" >/dev/null ||
        return 1
    fi
    # Only the source index of the new entry: faster, and leaves the machine's other lists as they were.
    apt_get update -qq -o Dir::Etc::SourceList="$SOURCES_FILE" -o Dir::Etc::SourceParts=- \
      -o APT::Get::List-Cleanup=0 >&2 || apt_get update -qq >&2 || return 1
  fi
  [ -n "$(debian_version "$1" "$2")" ]
}

ensure_build_deps() {
  if command -v cc >/dev/null && command -v make >/dev/null && command -v pkg-config >/dev/null &&
    pkg-config --exists openssl; then return 0; fi
  echo "installing build dependencies (gcc, make, pkg-config, libssl-dev)" >&2
  DEBIAN_FRONTEND=noninteractive apt_get install -y -qq --no-install-recommends gcc make pkg-config libssl-dev \
    libc6-dev >&2
}

# Prints why on stdout when it fails; the build's own output goes to $log.
build() {
  local name=$1 work=$2 log=$3 package series version tarball src
  package=$(package_of "$name") series=$(series_of "$name")
  ensure_build_deps >>"$log" 2>&1 || { echo "no C toolchain or libssl-dev, and cannot install them"; return 1; }
  ensure_sources "$package" "$series" >>"$log" 2>&1 ||
    { echo "Debian trixie's source index has no $package $series.x (unreachable?)"; return 1; }
  version=$(debian_version "$package" "$series")
  # Only the upstream .orig tarball is needed; the Debian diff may fail to download, which is fine.
  (cd "$work" && apt-get source --download-only "$package=$version" >>"$log" 2>&1)
  tarball=$(find "$work" -maxdepth 1 -name "${package}_*.orig.tar.*" | head -n 1)
  [ -n "$tarball" ] || { echo "apt-get source did not download the $package $version .orig tarball"; return 1; }
  tar -xf "$tarball" -C "$work" >>"$log" 2>&1 || { echo "cannot unpack $(basename "$tarball")"; return 1; }
  src=$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -n 1)
  make -C "$src" -j2 BUILD_TLS=yes >>"$log" 2>&1 || { echo "make failed (see $log)"; return 1; }
  # Into a staging folder first, so a half-copied engine never looks cached.
  local staging="$ENGINES_DIR/$name.tmp.$$"
  mkdir -p "$staging/bin" && cp "$src/src/$package-server" "$src/src/$package-cli" "$staging/bin/" &&
    rm -rf "${ENGINES_DIR:?}/$name" && mv "$staging" "$ENGINES_DIR/$name" ||
    { rm -rf "$staging"; echo "cannot install into $ENGINES_DIR/$name"; return 1; }
}

build_one() {
  local name=$1 work log started why
  if is_cached "$name"; then echo "$name: cached ($ENGINES_DIR/$name/bin)"; return; fi
  log="$ENGINES_DIR/$name.build.log"
  if ! work=$(mktemp -d "${TMPDIR:-/tmp}/build-engine-$name.XXXXXX" 2>/dev/null); then
    echo "$name: cannot build: cannot create a temp folder in ${TMPDIR:-/tmp}"
    return
  fi
  : >"$log"
  started=$SECONDS
  if why=$(build "$name" "$work" "$log"); then
    echo "$name: built in $((SECONDS - started)) s ($ENGINES_DIR/$name/bin)"
    rm -f "$log"
  else
    echo "$name: cannot build: $why"
  fi
  rm -rf "$work"
}

names=()
for arg in "$@"; do
  case "$arg" in
    -h | --help) usage; exit 0 ;;
    valkey-8.1 | redis-8.0) names+=("$arg") ;;
    *) echo "$0: unknown engine '$arg'" >&2; usage; exit 2 ;;
  esac
done
[ ${#names[@]} -gt 0 ] || names=("${ALL_ENGINES[@]}")

if ! mkdir -p "$ENGINES_DIR" 2>/dev/null || ! [ -w "$ENGINES_DIR" ]; then
  for name in "${names[@]}"; do echo "$name: cannot build: cannot write to $ENGINES_DIR"; done
  exit 0
fi
# One build at a time per cache (CI and a developer, or two worktrees): the second waits, then finds it cached.
exec 9>"$ENGINES_DIR/.lock"
flock 9 2>/dev/null || true
for name in "${names[@]}"; do build_one "$name"; done
exit 0
