#!/usr/bin/env bash
# Runs every test on a bare machine: installs the components the end-to-end tests use
# (idempotently; nothing happens when they are there), then format, lint and the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."

# Reuse one target directory outside the clone, so unchanged crates are not rebuilt.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/victor-observability/target}"

# Debian packages: binary -> package.
declare -A components=([prometheus]=prometheus [promtool]=prometheus
  [prometheus-alertmanager]=prometheus-alertmanager [amtool]=prometheus-alertmanager)
missing=()
for binary in "${!components[@]}"; do
  command -v "$binary" >/dev/null 2>&1 || missing+=("${components[$binary]}")
done
if ((${#missing[@]})); then
  packages=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
  echo "scripts/test.sh: installing $packages" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  # shellcheck disable=SC2086 # one word per package
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $packages >/dev/null
fi

# PyPI: the SMTP server the email test delivers to.
if ! python3 -c 'import aiosmtpd' 2>/dev/null; then
  echo "scripts/test.sh: installing aiosmtpd (PyPI)" >&2
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore aiosmtpd
fi

cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
