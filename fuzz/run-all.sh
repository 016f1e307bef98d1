#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 600) one after another, on one
# core, and appends libFuzzer's final stats to fuzz/RESULTS.log.
# Needs nightly and cargo-fuzz: rustup toolchain install nightly; cargo install cargo-fuzz
set -uo pipefail
cd "$(dirname "$0")"
secs=${1:-600}
shift || true
targets=${*:-yaml json nginx pipeline schema}
for t in $targets; do
  dict=""
  case $t in
    yaml|pipeline|schema) dict="-dict=dict/yaml.dict" ;;
    json) dict="-dict=dict/json.dict" ;;
    nginx) dict="-dict=dict/nginx.dict" ;;
  esac
  mkdir -p corpus/$t artifacts/$t
  log=/tmp/fuzz-$t.log
  # New inputs go to corpus/$t (not kept in git); the saved inputs in
  # testdata/fuzz/$t seed every run, so a fresh machine does not start from
  # nothing.
  cargo +nightly fuzz run -O $t corpus/$t ../testdata/fuzz/$t -- -max_total_time=$secs -timeout=10 \
    -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 $dict \
    -artifact_prefix=artifacts/$t/ > "$log" 2>&1
  rc=$?
  {
    echo "== $t $(date -u +%FT%TZ) ${secs}s rc=$rc"
    grep -E "stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb|cov: .*(DONE|ft:)" "$log" | tail -4
    grep -E "ERROR|panicked|SUMMARY" "$log" | head -5
    ls artifacts/$t
  } >> RESULTS.log
done
