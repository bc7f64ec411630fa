# shellcheck shell=bash
# What bin/rubies and bin/cross share: the cache outside the work tree, and
# the machine's own Debian source, read from /etc/apt (no host name is
# written in this repository).

socket_rs_cache() {
  if [ -n "${SOCKET_RS_CACHE:-}" ]; then echo "$SOCKET_RS_CACHE"
  elif [ "$(id -u)" -eq 0 ]; then echo /var/cache/socket_rs
  else echo "$HOME/.cache/socket_rs"; fi
}

# The URI of the machine's Debian archive; with "security", of its security
# archive (empty when it has none).
debian_uri() {
  local want="/debian/?\$" f uri
  [ "${1:-}" = security ] && want="-security/?\$"
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    uri=$(awk -v want="$want" '/^URIs:/ {u=$2} /^Suites:/ && u ~ want {print u; exit}' "$f")
    [ -n "$uri" ] && { echo "$uri"; return; }
  done
  uri=$(awk -v want="$want" '$1 == "deb" && $2 ~ want {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  if [ -z "$uri" ] && [ "${1:-}" != security ]; then
    echo "no Debian source found in /etc/apt" >&2; exit 1
  fi
  echo "$uri"
}
