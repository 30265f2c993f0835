#!/usr/bin/env bash
# Build the optional tfjs-node backend against the C library of a TensorFlow CPU wheel, for
# machines where tfjs-node's own installer cannot download libtensorflow (tensorflow/tfjs#8742).
#
#   scripts/tfjs-node-from-wheel.sh [path/to/tensorflow_cpu-*.whl]
#
# Without an argument it uses the first tensorflow_cpu wheel in $TF_WHEEL_DIR (default
# /opt/pypi/files). Needs: unzip, make, g++ and Node's headers (node-gyp). Run after `npm ci`.
# What it does:
#   1. installs @tensorflow/tfjs-node's files without running its installer (no download);
#   2. copies libtensorflow_cc.so.2 and libtensorflow_framework.so.2 and the C API headers from the
#      wheel into its deps/ (libtensorflow.so → libtensorflow_cc.so.2: the TF_ / TFE_ C API lives
#      in those two libraries in TensorFlow 2.x wheels);
#   3. compiles the N-API binding from source with node-pre-gyp / node-gyp.
# Afterwards `normbench backend` shows `tensorflow  loads  ← auto`. Nothing in package.json or
# package-lock.json changes; `npm ci` undoes it.
set -euo pipefail
cd "$(dirname "$0")/.."

wheel="${1:-}"
if [[ -z "$wheel" ]]; then
  wheel=$(ls "${TF_WHEEL_DIR:-/opt/pypi/files}"/tensorflow_cpu-*.whl 2>/dev/null | sort -V | tail -n 1 || true)
fi
if [[ -z "$wheel" || ! -f "$wheel" ]]; then
  echo "no TensorFlow CPU wheel found (give its path, or set TF_WHEEL_DIR)" >&2
  exit 2
fi
version=$(node -p "require('./package.json').optionalDependencies['@tensorflow/tfjs-node']")
echo "tfjs-node ${version} ← $(basename "$wheel")"

# 1. The package and its dependencies, without its install script.
npm install --no-save --ignore-scripts --no-audit --no-fund "@tensorflow/tfjs-node@${version}" >/dev/null
pkg=node_modules/@tensorflow/tfjs-node

# 2. libtensorflow from the wheel.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unzip -q -o "$wheel" 'tensorflow/libtensorflow_cc.so.2' 'tensorflow/libtensorflow_framework.so.2' \
  'tensorflow/include/tensorflow/c/*' 'tensorflow/include/tensorflow/core/platform/ctstring*' \
  'tensorflow/include/tsl/*' 'tensorflow/include/xla/tsl/c/*' -d "$tmp" 2>/dev/null || true
for lib in libtensorflow_cc.so.2 libtensorflow_framework.so.2; do
  [[ -f "$tmp/tensorflow/$lib" ]] || { echo "$wheel has no tensorflow/$lib" >&2; exit 2; }
done
rm -rf "$pkg/deps" && mkdir -p "$pkg/deps/lib" "$pkg/deps/include"
mv "$tmp/tensorflow/libtensorflow_cc.so.2" "$tmp/tensorflow/libtensorflow_framework.so.2" "$pkg/deps/lib/"
ln -s libtensorflow_cc.so.2 "$pkg/deps/lib/libtensorflow.so"
ln -s libtensorflow_framework.so.2 "$pkg/deps/lib/libtensorflow_framework.so"
cp -r "$tmp/tensorflow/include/." "$pkg/deps/include/"

# 3. The binding, from source.
nodedir=$(npm config get nodedir 2>/dev/null | grep -v '^undefined$' || true)
if ! (cd "$pkg" && ./node_modules/.bin/node-pre-gyp install --build-from-source ${nodedir:+--nodedir="$nodedir"}) >"$tmp/build.log" 2>&1; then
  tail -n 30 "$tmp/build.log" >&2
  echo "building the tfjs-node binding failed (log above)" >&2
  exit 1
fi

TF_CPP_MIN_LOG_LEVEL=2 node bin/run.js backend
