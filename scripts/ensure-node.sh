#!/usr/bin/env bash
# Source this file: it puts Node.js 24 (from the npm registry's `node@24` package, the official
# binary) and the pinned pnpm on PATH when the machine's own node is older. Idempotent and cached.
_mercato_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_mercato_major="$(tr -d '[:space:]' < "$_mercato_root/.node-version")"
_mercato_pnpm="$(sed -n 's/.*"packageManager": *"pnpm@\([^"]*\)".*/\1/p' "$_mercato_root/package.json")"
_mercato_tools="${MERCATO_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mercato/tools}"

if ! node -e "process.exit(+process.versions.node.split('.')[0] === $_mercato_major ? 0 : 1)" 2>/dev/null; then
  _mercato_node_dir="$_mercato_tools/node$_mercato_major"
  if [ ! -x "$_mercato_node_dir/node_modules/.bin/node" ]; then
    echo "ensure-node: installing node@$_mercato_major from the npm registry into $_mercato_node_dir" >&2
    npm install --silent --no-audit --no-fund --prefix "$_mercato_node_dir" "node@$_mercato_major" >&2
  fi
  export PATH="$_mercato_node_dir/node_modules/.bin:$PATH"
fi
if [ "$(pnpm --version 2>/dev/null)" != "$_mercato_pnpm" ]; then
  _mercato_pnpm_dir="$_mercato_tools/pnpm-$_mercato_pnpm"
  if [ ! -x "$_mercato_pnpm_dir/node_modules/.bin/pnpm" ]; then
    echo "ensure-node: installing pnpm@$_mercato_pnpm from the npm registry into $_mercato_pnpm_dir" >&2
    npm install --silent --no-audit --no-fund --prefix "$_mercato_pnpm_dir" "pnpm@$_mercato_pnpm" >&2
  fi
  export PATH="$_mercato_pnpm_dir/node_modules/.bin:$PATH"
fi
unset _mercato_root _mercato_major _mercato_pnpm _mercato_tools _mercato_node_dir _mercato_pnpm_dir
