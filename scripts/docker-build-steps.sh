#!/usr/bin/env bash
# The build steps of every service image, one subcommand per Dockerfile RUN line. tools/deploy
# replays the same subcommands outside Docker, so what the test proves is what the image runs.
#
#   docker-build-steps.sh toolchain <dir>       pnpm (packageManager) and turbo (lockfile) from npm
#   docker-build-steps.sh toolchain-versions <dir> what `toolchain` installs, e.g. pnpm@10.34.8 turbo@2.11.11
#   docker-build-steps.sh prune <service> <out> turbo prune --docker: only the service's workspace
#   docker-build-steps.sh install               pnpm install --frozen-lockfile in the pruned workspace
#   (--prefer-offline: a warm store is used as it is; an empty one, as in a Docker build, fetches)
#   docker-build-steps.sh build <service>       generate and build the service and its dependencies
#   docker-build-steps.sh deploy <service> <out> the service with production dependencies only, from
#   the lockfile and the store `install` filled, without the network
set -euo pipefail
export TURBO_TELEMETRY_DISABLED=1

usage() {
  echo "usage: $0 toolchain <dir> | toolchain-versions <dir> | prune <service> <out> | install | build <service> | deploy <service> <out>" >&2
  exit 64
}

package_of() {
  [[ "${1:-}" =~ ^[a-z][a-z0-9-]*$ ]] || usage
  echo "@mercato/$1-service"
}

# The turbo version the root importer of the lockfile resolved, so `turbo prune` matches the
# `turbo run` that the pruned install brings along.
locked_turbo_version() {
  node --input-type=module -e '
    import { readFileSync } from "node:fs";
    const lock = readFileSync(process.argv[1], "utf8");
    const root = /^importers:\n\n?  \.:\n([\s\S]*?)\n(?:\n|  \S)/m.exec(lock)?.[1] ?? "";
    const version = /\n      turbo:\n        specifier: .*\n        version: (\S+)/.exec(root)?.[1];
    if (!version) throw new Error("the lockfile resolves no turbo for the workspace root");
    console.log(version);
  ' "$1"
}

package_manager() {
  node -p 'const pm = require(process.argv[1]).packageManager; if (!/^pnpm@\d+\.\d+\.\d+$/.test(pm)) throw new Error(`packageManager must pin pnpm, got ${pm}`); pm' "$1"
}

toolchain_versions() {
  [[ -n "${1:-}" ]] || usage
  local pnpm turbo
  pnpm="$(package_manager "$1/package.json")"
  turbo="$(locked_turbo_version "$1/pnpm-lock.yaml")"
  echo "$pnpm turbo@$turbo"
}

step="${1:-}"
case "$step" in
  toolchain)
    versions="$(toolchain_versions "${2:-}")"
    # shellcheck disable=SC2086 # two package specs, split on purpose
    npm install --global --no-fund --no-audit $versions
    ;;
  toolchain-versions)
    toolchain_versions "${2:-}"
    ;;
  prune)
    package="$(package_of "${2:-}")"
    out="${3:-}"
    [[ -n "$out" ]] || usage
    turbo prune "$package" --docker --out-dir "$out"
    ;;
  install)
    pnpm install --frozen-lockfile --prefer-offline
    ;;
  build)
    package="$(package_of "${2:-}")"
    pnpm exec turbo run build --filter="$package..."
    ;;
  deploy)
    package="$(package_of "${2:-}")"
    out="${3:-}"
    [[ -n "$out" ]] || usage
    # pnpm 10's deploy installs the lockfile's packages as they are (frozen), so it resolves
    # nothing and needs no registry. It requires inject-workspace-packages, given here only:
    # set for the workspace, every workspace package would be a copy in development too (edits
    # would need a re-install). Not --legacy: that re-resolves the whole graph, and asks the
    # registry for the other platforms' binaries of dev tools, which no install puts in the store.
    pnpm --filter "$package" deploy --prod --offline --config.inject-workspace-packages=true "$out"
    # The deploy's own lockfile lists every package of the workspace, development tools included,
    # and image scanners would report them; node_modules/.pnpm/lock.yaml lists what is installed.
    rm "$out/pnpm-lock.yaml"
    ;;
  *)
    usage
    ;;
esac
