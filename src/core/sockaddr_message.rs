//! The address part of stock's system-call error messages
//! (`connect(2) for 127.0.0.1:1`): rsock_inspect_sockaddr over raw sockaddr
//! bytes, which may be short, oversized or of any family.

use super::constants::{self, Category};

fn u16_be(bytes: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([byte(bytes, at), byte(bytes, at + 1)])
}

/// A byte of the sockaddr, 0 past its end (stock reads a zeroed buffer).
fn byte(bytes: &[u8], at: usize) -> u8 {
    bytes.get(at).copied().unwrap_or(0)
}

/// Describes a packed sockaddr as stock does in error messages and
/// Addrinfo#inspect_sockaddr. Returns bytes: UNIX paths are copied verbatim.
pub fn describe(addr: &[u8]) -> Vec<u8> {
    if addr.is_empty() {
        return b"empty-sockaddr".to_vec();
    }
    if addr.len() < 2 {
        return b"too-short-sockaddr".to_vec();
    }
    let family = u16::from_ne_bytes([addr[0], addr[1]]) as i32;
    match family {
        libc::AF_UNSPEC => b"UNSPEC".to_vec(),
        libc::AF_INET => inet(addr).into_bytes(),
        libc::AF_INET6 => inet6(addr).into_bytes(),
        libc::AF_UNIX => unix(addr),
        libc::AF_PACKET => packet(addr).into_bytes(),
        _ => match constants::int_to_name(Category::Family, family as i64) {
            Some(name) => format!("{name} address format unknown").into_bytes(),
            None => format!("unknown address family {family}").into_bytes(),
        },
    }
}

const SOCKADDR_IN_LEN: usize = 16;
const SOCKADDR_IN6_LEN: usize = 28;
const SOCKADDR_LL_LEN: usize = 20;

fn inet(addr: &[u8]) -> String {
    let mut out = String::new();
    for i in 0..4 {
        let sep = if i == 0 { "" } else { "." };
        // sin_addr starts at offset 4.
        if 4 + i < addr.len() {
            out.push_str(&format!("{sep}{}", addr[4 + i]));
        } else {
            out.push_str(&format!("{sep}?"));
        }
    }
    if 4 < addr.len() {
        let port = u16_be(addr, 2);
        if port != 0 {
            out.push_str(&format!(":{port}"));
        }
    } else {
        out.push_str(":?");
    }
    if addr.len() != SOCKADDR_IN_LEN {
        out.push_str(&format!(
            " ({} bytes for {SOCKADDR_IN_LEN} bytes sockaddr_in)",
            addr.len()
        ));
    }
    out
}

/// The numeric host of a sockaddr_in6 as getnameinfo(NI_NUMERICHOST) gives
/// it, with the scope as an interface name when it has one.
fn numeric_host6(addr: &[u8]) -> Option<String> {
    // SAFETY: sockaddr_in6 is plain old data; we copy at most its size.
    let mut sin6: libc::sockaddr_in6 = unsafe { std::mem::zeroed() };
    let n = addr.len().min(SOCKADDR_IN6_LEN);
    // SAFETY: n bytes fit in both the source and the destination.
    unsafe {
        std::ptr::copy_nonoverlapping(
            addr.as_ptr(),
            (&mut sin6 as *mut libc::sockaddr_in6).cast(),
            n,
        )
    };
    let mut host = [0 as libc::c_char; 1025];
    // SAFETY: getnameinfo reads a sockaddr_in6 we own and writes a
    // NUL-terminated string into `host` of the given size.
    let rc = unsafe {
        libc::getnameinfo(
            (&sin6 as *const libc::sockaddr_in6).cast(),
            SOCKADDR_IN6_LEN as libc::socklen_t,
            host.as_mut_ptr(),
            host.len() as libc::socklen_t,
            std::ptr::null_mut(),
            0,
            libc::NI_NUMERICHOST | libc::NI_NUMERICSERV,
        )
    };
    if rc != 0 {
        return None;
    }
    // SAFETY: getnameinfo succeeded, so `host` holds a NUL-terminated string.
    let s = unsafe { std::ffi::CStr::from_ptr(host.as_ptr()) };
    Some(s.to_string_lossy().into_owned())
}

fn inet6(addr: &[u8]) -> String {
    if addr.len() < SOCKADDR_IN6_LEN {
        return format!("too-short-AF_INET6-sockaddr {} bytes", addr.len());
    }
    let host = numeric_host6(addr).unwrap_or_else(|| "?".to_owned());
    let port = u16_be(addr, 2);
    let mut out = if port == 0 {
        host
    } else {
        format!("[{host}]:{port}")
    };
    if addr.len() > SOCKADDR_IN6_LEN {
        out.push_str(&format!(
            "(sockaddr {} bytes too long)",
            addr.len() - SOCKADDR_IN6_LEN
        ));
    }
    out
}

fn unix(addr: &[u8]) -> Vec<u8> {
    let mut path = &addr[2..];
    while let [rest @ .., 0] = path {
        path = rest;
    }
    if path.is_empty() {
        return b"empty-path-AF_UNIX-sockaddr".to_vec();
    }
    // ISPRINT && !ISSPACE in the C locale: the graphic ASCII characters.
    if path.iter().all(|b| b.is_ascii_graphic()) {
        let mut out = Vec::new();
        if path[0] != b'/' {
            out.extend_from_slice(b"UNIX ");
        }
        out.extend_from_slice(path);
        return out;
    }
    let mut out = b"UNIX".to_vec();
    for b in path {
        out.extend_from_slice(format!(":{b:02x}").as_bytes());
    }
    out
}

fn interface_name(index: u32) -> Option<String> {
    let mut buf = [0 as libc::c_char; libc::IF_NAMESIZE];
    // SAFETY: if_indextoname writes at most IF_NAMESIZE bytes into buf.
    let p = unsafe { libc::if_indextoname(index, buf.as_mut_ptr()) };
    if p.is_null() {
        return None;
    }
    // SAFETY: on success buf holds a NUL-terminated name.
    Some(
        unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) }
            .to_string_lossy()
            .into_owned(),
    )
}

/// sockaddr_ll (AF_PACKET), field by field as far as the bytes go.
fn packet(addr: &[u8]) -> String {
    let len = addr.len();
    let mut parts: Vec<String> = Vec::new();
    if 4 <= len {
        parts.push(format!("protocol={}", u16_be(addr, 2)));
    }
    if 8 <= len {
        let index = i32::from_ne_bytes([addr[4], addr[5], addr[6], addr[7]]);
        parts.push(interface_name(index as u32).unwrap_or_else(|| format!("ifindex={index}")));
    }
    if 10 <= len {
        parts.push(format!("hatype={}", u16::from_ne_bytes([addr[8], addr[9]])));
    }
    if 11 <= len {
        parts.push(match addr[10] {
            0 => "HOST".to_owned(),
            1 => "BROADCAST".to_owned(),
            2 => "MULTICAST".to_owned(),
            3 => "OTHERHOST".to_owned(),
            4 => "OUTGOING".to_owned(),
            t => format!("pkttype={t}"),
        });
    }
    let halen = byte(addr, 11) as usize;
    if len != 12 + halen {
        parts.push(if 12 <= len {
            format!("halen={halen}")
        } else {
            String::new()
        });
    }
    if 12 < len {
        let n = halen.min(len - 12);
        let mut hw = "hwaddr".to_owned();
        for (i, b) in addr[12..12 + n].iter().enumerate() {
            hw.push_str(&format!("{}{b:02x}", if i == 0 { "=" } else { ":" }));
        }
        parts.push(hw);
    }
    if len < 12 || 12 + halen != len {
        parts.push(format!(
            "({len} bytes for {SOCKADDR_LL_LEN} bytes sockaddr_ll)"
        ));
    }
    format!("PACKET[{}]", parts.join(" "))
}

/// The address family of a packed sockaddr, AF_UNSPEC when it is too
/// short to have one (stock's get_afamily).
pub fn family_of(addr: &[u8]) -> i32 {
    if addr.len() < 2 {
        return libc::AF_UNSPEC;
    }
    u16::from_ne_bytes([addr[0], addr[1]]) as i32
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
    match family_of(addr) {
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
        assert_eq!(family_of(b"\x01"), libc::AF_UNSPEC);
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
            let _ = family_of(&v);
            let _ = connect_address(&v);
        }
    }
}
