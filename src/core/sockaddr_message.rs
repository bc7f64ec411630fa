//! The address part of stock's system-call error messages
//! (`connect(2) for 127.0.0.1:1`): rsock_inspect_sockaddr over raw sockaddr
//! bytes, which may be short, oversized or of any family.

fn u16_be(bytes: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([byte(bytes, at), byte(bytes, at + 1)])
}

/// A byte of the sockaddr, 0 past its end (stock reads a zeroed buffer).
fn byte(bytes: &[u8], at: usize) -> u8 {
    bytes.get(at).copied().unwrap_or(0)
}

/// The address as stock names it in error messages (`connect(2) for X`):
/// stock formats it with rsock_addrinfo_inspect_sockaddr, the text of
/// Addrinfo#inspect_sockaddr, so this is core::sockaddr::inspect.
pub fn describe(addr: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    if crate::core::sockaddr::inspect(addr, &mut out).is_err() {
        // Unreachable in practice: numeric formatting does not fail.
        out.clear();
        out.extend_from_slice(b"?");
    }
    out
}

fn sockaddr_in(port: u16, ip: [u8; 4]) -> Vec<u8> {
    let mut v = (libc::AF_INET as u16).to_ne_bytes().to_vec();
    v.extend_from_slice(&port.to_be_bytes());
    v.extend_from_slice(&ip);
    v.extend_from_slice(&[0; 8]);
    v
}

fn sockaddr_in6(port: u16, ip: [u8; 16]) -> Vec<u8> {
    let mut v = (libc::AF_INET6 as u16).to_ne_bytes().to_vec();
    v.extend_from_slice(&port.to_be_bytes());
    v.extend_from_slice(&[0; 4]);
    v.extend_from_slice(&ip);
    v.extend_from_slice(&[0; 4]);
    v
}

/// stock's BasicSocket#connect_address over the local sockaddr: an
/// unspecified IP address becomes loopback (as a fresh sockaddr, the way
/// Addrinfo.new([...]) builds it); an unbound socket is an error message for
/// SocketError.
pub fn connect_address(addr: &[u8]) -> Result<Vec<u8>, &'static str> {
    match crate::core::sockaddr::family(addr) {
        libc::AF_INET if addr.len() >= 8 => {
            let port = u16_be(addr, 2);
            if port == 0 {
                return Err("unbound IPv4 socket");
            }
            if addr[4..8] == [0, 0, 0, 0] {
                return Ok(sockaddr_in(port, [127, 0, 0, 1]));
            }
            Ok(addr.to_vec())
        }
        libc::AF_INET6 if addr.len() >= 24 => {
            let port = u16_be(addr, 2);
            if port == 0 {
                return Err("unbound IPv6 socket");
            }
            let ip = &addr[8..24];
            let mapped_any = {
                let mut m = [0u8; 16];
                m[10] = 0xff;
                m[11] = 0xff;
                m
            };
            if ip == [0u8; 16] || ip == mapped_any {
                let mut lo = [0u8; 16];
                lo[15] = 1;
                return Ok(sockaddr_in6(port, lo));
            }
            Ok(addr.to_vec())
        }
        libc::AF_UNIX => {
            if addr[2..].iter().all(|&b| b == 0) {
                return Err("unbound Unix socket");
            }
            Ok(addr.to_vec())
        }
        _ => Ok(addr.to_vec()),
    }
}

/// A path as stock shows it after "connect(2) for ": printable ASCII as is,
/// NUL as `\0`, control characters as `\n`-style or `\uXXXX` escapes
/// (`\xNN` for bytes that are not valid UTF-8 or when `utf8` is false),
/// other characters of a UTF-8 path as `\uXXXX`.
pub fn escape_for_message(path: &[u8], utf8: bool) -> String {
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(&b) = rest.first() {
        let (ch, used) = if utf8 {
            match decode_utf8(rest) {
                Some((c, n)) => (Some(c), n),
                None => (None, 1),
            }
        } else if b < 0x80 {
            (Some(b as char), 1)
        } else {
            (None, 1)
        };
        match ch {
            None => out.push_str(&format!("\\x{b:02X}")),
            Some('\0') => out.push_str("\\0"),
            Some('\n') => out.push_str("\\n"),
            Some('\r') => out.push_str("\\r"),
            Some('\t') => out.push_str("\\t"),
            Some('\x0c') => out.push_str("\\f"),
            Some('\x0b') => out.push_str("\\v"),
            Some('\x08') => out.push_str("\\b"),
            Some('\x07') => out.push_str("\\a"),
            Some('\x1b') => out.push_str("\\e"),
            Some(c) if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            Some(c) if !utf8 => out.push_str(&format!("\\x{:02X}", c as u32)),
            Some(c) if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04X}", c as u32)),
            Some(c) => out.push_str(&format!("\\u{{{:X}}}", c as u32)),
        }
        rest = &rest[used..];
    }
    out
}

/// The first UTF-8 character of `bytes` and its length, if valid.
fn decode_utf8(bytes: &[u8]) -> Option<(char, usize)> {
    let len = match bytes[0] {
        0x00..=0x7f => 1,
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return None,
    };
    let s = std::str::from_utf8(bytes.get(..len)?).ok()?;
    s.chars().next().map(|c| (c, len))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(addr: &[u8]) -> String {
        String::from_utf8(describe(addr)).unwrap()
    }

    fn sin(port: u16, ip: [u8; 4]) -> Vec<u8> {
        let mut v = (libc::AF_INET as u16).to_ne_bytes().to_vec();
        v.extend_from_slice(&port.to_be_bytes());
        v.extend_from_slice(&ip);
        v.extend_from_slice(&[0; 8]);
        v
    }

    #[test]
    fn ipv4() {
        assert_eq!(d(&sin(1, [127, 0, 0, 1])), "127.0.0.1:1");
        assert_eq!(d(&sin(0, [127, 0, 0, 1])), "127.0.0.1");
        assert_eq!(
            d(&sin(1, [127, 0, 0, 1])[..6]),
            "127.0.?.?:1 (6 bytes for 16 bytes sockaddr_in)"
        );
        assert_eq!(
            d(&sin(1, [1, 2, 3, 4])[..4]),
            "?.?.?.?:? (4 bytes for 16 bytes sockaddr_in)"
        );
        let mut long = sin(1, [127, 0, 0, 1]);
        long.push(0);
        assert_eq!(d(&long), "127.0.0.1:1 (17 bytes for 16 bytes sockaddr_in)");
    }

    #[test]
    fn ipv6() {
        let mut v = (libc::AF_INET6 as u16).to_ne_bytes().to_vec();
        v.extend_from_slice(&1u16.to_be_bytes());
        v.extend_from_slice(&[0; 4]);
        let mut ip = [0u8; 16];
        ip[15] = 1;
        v.extend_from_slice(&ip);
        v.extend_from_slice(&[0; 4]);
        assert_eq!(d(&v), "[::1]:1");
        v[3] = 0;
        assert_eq!(d(&v), "::1");
        assert_eq!(d(&v[..24]), "too-short-AF_INET6-sockaddr 24 bytes");
        v.push(0);
        assert_eq!(d(&v), "::1(sockaddr 1 bytes too long)");
    }

    #[test]
    fn unix_paths() {
        assert_eq!(d(b"\x01\x00/tmp/x\0\0"), "/tmp/x");
        assert_eq!(d(b"\x01\x00rel"), "UNIX rel");
        assert_eq!(d(b"\x01\x00a b"), "UNIX:61:20:62");
        assert_eq!(d(b"\x01\x00\0abs"), "UNIX:00:61:62:73");
        assert_eq!(d(b"\x01\x00"), "empty-path-AF_UNIX-sockaddr");
    }

    #[test]
    fn connect_addresses() {
        assert_eq!(
            connect_address(&sin(80, [0, 0, 0, 0])),
            Ok(sin(80, [127, 0, 0, 1]))
        );
        assert_eq!(
            connect_address(&sin(80, [10, 0, 0, 1])),
            Ok(sin(80, [10, 0, 0, 1]))
        );
        assert_eq!(
            connect_address(&sin(0, [127, 0, 0, 1])),
            Err("unbound IPv4 socket")
        );
        let any6 = sockaddr_in6(5, [0; 16]);
        let mut lo = [0u8; 16];
        lo[15] = 1;
        assert_eq!(connect_address(&any6), Ok(sockaddr_in6(5, lo)));
        assert_eq!(
            connect_address(&sockaddr_in6(0, lo)),
            Err("unbound IPv6 socket")
        );
        assert_eq!(connect_address(b"\x01\x00"), Err("unbound Unix socket"));
        assert_eq!(connect_address(b"\x01\x00/x"), Ok(b"\x01\x00/x".to_vec()));
        assert_eq!(crate::core::sockaddr::family(b"\x01"), libc::AF_UNSPEC);
    }

    #[test]
    fn odd_ones() {
        assert_eq!(d(b""), "empty-sockaddr");
        assert_eq!(d(b"\x01"), "too-short-sockaddr");
        assert_eq!(d(b"\x00\x00"), "UNSPEC");
        assert_eq!(d(b"\x10\x00abc"), "AF_ROUTE address format unknown");
        assert_eq!(d(b"\x63\x00"), "unknown address family 99");
        assert_eq!(
            d(b"\x11\x00\x08\x00"),
            "PACKET[protocol=2048  (4 bytes for 20 bytes sockaddr_ll)]"
        );
        assert_eq!(
            d(&[17, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            "PACKET[protocol=0 ifindex=0 hatype=0 HOST halen=0 hwaddr (20 bytes for 20 bytes sockaddr_ll)]"
        );
    }

    #[test]
    fn escapes_unix_paths_like_stock() {
        assert_eq!(
            escape_for_message(b"/tmp/sp ace\"q.sock", true),
            "/tmp/sp ace\"q.sock"
        );
        assert_eq!(escape_for_message(b"\0a\0b", true), "\\0a\\0b");
        assert_eq!(
            escape_for_message(b"\0a\x01b\n\"c\\d", true),
            "\\0a\\u0001b\\n\"c\\d"
        );
        assert_eq!(escape_for_message("\0hé".as_bytes(), true), "\\0h\\u00E9");
        assert_eq!(
            escape_for_message("\0hé".as_bytes(), false),
            "\\0h\\xC3\\xA9"
        );
        assert_eq!(escape_for_message(b"\xff", true), "\\xFF");
    }

    /// xorshift: deterministic "random" inputs without a dependency.
    fn next(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    #[test]
    fn random_sockaddrs_never_panic() {
        let mut st = 0x9e37_79b9_7f4a_7c15u64;
        let families = [0u16, 1, 2, 10, 17, 99, 0xffff];
        for _ in 0..30_000 {
            let len = (next(&mut st) % 140) as usize;
            let mut v: Vec<u8> = (0..len).map(|_| next(&mut st) as u8).collect();
            if len >= 2 && !next(&mut st).is_multiple_of(4) {
                let f = families[(next(&mut st) % families.len() as u64) as usize];
                v[..2].copy_from_slice(&f.to_ne_bytes());
            }
            let _ = describe(&v);
            let _ = crate::core::sockaddr::family(&v);
            let _ = connect_address(&v);
        }
    }
}
