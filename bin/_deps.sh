# shellcheck shell=bash
# Installs what the project needs, only when missing. Sourced by bin/setup,
# bin/test and .ci/run.

DEBIAN_PACKAGES=(ruby ruby-dev libclang-dev rake rake-compiler ruby-minitest ruby-test-unit)
# Real peers and client libraries for test/integration/ (servers are started
# by the tests themselves, on loopback); ip(8) for test/support/netns;
# valgrind for `rake valgrind`.
INTEGRATION_PACKAGES=(ruby-webrick redis-server memcached ruby-redis ruby-dalli ruby-async openssl strace
                      iproute2 valgrind)

ensure_deps() {
  local missing=()
  for p in "${DEBIAN_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  if ! command -v cargo >/dev/null 2>&1; then
    [ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
  fi
  command -v cargo >/dev/null 2>&1 || { echo "cargo is required (rustup)"; exit 1; }
}
