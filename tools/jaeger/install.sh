#!/usr/bin/env bash
# Builds Jaeger v2 — the release pinned in tools/jaeger/go.mod (module v1.75.0 = Jaeger v2.12.0) —
# into .mercato/bin/jaeger, where `pnpm start` looks for a trace backend. Everything comes from the
# Go module proxy; the first build takes about 6 minutes on two cores, later ones seconds.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
target="$here/../../.mercato/bin"
if ! command -v go >/dev/null; then
  echo "jaeger:install needs Go 1.26 or newer (https://go.dev/doc/install, or your package manager)" >&2
  exit 1
fi
mkdir -p "$target"
cd "$here"
go build -trimpath -ldflags '-s -w' -o "$target/jaeger" github.com/jaegertracing/jaeger/cmd/jaeger
echo "built $(cd "$target" && pwd)/jaeger — pnpm start runs it"
