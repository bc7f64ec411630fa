//! Packed sockaddrs as byte strings: building them (sockaddr_in/in6/un),
//! reading their fields, and formatting them exactly as the stock
//! extension's rsock_inspect_sockaddr and getnameinfo(NI_NUMERICHOST) do.
//!
//! Every reader is bounds-checked: any byte string, however short, long or
//! malformed, gives a value or an error, never a panic.

use crate::core::constants::{self, Category};
use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

/// sizeof(union_sockaddr) in stock's rubysocket.h, the biggest sockaddr an
/// Addrinfo holds: its 2048-byte place_holder makes room for long Linux
/// abstract addresses.
pub const ADDRINFO_MAX: usize = 2048;
pub const SOCKADDR_IN_LEN: usize = std::mem::size_of::<libc::sockaddr_in>();
pub const SOCKADDR_IN6_LEN: usize = std::mem::size_of::<libc::sockaddr_in6>();
pub const SOCKADDR_UN_LEN: usize = std::mem::size_of::<libc::sockaddr_un>();
/// offsetof(struct sockaddr_un, sun_path).
pub const SUN_PATH_OFFSET: usize = 2;
/// sizeof(sun_path).
pub const SUN_PATH_LEN: usize = SOCKADDR_UN_LEN - SUN_PATH_OFFSET;
const SOCKADDR_LL_LEN: usize = std::mem::size_of::<libc::sockaddr_ll>();

/// Whether a family is AF_INET or AF_INET6.
pub fn is_ip_family(family: i32) -> bool {
    family == libc::AF_INET || family == libc::AF_INET6
}

/// The address family of a packed sockaddr, AF_UNSPEC when too short to hold
/// one (as stock's ai_get_afamily).
pub fn family(sa: &[u8]) -> i32 {
    match sa {
        [a, b, ..] => u16::from_ne_bytes([*a, *b]) as i32,
        _ => libc::AF_UNSPEC,
    }
}

fn u16_be(sa: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*sa.get(at)?, *sa.get(at + 1)?]))
}

fn u32_ne(sa: &[u8], at: usize) -> Option<u32> {
    let b = sa.get(at..at + 4)?;
    Some(u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
}

/// The port of an AF_INET/AF_INET6 sockaddr (both keep it at offset 2).
pub fn port(sa: &[u8]) -> Option<u16> {
    u16_be(sa, 2)
}

/// The IPv4 address of an AF_INET sockaddr long enough to hold one.
pub fn ipv4(sa: &[u8]) -> Option<Ipv4Addr> {
    let b = sa.get(4..8)?;
    Some(Ipv4Addr::new(b[0], b[1], b[2], b[3]))
}

/// The IPv6 address of an AF_INET6 sockaddr long enough to hold one.
pub fn ipv6(sa: &[u8]) -> Option<Ipv6Addr> {
    let b: [u8; 16] = sa.get(8..24)?.try_into().ok()?;
    Some(Ipv6Addr::from(b))
}

/// sin6_scope_id.
pub fn scope_id(sa: &[u8]) -> Option<u32> {
    u32_ne(sa, 24)
}

/// A packed sockaddr_in.
pub fn sockaddr_in(ip: Ipv4Addr, port: u16) -> Vec<u8> {
    let mut v = vec![0u8; SOCKADDR_IN_LEN];
    v[..2].copy_from_slice(&(libc::AF_INET as u16).to_ne_bytes());
    v[2..4].copy_from_slice(&port.to_be_bytes());
    v[4..8].copy_from_slice(&ip.octets());
    v
}

/// A packed sockaddr_in6.
pub fn sockaddr_in6(ip: Ipv6Addr, port: u16, scope_id: u32) -> Vec<u8> {
    let mut v = vec![0u8; SOCKADDR_IN6_LEN];
    v[..2].copy_from_slice(&(libc::AF_INET6 as u16).to_ne_bytes());
    v[2..4].copy_from_slice(&port.to_be_bytes());
    v[8..24].copy_from_slice(&ip.octets());
    v[24..28].copy_from_slice(&scope_id.to_ne_bytes());
    v
}

/// Why a path cannot be a sockaddr_un.
#[derive(Debug, PartialEq, Eq)]
pub enum UnixPathError {
    TooLong { given: usize, max: usize },
}

/// The length stock gives a sockaddr_un for `path` (rsock_unix_sockaddr_len):
/// just the family for "" (autobind), family + path for an abstract name,
/// the whole struct otherwise.
pub fn unix_sockaddr_len(path: &[u8]) -> usize {
    match path.first() {
        None => SUN_PATH_OFFSET,
        Some(0) => SUN_PATH_OFFSET + path.len(),
        Some(_) => SOCKADDR_UN_LEN,
    }
}

/// A packed sockaddr_un for `path`, as stock's pack_sockaddr_un.
pub fn sockaddr_un(path: &[u8]) -> Result<Vec<u8>, UnixPathError> {
    let mut buf = [0u8; SOCKADDR_UN_LEN];
    let len = sockaddr_un_into(path, &mut buf)?;
    Ok(buf[..len].to_vec())
}

/// `sockaddr_un` written into a zeroed buffer on the caller's stack (no
/// heap allocation, for Socket.sockaddr_un): returns the length used.
pub fn sockaddr_un_into(
    path: &[u8],
    buf: &mut [u8; SOCKADDR_UN_LEN],
) -> Result<usize, UnixPathError> {
    if path.len() > SUN_PATH_LEN {
        return Err(UnixPathError::TooLong {
            given: path.len(),
            max: SUN_PATH_LEN,
        });
    }
    buf[..2].copy_from_slice(&(libc::AF_UNIX as u16).to_ne_bytes());
    buf[SUN_PATH_OFFSET..SUN_PATH_OFFSET + path.len()].copy_from_slice(path);
    Ok(unix_sockaddr_len(path))
}

/// The path of an AF_UNIX sockaddr with trailing NULs dropped (stock's
/// rsock_unixpath_str / rai_unixsocket_len). None when the sockaddr is too
/// short to reach sun_path at all.
pub fn unix_path(sa: &[u8]) -> Option<&[u8]> {
    let path = sa.get(SUN_PATH_OFFSET..)?;
    // A packed sun_path is mostly NUL padding: skip it 8 bytes at a time
    // (a byte-wise scan was most of Socket.unpack_sockaddr_un's time).
    let mut end = path.len();
    while end >= 8 && path[end - 8..end] == [0u8; 8] {
        end -= 8;
    }
    while end > 0 && path[end - 1] == 0 {
        end -= 1;
    }
    Some(&path[..end])
}

/// Whether glibc's getnameinfo appends an interface name (rather than a
/// number) to an IPv6 address with a scope id.
fn scope_by_name(ip: &Ipv6Addr) -> bool {
    let s = ip.segments();
    (s[0] & 0xffc0) == 0xfe80 || (s[0] & 0xff0f) == 0xff02
}

/// The name of interface `index`, if it has one.
pub fn if_name(index: u32) -> Option<String> {
    let name = crate::core::sys::interface_name(index)?;
    Some(String::from_utf8_lossy(&name).into_owned())
}

/// Appends the name of interface `index` (its raw bytes, as getnameinfo
/// gives them); false if it has none.
fn if_name_into(index: u32, out: &mut Text) -> bool {
    match crate::core::sys::interface_name(index) {
        Some(name) => out.push_bytes(&name),
        None => false,
    }
}

/// Short text built on the stack: numeric hosts and ports are formatted on
/// hot paths (recvfrom, ip_unpack, inspect) without a heap allocation. The
/// longest numeric host is an IPv6 address with an interface name as its
/// scope (45 + 1 + 15 bytes); longer writes are refused, not truncated.
#[derive(Clone, Copy)]
pub struct Text {
    buf: [u8; 64],
    len: u8,
}

impl Text {
    pub fn new() -> Self {
        Text {
            buf: [0; 64],
            len: 0,
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len as usize]
    }

    /// Appends raw bytes; false (and nothing appended) if they do not fit.
    pub fn push_bytes(&mut self, b: &[u8]) -> bool {
        let at = self.len as usize;
        let end = at + b.len();
        if end > self.buf.len() {
            return false;
        }
        self.buf[at..end].copy_from_slice(b);
        self.len = end as u8;
        true
    }

    /// The text as a str, lossily: only an interface name can bring bytes
    /// that are not UTF-8.
    pub fn to_str_lossy(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(self.as_bytes())
    }
}

impl Default for Text {
    fn default() -> Self {
        Text::new()
    }
}

impl std::fmt::Write for Text {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        if self.push_bytes(s.as_bytes()) {
            Ok(())
        } else {
            Err(std::fmt::Error)
        }
    }
}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.to_str_lossy().fmt(f)
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

/// Where the numeric formatters write: ASCII only (digits, dots, colons,
/// hex letters), so a String stays valid UTF-8.
pub trait AsciiOut {
    fn push_ascii(&mut self, bytes: &[u8]);
}

impl AsciiOut for Text {
    fn push_ascii(&mut self, bytes: &[u8]) {
        self.push_bytes(bytes);
    }
}

impl AsciiOut for String {
    fn push_ascii(&mut self, bytes: &[u8]) {
        self.extend(bytes.iter().map(|&b| b as char));
    }
}

/// Decimal digits of `v`, without the formatting machinery.
pub fn push_u32(out: &mut impl AsciiOut, v: u32) {
    let mut buf = [0u8; 10];
    let mut i = buf.len();
    let mut v = v;
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.push_ascii(&buf[i..]);
}

/// Dotted-quad text, without the formatting machinery (a hot path).
pub fn format_ipv4(o: [u8; 4], out: &mut impl AsciiOut) {
    let mut buf = [0u8; 15];
    let mut n = 0;
    for (i, &b) in o.iter().enumerate() {
        if i > 0 {
            buf[n] = b'.';
            n += 1;
        }
        if b >= 100 {
            buf[n] = b'0' + b / 100;
            n += 1;
        }
        if b >= 10 {
            buf[n] = b'0' + (b / 10) % 10;
            n += 1;
        }
        buf[n] = b'0' + b % 10;
        n += 1;
    }
    out.push_ascii(&buf[..n]);
}

/// Lower-case hex digits of `v` without leading zeros, as "%x" prints them.
fn push_hex(out: &mut impl AsciiOut, v: u16) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut buf = [0u8; 4];
    let mut i = buf.len();
    let mut v = v;
    loop {
        i -= 1;
        buf[i] = DIGITS[(v & 0xf) as usize];
        v >>= 4;
        if v == 0 {
            break;
        }
    }
    out.push_ascii(&buf[i..]);
}

/// inet_ntop(AF_INET6) as glibc formats it: RFC 5952 zero compression, and
/// the dotted tail for v4-mapped and v4-compatible addresses.
pub fn format_ipv6(ip: &Ipv6Addr, out: &mut impl AsciiOut) {
    let w = ip.segments();
    // The longest run of zero words (first one on ties), if 2 or longer.
    let (mut best, mut cur) = ((0usize, 0usize), (0usize, 0usize));
    for (i, &x) in w.iter().enumerate() {
        if x == 0 {
            if cur.1 == 0 {
                cur.0 = i;
            }
            cur.1 += 1;
            if cur.1 > best.1 {
                best = cur;
            }
        } else {
            cur.1 = 0;
        }
    }
    let best = (best.1 >= 2).then_some(best);
    // glibc's loop: a ':' before every word but the first, one ':' for the
    // whole compressed run, and a trailing ':' when the run ends the address.
    for (i, &word) in w.iter().enumerate() {
        if let Some((base, len)) = best {
            if i >= base && i < base + len {
                if i == base {
                    out.push_ascii(b":");
                }
                continue;
            }
        }
        if i != 0 {
            out.push_ascii(b":");
        }
        if i == 6 {
            if let Some((0, len)) = best {
                if len == 6 || (len == 5 && w[5] == 0xffff) {
                    let o = ip.octets();
                    format_ipv4([o[12], o[13], o[14], o[15]], out);
                    return;
                }
            }
        }
        push_hex(out, word);
    }
    if let Some((base, len)) = best {
        if base + len == 8 {
            out.push_ascii(b":");
        }
    }
}

/// getnameinfo(NI_NUMERICHOST) of an AF_INET/AF_INET6 sockaddr, as glibc
/// gives it; the EAI_* error it returns otherwise (short sockaddr, other
/// family).
pub fn numeric_host(sa: &[u8]) -> Result<Text, i32> {
    let mut s = Text::new();
    match family(sa) {
        libc::AF_INET if sa.len() >= SOCKADDR_IN_LEN => {
            format_ipv4(ipv4(sa).ok_or(libc::EAI_FAMILY)?.octets(), &mut s);
        }
        libc::AF_INET6 if sa.len() >= SOCKADDR_IN6_LEN => {
            let ip = ipv6(sa).ok_or(libc::EAI_FAMILY)?;
            format_ipv6(&ip, &mut s);
            let scope = scope_id(sa).unwrap_or(0);
            if scope != 0 {
                let _ = s.write_char('%');
                let named = scope_by_name(&ip) && if_name_into(scope, &mut s);
                if !named {
                    push_u32(&mut s, scope);
                }
            }
        }
        _ => return Err(libc::EAI_FAMILY),
    }
    Ok(s)
}

fn is_print_no_space(b: u8) -> bool {
    // ISPRINT && !ISSPACE, ASCII only as Ruby's ctype.
    (0x21..=0x7e).contains(&b)
}

/// rsock_inspect_sockaddr: the address part of Addrinfo#inspect (bytes, as
/// UNIX paths need not be UTF-8). Err(EAI_*) where stock raises
/// "getnameinfo: ..." (which numeric formatting never does in practice).
pub fn inspect(sa: &[u8], out: &mut Vec<u8>) -> Result<(), i32> {
    let len = sa.len();
    if len == 0 {
        out.extend_from_slice(b"empty-sockaddr");
        return Ok(());
    }
    if len < 2 {
        out.extend_from_slice(b"too-short-sockaddr");
        return Ok(());
    }
    let mut s = String::with_capacity(48);
    match family(sa) {
        libc::AF_UNSPEC => s.push_str("UNSPEC"),
        libc::AF_INET => {
            match ipv4(sa) {
                Some(ip) => format_ipv4(ip.octets(), &mut s),
                None => {
                    // A truncated address: the octets present, "?" for the rest.
                    let have = &sa[4.min(len)..len.min(8)];
                    for i in 0..4 {
                        if i > 0 {
                            s.push('.');
                        }
                        match have.get(i) {
                            Some(b) => {
                                let _ = write!(s, "{b}");
                            }
                            None => s.push('?'),
                        }
                    }
                }
            }
            // Stock prints the port only when the sockaddr runs past it.
            match port(sa) {
                Some(0) if len > 4 => {}
                Some(p) if len > 4 => {
                    s.push(':');
                    push_u32(&mut s, p as u32);
                }
                _ => s.push_str(":?"),
            }
            if len != SOCKADDR_IN_LEN {
                let _ = write!(s, " ({len} bytes for {SOCKADDR_IN_LEN} bytes sockaddr_in)");
            }
        }
        libc::AF_INET6 => {
            if len < SOCKADDR_IN6_LEN {
                let _ = write!(s, "too-short-AF_INET6-sockaddr {len} bytes");
            } else {
                let host = numeric_host(sa)?;
                match port(sa).unwrap_or(0) {
                    0 => s.push_str(&host.to_str_lossy()),
                    p => {
                        s.push('[');
                        s.push_str(&host.to_str_lossy());
                        s.push_str("]:");
                        push_u32(&mut s, p as u32);
                    }
                }
                if len > SOCKADDR_IN6_LEN {
                    let _ = write!(s, "(sockaddr {} bytes too long)", len - SOCKADDR_IN6_LEN);
                }
            }
        }
        libc::AF_UNIX => {
            let path = unix_path(sa).unwrap_or(&[]);
            if path.is_empty() {
                s.push_str("empty-path-AF_UNIX-sockaddr");
            } else if path.iter().all(|&b| is_print_no_space(b)) {
                if path[0] != b'/' {
                    s.push_str("UNIX ");
                }
                out.extend_from_slice(s.as_bytes());
                out.extend_from_slice(path);
                return Ok(());
            } else {
                s.push_str("UNIX");
                for b in path {
                    let _ = write!(s, ":{b:02x}");
                }
            }
        }
        libc::AF_PACKET => inspect_packet(sa, &mut s),
        other => match constants::int_to_name(Category::Family, other as i64) {
            Some(name) => {
                let _ = write!(s, "{name} address format unknown");
            }
            None => {
                let _ = write!(s, "unknown address family {other}");
            }
        },
    }
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

/// The AF_PACKET (sockaddr_ll) form of rsock_inspect_sockaddr.
fn inspect_packet(sa: &[u8], s: &mut String) {
    // struct sockaddr_ll: family u16, protocol u16 (BE), ifindex i32,
    // hatype u16, pkttype u8, halen u8, addr [u8; 8].
    let len = sa.len();
    let mut sep = "[";
    let mut cat = |s: &mut String| {
        s.push_str(sep);
        sep = " ";
    };
    s.push_str("PACKET");
    if len >= 4 {
        cat(s);
        let _ = write!(s, "protocol={}", u16_be(sa, 2).unwrap_or(0));
    }
    if len >= 8 {
        cat(s);
        let ifindex = u32_ne(sa, 4).unwrap_or(0);
        match if_name(ifindex) {
            Some(name) => s.push_str(&name),
            None => {
                let _ = write!(s, "ifindex={}", ifindex as i32);
            }
        }
    }
    if len >= 10 {
        cat(s);
        let hatype = u16::from_ne_bytes([sa[8], sa[9]]);
        let _ = write!(s, "hatype={hatype}");
    }
    if len >= 11 {
        cat(s);
        match sa[10] {
            0 => s.push_str("HOST"),
            1 => s.push_str("BROADCAST"),
            2 => s.push_str("MULTICAST"),
            3 => s.push_str("OTHERHOST"),
            4 => s.push_str("OUTGOING"),
            t => {
                let _ = write!(s, "pkttype={t}");
            }
        }
    }
    // halen is read even past the end in stock; only its value when present
    // matters for the output.
    let halen = sa.get(11).copied();
    let exact = halen.is_some_and(|h| len == 12 + h as usize);
    if !exact {
        cat(s);
        if let Some(h) = halen {
            let _ = write!(s, "halen={h}");
        }
    }
    if len > 12 {
        cat(s);
        s.push_str("hwaddr");
        let mut n = halen.unwrap_or(0) as usize;
        if len < 12 + n {
            n = len - 12;
        }
        for (i, b) in sa[12..12 + n].iter().enumerate() {
            s.push(if i == 0 { '=' } else { ':' });
            let _ = write!(s, "{b:02x}");
        }
    }
    if len < 12 || !exact {
        cat(s);
        let _ = write!(s, "({len} bytes for {SOCKADDR_LL_LEN} bytes sockaddr_ll)");
    }
    s.push(']');
}

/// The `[family, port, host, numeric_host]`-free part shared by IP readers:
/// the (host, port) of an IP sockaddr, numeric.
pub fn ip_unpack(sa: &[u8]) -> Result<(Text, u16), i32> {
    let host = numeric_host(sa)?;
    Ok((host, port(sa).unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inspected(sa: &[u8]) -> String {
        let mut v = Vec::new();
        inspect(sa, &mut v).unwrap();
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn ipv4_forms() {
        let sa = sockaddr_in(Ipv4Addr::new(127, 0, 0, 1), 80);
        assert_eq!(inspected(&sa), "127.0.0.1:80");
        assert_eq!(
            inspected(&sa[..2]),
            "?.?.?.?:? (2 bytes for 16 bytes sockaddr_in)"
        );
        assert_eq!(
            inspected(&sa[..5]),
            "127.?.?.?:80 (5 bytes for 16 bytes sockaddr_in)"
        );
        let zero = sockaddr_in(Ipv4Addr::UNSPECIFIED, 0);
        assert_eq!(inspected(&zero), "0.0.0.0");
        assert_eq!(numeric_host(&sa[..15]), Err(libc::EAI_FAMILY));
    }

    #[test]
    fn ipv6_forms() {
        let f = |s: &str| {
            let mut o = String::new();
            format_ipv6(&s.parse().unwrap(), &mut o);
            o
        };
        for s in [
            "::",
            "::1",
            "::ffff:1.2.3.4",
            "::1.2.3.4",
            "1:0:0:1::1",
            "1:0:1:0:1:0:1:0",
            "fe80::1",
            "1::",
            "1:2:3:4:5:6:7:8",
            "0:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7:0",
        ] {
            assert_eq!(f(s), s);
        }
        let sa = sockaddr_in6(Ipv6Addr::LOCALHOST, 80, 0);
        assert_eq!(inspected(&sa), "[::1]:80");
        let sa = sockaddr_in6(Ipv6Addr::LOCALHOST, 0, 99);
        assert_eq!(inspected(&sa), "::1%99");
        assert_eq!(inspected(&sa[..5]), "too-short-AF_INET6-sockaddr 5 bytes");
    }

    extern "C" {
        // glibc's; the libc crate does not declare it.
        fn inet_ntop(
            af: libc::c_int,
            src: *const libc::c_void,
            dst: *mut libc::c_char,
            size: libc::socklen_t,
        ) -> *const libc::c_char;
    }

    /// glibc's inet_ntop, the reference numeric_host must match.
    fn ntop(family: i32, addr: &[u8]) -> String {
        let mut buf = [0u8; 64];
        // SAFETY: `addr` holds an in_addr/in6_addr for `family`; buf has room
        // for INET6_ADDRSTRLEN bytes.
        let p = unsafe { inet_ntop(family, addr.as_ptr().cast(), buf.as_mut_ptr().cast(), 64) };
        assert!(!p.is_null());
        let end = buf.iter().position(|&b| b == 0).unwrap();
        String::from_utf8(buf[..end].to_vec()).unwrap()
    }

    #[test]
    fn numeric_host_matches_inet_ntop() {
        // Words drawn mostly from 0 and a few values, so runs of zeros of
        // every length and position (and the v4-mapped forms) come up.
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..20_000 {
            let mut words = [0u16; 8];
            for w in &mut words {
                *w = match next() % 6 {
                    0..=2 => 0,
                    3 => 0xffff,
                    4 => (next() % 16) as u16,
                    _ => next() as u16,
                };
            }
            let ip = Ipv6Addr::from(words);
            let got = numeric_host(&sockaddr_in6(ip, 1, 0)).unwrap();
            assert_eq!(
                got.as_bytes(),
                ntop(libc::AF_INET6, &ip.octets()).as_bytes(),
                "{ip:?}"
            );
            let v4 = Ipv4Addr::from(next() as u32);
            let got = numeric_host(&sockaddr_in(v4, 1)).unwrap();
            assert_eq!(got.as_bytes(), ntop(libc::AF_INET, &v4.octets()).as_bytes());
        }
    }

    #[test]
    fn text_refuses_what_does_not_fit() {
        let mut t = Text::new();
        assert!(t.push_bytes(&[b'a'; 60]));
        assert!(!t.push_bytes(b"12345"));
        assert_eq!(t.as_bytes().len(), 60);
        assert!(t.push_bytes(b"1234"));
        assert_eq!(t.as_bytes().len(), 64);
    }

    #[test]
    fn unix_forms() {
        assert_eq!(inspected(&sockaddr_un(b"/tmp/x").unwrap()), "/tmp/x");
        assert_eq!(inspected(&sockaddr_un(b"a").unwrap()), "UNIX a");
        assert_eq!(
            inspected(&sockaddr_un(b"\0abc").unwrap()),
            "UNIX:00:61:62:63"
        );
        assert_eq!(
            inspected(&sockaddr_un(b"").unwrap()),
            "empty-path-AF_UNIX-sockaddr"
        );
        assert_eq!(sockaddr_un(b"").unwrap().len(), 2);
        assert_eq!(sockaddr_un(b"\0ab").unwrap().len(), 5);
        assert!(sockaddr_un(&[b'a'; 109]).is_err());
        assert_eq!(unix_path(b"\x01\x00ab\0\0"), Some(&b"ab"[..]));
        assert_eq!(unix_path(b"\x01"), None);
    }

    #[test]
    fn unix_path_drops_exactly_the_trailing_nuls() {
        for len in 0..=SUN_PATH_LEN {
            for nul_at in [None, Some(0), Some(len / 2), Some(len.saturating_sub(1))] {
                let mut path = vec![b'p'; len];
                if let Some(i) = nul_at.filter(|&i| i < len) {
                    path[i] = 0;
                }
                let sa = sockaddr_un(&path).unwrap();
                let mut full = sa.clone();
                full.resize(SOCKADDR_UN_LEN, 0);
                let want_end = path.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
                assert_eq!(unix_path(&full), Some(&path[..want_end]), "len {len}");
                assert_eq!(unix_path(&sa), Some(&path[..want_end]), "len {len}");
            }
        }
    }

    #[test]
    fn decimal() {
        for v in [0u32, 7, 10, 99, 100, 65535, u32::MAX] {
            let mut s = String::new();
            push_u32(&mut s, v);
            assert_eq!(s, v.to_string());
        }
    }

    #[test]
    fn odd_sockaddrs() {
        assert_eq!(inspected(b""), "empty-sockaddr");
        assert_eq!(inspected(b"\x01"), "too-short-sockaddr");
        assert_eq!(inspected(b"\x00\x00abc"), "UNSPEC");
        assert_eq!(inspected(b"\x99\x00abc"), "unknown address family 153");
        assert_eq!(
            inspected(b"\x11\x00abc"),
            "PACKET[protocol=24930  (5 bytes for 20 bytes sockaddr_ll)]"
        );
    }

    /// A small xorshift generator: deterministic "random" inputs without a
    /// dependency.
    fn next(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut st = 0x9e37_79b9_7f4a_7c15u64;
        let families = [0u16, 1, 2, 10, 17, 5, 99, 0xffff];
        for _ in 0..20_000 {
            let len = (next(&mut st) % 140) as usize;
            let mut v: Vec<u8> = (0..len).map(|_| next(&mut st) as u8).collect();
            if len >= 2 && !next(&mut st).is_multiple_of(4) {
                let f = families[(next(&mut st) % families.len() as u64) as usize];
                v[..2].copy_from_slice(&f.to_ne_bytes());
            }
            let mut out = Vec::new();
            let _ = inspect(&v, &mut out);
            let _ = numeric_host(&v);
            let _ = ip_unpack(&v);
            let _ = unix_path(&v);
            let _ = family(&v);
            let _ = port(&v);
        }
    }
}
