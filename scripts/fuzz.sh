#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/) with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer into build-fuzz/, and runs each for
# $PRIVMILTER_FUZZ_SECONDS seconds (default 60), two at a time, from seeds made
# of the test fixtures, the shipped policy and ../shared/corpus/ (when
# present). Fails on any crash, leak, timeout, out-of-memory or sanitizer
# report and prints how to reproduce it. Arguments name the targets to run
# (default: all five). docs/FUZZING.md.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${PRIVMILTER_FUZZ_BUILD_DIR:-build-fuzz}
seconds=${PRIVMILTER_FUZZ_SECONDS:-60}
parallel=${PRIVMILTER_FUZZ_PARALLEL:-$(nproc)}
corpus_dir=${PRIVMILTER_FUZZ_CORPUS:-../shared/corpus}
targets=(content_extraction_fuzzer policy_loader_fuzzer release_token_fuzzer milter_session_fuzzer milter_wire_fuzzer)
[ $# -gt 0 ] && targets=("$@")

# What one input may be: a message up to a few attachments, a policy folder,
# one header line, a conversation.
declare -A max_len=(
  [content_extraction_fuzzer]=262144
  [policy_loader_fuzzer]=32768
  [release_token_fuzzer]=4096
  [milter_session_fuzzer]=131072
  [milter_wire_fuzzer]=131072
)
declare -A dictionaries=(
  [content_extraction_fuzzer]="mime.dict"
  [policy_loader_fuzzer]="policy.dict"
  [release_token_fuzzer]="release_token.dict"
  [milter_session_fuzzer]="milter_session.dict mime.dict"
  [milter_wire_fuzzer]="mime.dict"
)

launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
# -O1 with line tables: fast enough to fuzz, quick to build, readable stacks.
cmake -S . -B "$build_dir" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only" "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only" \
  -DPRIVMILTER_FUZZ=ON -DPRIVMILTER_BUILD_TESTS=OFF -DPRIVMILTER_BUILD_BENCH=OFF \
  "${launcher[@]}" >/dev/null
build_targets=()
for target in "${targets[@]}"; do build_targets+=(--target "$target"); done
cmake --build "$build_dir" -j "$(nproc)" "${build_targets[@]}"

seeds="$build_dir/fuzz-seeds"
rm -rf "$seeds"
python3 tests/fuzz/make_seeds.py . "$seeds" "$corpus_dir"

# The targets' temporary folders (quarantine, spool, policy files) in
# memory when possible: they write and fsync on every input.
scratch=$(mktemp -d "$( [ -w /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}")/privmilter-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

run_target() {
  local target=$1
  local corpus="$build_dir/fuzz-corpus/$target"
  local artifacts="$build_dir/fuzz-artifacts/$target"
  local log="$build_dir/fuzz-logs/$target.log"
  local dictionary="$scratch/$target.dict"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")" "$scratch/$target"
  for file in ${dictionaries[$target]}; do cat "tests/fuzz/dictionaries/$file"; done >"$dictionary"
  # The first folder collects what the run finds (kept between local runs);
  # the seeds are only read. libFuzzer reports on stderr; what the libraries
  # print on stdout about broken input (libytnef does) is dropped.
  local status=0
  TMPDIR="$scratch/$target" "$build_dir/tests/fuzz/$target" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="${max_len[$target]}" \
    -dict="$dictionary" -artifact_prefix="$artifacts/" -print_final_stats=1 -close_fd_mask=1 \
    "$corpus" "$seeds/$target" >"$log" 2>&1 || status=$?
  echo "$status" >"$scratch/$target.status"
}

running=0
for target in "${targets[@]}"; do
  echo "fuzz: $target for ${seconds}s"
  run_target "$target" &
  running=$((running + 1))
  if [ "$running" -ge "$parallel" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait

failed=0
for target in "${targets[@]}"; do
  status=$(cat "$scratch/$target.status" 2>/dev/null || echo "no status")
  log="$build_dir/fuzz-logs/$target.log"
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ "$status" = 0 ]; then
    echo "fuzz: $target passed (${runs:-?} inputs)"
    continue
  fi
  failed=1
  reproducer=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
  echo "fuzz: $target FAILED (exit $status); log $log"
  grep -E "^(==[0-9]+==ERROR|SUMMARY|.*runtime error:|invariant broken:|ALARM:|==[0-9]+== ERROR)" "$log" | head -5 || true
  if [ -n "$reproducer" ]; then
    echo "fuzz: reproducer $reproducer"
    echo "fuzz: reproduce with $build_dir/tests/fuzz/$target $reproducer"
  else
    tail -20 "$log"
  fi
done
exit "$failed"
