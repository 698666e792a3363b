#!/usr/bin/env bash
# Builds bin/pot for this machine. CGO is off: PoT is pure Go (plus Go
# assembly) on every platform, so the same command cross-builds for macOS:
#   GOOS=darwin GOARCH=arm64 ./build.sh
set -euo pipefail
cd "$(dirname "$0")"
export CGO_ENABLED=0
out=bin/pot
if [ "${GOOS:-$(go env GOOS)}" != "$(go env GOHOSTOS)" ] || [ "${GOARCH:-$(go env GOARCH)}" != "$(go env GOHOSTARCH)" ]; then
  out="bin/pot-${GOOS:-$(go env GOOS)}-${GOARCH:-$(go env GOARCH)}"
fi
# The commit, for toolchains that stamp no VCS information themselves
# (pot --version and every certificate record it).
ldflags=""
if commit=$(git rev-parse HEAD 2>/dev/null); then
  ldflags="-X github.com/proof-of-training/pot/internal/version.commit=$commit"
  if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
    ldflags="$ldflags -X github.com/proof-of-training/pot/internal/version.modified=true"
  fi
fi
go build -trimpath -ldflags "$ldflags" -o "$out" ./app
echo "built $out"
