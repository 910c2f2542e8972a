#!/usr/bin/env bash
# Run the date-sensitive tests with the clock frozen on each of the given days (default: the
# days that break naive calendar arithmetic). "Date-sensitive" is found afresh each time: every
# test module that builds dates from today, and every folder whose fixtures do. Browser tests
# are left out (the browser's own clock is not frozen). See tests/clock.py.
set -euo pipefail
cd "$(dirname "$0")/.."
days=("$@")
[ ${#days[@]} -gt 0 ] || days=(2026-12-31 2027-02-28 2028-02-29 2027-07-31)
pattern='localdate\(\)|timezone\.now\(\)|date\.today\(\)|datetime\.now\(|localtime\(\)'
mapfile -t targets < <(
  grep -rlE "$pattern" tests --include='test_*.py' --include=conftest.py \
    | grep -v '^tests/browser/' | grep -v '^tests/conftest.py$' \
    | sed 's|/conftest.py$||' | sort -u
)
for day in "${days[@]}"; do
  echo "== the date-sensitive tests (${#targets[@]} modules and folders) as if today were $day"
  NYERI_TEST_CLOCK="$day" .venv/bin/pytest -q -m "not browser" "${targets[@]}"
done
