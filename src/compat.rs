//! What differs between the Rubies socket_rs supports (3.1, 3.3, 3.4, 4.0): each
//! follows the stock extension of the Ruby it runs on. The running Ruby's
//! version is read once at load; every behaviour switch is named here, so
//! a grep for `compat::` finds them all.

use std::sync::atomic::{AtomicU32, Ordering};

/// major * 100 + minor of the running Ruby (301, 303, 304).
static VERSION: AtomicU32 = AtomicU32::new(0);

/// Records the running Ruby's version; called once from the library's init.
pub fn init(ruby_version: &str) {
    VERSION.store(parse(ruby_version), Ordering::Relaxed);
}

/// "3.4.5" -> 304.
fn parse(ruby_version: &str) -> u32 {
    let mut parts = ruby_version
        .split('.')
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    major * 100 + minor
}

/// major * 100 + minor of the running Ruby; 0 before `init` (cargo test).
pub fn version() -> u32 {
    VERSION.load(Ordering::Relaxed)
}

fn at_least(major: u32, minor: u32) -> bool {
    version() >= major * 100 + minor
}

/// 3.2+: IO::TimeoutError exists; Ruby 4.0's open_timeout raises it.
pub fn has_io_timeout_error() -> bool {
    at_least(3, 2)
}

/// 3.3+: recv, recvfrom, recvmsg and their _nonblock forms return nil at
/// end of stream (a 0-byte read on a socket that is not SOCK_DGRAM).
pub fn nil_at_end_of_stream() -> bool {
    at_least(3, 3)
}

/// 3.3+: a connect that TCPSocket.new gave up on (connect_timeout) raises
/// IO::TimeoutError instead of Errno::ETIMEDOUT.
pub fn connect_timeout_is_io_timeout() -> bool {
    at_least(3, 3)
}

/// 3.4+: TCPSocket.new has Happy Eyeballs of its own; before, socket_rs's
/// words a connect_timeout as the running Ruby's sequential TCPSocket does.
pub fn tcp_socket_fast_fallback() -> bool {
    at_least(3, 4)
}

/// 3.4+: a connect waits under the socket's IO#timeout too, and a connect
/// that times out raises IO::TimeoutError "Connect timed out!".
pub fn connect_honours_io_timeout() -> bool {
    at_least(3, 4)
}

/// 3.4+: TCPSocket.new's own Happy Eyeballs words a resolution failure
/// "getaddrinfo(3): ..." (Addrinfo.getaddrinfo and older Rubies:
/// "getaddrinfo: ...").
pub fn tcp_socket_resolution_reason() -> &'static str {
    if at_least(3, 4) {
        "getaddrinfo(3)"
    } else {
        "getaddrinfo"
    }
}

/// 3.4+: IPSocket#addr/#peeraddr check their reverse_lookup argument
/// before the stream (a closed socket with a bad flag: TypeError, not
/// IOError).
pub fn addr_checks_flag_first() -> bool {
    at_least(3, 4)
}

/// 3.4+: Socket.tcp asks its host `match?` (lib/socket.rb's ip_address?)
/// before anything else, so a host without that method is a NoMethodError;
/// before 3.4 a host that is not a String reaches Addrinfo.getaddrinfo,
/// which raises its TypeError or RangeError (or takes an Integer as a
/// packed IPv4 address). lib/socket_rs/tcp.rb reads it as
/// SocketRs::TCP_HOST_MATCHED.
pub fn tcp_host_matched() -> bool {
    at_least(3, 4)
}

/// 4.0+: a timeout names what it was for. A connect that times out raises
/// IO::TimeoutError "user specified timeout for 127.0.0.1:80" (3.4:
/// "Connect timed out!"), a lookup "user specified timeout for localhost
/// port 80"; Socket.tcp's Happy Eyeballs raises IO::TimeoutError "user
/// specified timeout for localhost:80" and Addrinfo#connect Errno::ETIMEDOUT
/// "user specified timeout for 127.0.0.1:80" (before: Errno::ETIMEDOUT
/// "user specified timeout"). lib/ reads it as SocketRs::TIMEOUTS_NAME_PLACE.
pub fn timeouts_name_the_place() -> bool {
    at_least(4, 0)
}

/// 4.0+: Addrinfo.getaddrinfo's `timeout:` is checked (negative: ArgumentError)
/// and holds for every lookup that is not numeric, even one /etc/hosts
/// answers (0 seconds passes at once); before, a zero or negative one means
/// none.
pub fn lookup_timeout_enforced() -> bool {
    at_least(4, 0)
}

/// 4.0+: Socket.tcp_with_fast_fallback is private. lib/ reads it as
/// SocketRs::TCP_WITH_FAST_FALLBACK_PRIVATE.
pub fn tcp_with_fast_fallback_private() -> bool {
    at_least(4, 0)
}

/// 4.0+: Socket.unix_server_socket tells an abstract name by `empty?` and
/// `start_with?("\0")` (a path with invalid bytes passes; a non-String is a
/// NoMethodError), before by a Regexp match (ArgumentError, TypeError).
/// lib/ reads it as SocketRs::ABSTRACT_NAME_BY_PREFIX.
pub fn abstract_name_by_prefix() -> bool {
    at_least(4, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_by_minor() {
        assert_eq!(parse("3.3.8"), 303);
        assert_eq!(parse("3.4.0-preview1"), 304);
        assert_eq!(parse("3.10.1"), 310);
        assert!(parse("3.1.2") < parse("3.3.0"));
    }
}
