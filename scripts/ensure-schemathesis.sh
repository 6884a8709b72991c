#!/usr/bin/env bash
# Installs the pinned Schemathesis (the gateway's API fuzzing suite runs it) into .venv-tools at the
# repository root. Idempotent: does nothing when the pinned version is already there.
set -euo pipefail
SCHEMATHESIS_VERSION=4.32.5
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv-tools"
if [[ -x "$venv/bin/schemathesis" ]] &&
  [[ "$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("schemathesis"))' 2>/dev/null)" == "$SCHEMATHESIS_VERSION" ]]; then
  exit 0
fi
echo "ensure-schemathesis: installing schemathesis $SCHEMATHESIS_VERSION into $venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
