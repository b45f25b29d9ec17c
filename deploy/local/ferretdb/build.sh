#!/usr/bin/env bash
# Builds FerretDB from its Go module (the proxy serves the source, not a binary).
# `go install …/cmd/ferretdb@v1.24.x` alone fails twice here: the proxy refuses the module's
# version list (needed for the deprecation check) and the module zip lacks
# build/version/version.txt, which FerretDB's init() insists on. So: download the pinned module,
# copy it, write the version file, build.
set -euo pipefail
version="$1" out="$2" work="$3"
dir=$(go mod download -json "github.com/FerretDB/FerretDB@${version}" \
      | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -n "$dir" ] || { echo "could not download FerretDB ${version} from the Go module proxy" >&2; exit 1; }
rm -rf "$work" && mkdir -p "$(dirname "$work")" && cp -r "$dir" "$work" && chmod -R u+w "$work"
echo "$version" > "$work/build/version/version.txt"
(cd "$work" && CGO_ENABLED=0 go build -trimpath -o "$out" ./cmd/ferretdb)
rm -rf "$work"
