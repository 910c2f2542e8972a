#!/usr/bin/env bash
# System packages the test suite needs: GNU gettext (translation check) and Debian's
# Chromium (browser tests). Installed with apt-get when missing and we are root;
# otherwise we say what is missing and stop.
set -euo pipefail
missing=()
command -v xgettext >/dev/null 2>&1 || missing+=(gettext)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "Missing system packages: ${missing[*]}. Install them (e.g. sudo apt-get install ${missing[*]}) and re-run." >&2
  exit 1
fi
