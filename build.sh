#!/usr/bin/env bash
# Builds bin/pot for this machine. CGO is off: PoT is pure Go (plus Go
# assembly) on every platform, so the same command cross-builds for macOS:
#   GOOS=darwin GOARCH=arm64 ./build.sh
# and, from any system, the macOS app bundle bin/PoT.app (universal
# arm64 + x86_64, ad-hoc signed slices, Info.plist, icons; see
# tools/macbundle):
#   ./build.sh --mac
set -euo pipefail
cd "$(dirname "$0")"
export CGO_ENABLED=0
# The commit, for toolchains that stamp no VCS information themselves
# (pot --version and every certificate record it).
ldflags=""
if commit=$(git rev-parse HEAD 2>/dev/null); then
  ldflags="-X github.com/proof-of-training/pot/internal/version.commit=$commit"
  if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
    ldflags="$ldflags -X github.com/proof-of-training/pot/internal/version.modified=true"
  fi
fi
if [ "${1:-}" = "--mac" ]; then
  root=$PWD
  for arch in arm64 amd64; do
    GOOS=darwin GOARCH=$arch go build -trimpath -ldflags "$ldflags" -o "bin/pot-darwin-$arch" ./app
  done
  (cd tools/macbundle && GOOS= GOARCH= go run . build -o "$root/bin/PoT.app" \
    -arm64 "$root/bin/pot-darwin-arm64" -amd64 "$root/bin/pot-darwin-amd64" \
    -plist "$root/Info.plist" -icons "$root/resources/icons")
  (cd tools/macbundle && GOOS= GOARCH= go run . check "$root/bin/PoT.app")
  exit 0
fi
out=bin/pot
if [ "${GOOS:-$(go env GOOS)}" != "$(go env GOHOSTOS)" ] || [ "${GOARCH:-$(go env GOARCH)}" != "$(go env GOHOSTARCH)" ]; then
  out="bin/pot-${GOOS:-$(go env GOOS)}-${GOARCH:-$(go env GOARCH)}"
fi
go build -trimpath -ldflags "$ldflags" -o "$out" ./app
echo "built $out"
