//! Control messages (ancillary data): building the buffer sendmsg(2) takes,
//! walking the buffer recvmsg(2) fills, and the decoded forms
//! Socket::AncillaryData#inspect prints.
//!
//! The CMSG_* macros are done by hand with checked arithmetic: lengths come
//! from callers and from the kernel and are never trusted. A header's
//! cmsg_len is clipped to the bytes actually present, so nothing here reads
//! out of bounds whatever the input.

use crate::core::constants::{self, Category};
use crate::core::sockaddr::if_name;
use std::mem::{offset_of, size_of};

/// sizeof(struct cmsghdr): cmsg_len (size_t on glibc), cmsg_level, cmsg_type.
pub const HDR_LEN: usize = size_of::<libc::cmsghdr>();
const LEN_AT: usize = offset_of!(libc::cmsghdr, cmsg_len);
const LEVEL_AT: usize = offset_of!(libc::cmsghdr, cmsg_level);
const TYPE_AT: usize = offset_of!(libc::cmsghdr, cmsg_type);
/// glibc aligns control messages to sizeof(size_t).
const ALIGN: usize = size_of::<usize>();

/// CMSG_ALIGN(len); None on overflow.
pub fn align(len: usize) -> Option<usize> {
    Some(len.checked_add(ALIGN - 1)? & !(ALIGN - 1))
}

/// CMSG_LEN(data_len): header plus data, no trailing padding.
pub fn cmsg_len(data_len: usize) -> Option<usize> {
    HDR_LEN.checked_add(data_len)
}

/// CMSG_SPACE(data_len): header plus data padded to the alignment.
pub fn cmsg_space(data_len: usize) -> Option<usize> {
    HDR_LEN.checked_add(align(data_len)?)
}

/// A control message to send: level, type, data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outgoing<'a> {
    pub level: i32,
    pub ctype: i32,
    pub data: &'a [u8],
}

/// The controls do not fit in a socklen_t-sized buffer.
#[derive(Debug, PartialEq, Eq)]
pub struct TooBig;

/// The msg_control buffer for `controls`, laid out as CMSG_FIRSTHDR /
/// CMSG_NXTHDR expect: each header followed by its data, padded to
/// CMSG_SPACE. Like stock, the last message keeps its padding.
pub fn encode(controls: &[Outgoing<'_>]) -> Result<Vec<u8>, TooBig> {
    let mut total: usize = 0;
    for c in controls {
        let space = cmsg_space(c.data.len()).ok_or(TooBig)?;
        total = total.checked_add(space).ok_or(TooBig)?;
    }
    if total > libc::socklen_t::MAX as usize {
        return Err(TooBig);
    }
    let mut buf = Vec::with_capacity(total);
    for c in controls {
        let start = buf.len();
        // Both were checked in the sizing loop above.
        let len = cmsg_len(c.data.len()).ok_or(TooBig)?;
        let space = cmsg_space(c.data.len()).ok_or(TooBig)?;
        buf.resize(start + space, 0);
        let hdr = &mut buf[start..start + HDR_LEN];
        hdr[LEN_AT..LEN_AT + size_of::<usize>()].copy_from_slice(&len.to_ne_bytes());
        hdr[LEVEL_AT..LEVEL_AT + 4].copy_from_slice(&c.level.to_ne_bytes());
        hdr[TYPE_AT..TYPE_AT + 4].copy_from_slice(&c.ctype.to_ne_bytes());
        buf[start + HDR_LEN..start + len].copy_from_slice(c.data);
    }
    Ok(buf)
}

/// One control message found in a received buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Incoming<'a> {
    pub level: i32,
    pub ctype: i32,
    /// The header's cmsg_len, as the kernel wrote it.
    pub declared_len: usize,
    /// The data, clipped to the bytes present in the buffer.
    pub data: &'a [u8],
}

impl Incoming<'_> {
    /// The descriptors of an SCM_RIGHTS message (empty for anything else):
    /// whole ints only, as stock walks them.
    pub fn rights(&self) -> Vec<i32> {
        if self.level != libc::SOL_SOCKET || self.ctype != libc::SCM_RIGHTS {
            return Vec::new();
        }
        ints(self.data)
    }
}

/// The native-endian ints in `data`, ignoring a trailing partial one.
pub fn ints(data: &[u8]) -> Vec<i32> {
    data.chunks_exact(4)
        .map(|c| i32::from_ne_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// A header with cmsg_len == 0 (stock raises "invalid control message").
#[derive(Debug, PartialEq, Eq)]
pub struct ZeroLength;

fn read_usize(buf: &[u8], at: usize) -> usize {
    let mut b = [0u8; size_of::<usize>()];
    b.copy_from_slice(&buf[at..at + size_of::<usize>()]);
    usize::from_ne_bytes(b)
}

fn read_i32(buf: &[u8], at: usize) -> i32 {
    i32::from_ne_bytes([buf[at], buf[at + 1], buf[at + 2], buf[at + 3]])
}

/// Walks a received msg_control buffer (`buf` is exactly msg_controllen
/// bytes) as CMSG_FIRSTHDR/CMSG_NXTHDR do. Messages found before a
/// zero-length header are returned with the error, so their resources
/// (descriptors) can still be released.
pub fn decode(buf: &[u8]) -> (Vec<Incoming<'_>>, Option<ZeroLength>) {
    let mut out = Vec::new();
    let mut pos = 0usize;
    loop {
        match pos.checked_add(HDR_LEN) {
            Some(end) if end <= buf.len() => {}
            _ => return (out, None),
        }
        let hdr = &buf[pos..pos + HDR_LEN];
        let declared_len = read_usize(hdr, LEN_AT);
        if declared_len == 0 {
            return (out, Some(ZeroLength));
        }
        let data_start = pos + HDR_LEN;
        let data_end = pos
            .checked_add(declared_len)
            .map_or(buf.len(), |e| e.min(buf.len()))
            .max(data_start);
        out.push(Incoming {
            level: read_i32(hdr, LEVEL_AT),
            ctype: read_i32(hdr, TYPE_AT),
            declared_len,
            data: &buf[data_start..data_end],
        });
        // CMSG_NXTHDR: a header shorter than itself ends the walk; the next
        // one starts after this one's aligned length.
        if declared_len < HDR_LEN {
            return (out, None);
        }
        match align(declared_len).and_then(|l| pos.checked_add(l)) {
            Some(next) => pos = next,
            None => return (out, None),
        }
    }
}

/// The first header of a buffer, whatever its length says (None when the
/// buffer is shorter than a header).
pub fn header(buf: &[u8]) -> Option<Incoming<'_>> {
    if buf.len() < HDR_LEN {
        return None;
    }
    Some(Incoming {
        level: read_i32(buf, LEVEL_AT),
        ctype: read_i32(buf, TYPE_AT),
        declared_len: read_usize(buf, LEN_AT),
        data: &buf[HDR_LEN..],
    })
}

/// Every descriptor carried by SCM_RIGHTS messages in a received buffer.
pub fn all_rights(buf: &[u8]) -> Vec<i32> {
    decode(buf).0.iter().flat_map(|m| m.rights()).collect()
}

/// The head of AncillaryData#inspect after the class name: family, level and
/// type by name where stock knows one (" UNIX SOCKET RIGHTS").
pub fn inspect_head(family: i32, level: i32, ctype: i32) -> String {
    let mut s = String::new();
    match constants::int_to_short_name(Category::Family, family as i64) {
        Some(name) => s.push_str(&format!(" {name}")),
        None => s.push_str(&format!(" family:{family}")),
    }
    let named = |category: Category, value: i32| {
        constants::int_to_short_name(category, value as i64).map(str::to_owned)
    };
    if level == libc::SOL_SOCKET {
        s.push_str(" SOCKET");
        match named(Category::ScmOptname, ctype) {
            Some(name) => s.push_str(&format!(" {name}")),
            None => s.push_str(&format!(" cmsg_type:{ctype}")),
        }
    } else if crate::core::sockaddr::is_ip_family(family) {
        match named(Category::IpLevel, level) {
            Some(name) => s.push_str(&format!(" {name}")),
            None => s.push_str(&format!(" cmsg_level:{level}")),
        }
        let category = crate::core::constants::ip_optname_category(level);
        match category.and_then(|c| named(c, ctype)) {
            Some(name) => s.push_str(&format!(" {name}")),
            None => s.push_str(&format!(" cmsg_type:{ctype}")),
        }
    } else {
        s.push_str(&format!(" cmsg_level:{level} cmsg_type:{ctype}"));
    }
    s
}

/// The decoded tail of AncillaryData#inspect (" 3 4", " pid=1 uid=2 gid=3
/// (ucred)", ...), or None when stock shows the data dumped instead.
pub fn inspect_decoded(family: i32, level: i32, ctype: i32, data: &[u8]) -> Option<String> {
    if level == libc::SOL_SOCKET {
        return match ctype {
            libc::SCM_TIMESTAMP => timeval_as_abstime(data),
            libc::SCM_TIMESTAMPNS => timespec_as_abstime(data),
            libc::SCM_RIGHTS => rights_list(data),
            libc::SCM_CREDENTIALS => credentials(data),
            _ => None,
        };
    }
    if !crate::core::sockaddr::is_ip_family(family) {
        return None;
    }
    match (level, ctype) {
        (libc::IPPROTO_IP, libc::IP_PKTINFO) => ip_pktinfo(data),
        (libc::IPPROTO_IPV6, libc::IPV6_PKTINFO) => ipv6_pktinfo(data),
        _ => None,
    }
}

fn rights_list(data: &[u8]) -> Option<String> {
    if data.is_empty() || !data.len().is_multiple_of(4) {
        return None;
    }
    Some(ints(data).iter().map(|fd| format!(" {fd}")).collect())
}

fn u32_at(data: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]])
}

fn credentials(data: &[u8]) -> Option<String> {
    if data.len() != size_of::<libc::ucred>() {
        return None;
    }
    let pid = u32_at(data, offset_of!(libc::ucred, pid));
    let uid = u32_at(data, offset_of!(libc::ucred, uid));
    let gid = u32_at(data, offset_of!(libc::ucred, gid));
    Some(format!(" pid={pid} uid={uid} gid={gid} (ucred)"))
}

/// struct in_pktinfo: ipi_ifindex (int), ipi_spec_dst, ipi_addr.
pub const IN_PKTINFO_LEN: usize = size_of::<libc::in_pktinfo>();
/// struct in6_pktinfo: ipi6_addr, ipi6_ifindex (unsigned int).
pub const IN6_PKTINFO_LEN: usize = size_of::<libc::in6_pktinfo>();

/// The fields of an IP_PKTINFO payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InPktinfo {
    pub ifindex: u32,
    pub spec_dst: [u8; 4],
    pub addr: [u8; 4],
}

impl InPktinfo {
    pub fn parse(data: &[u8]) -> Option<Self> {
        if data.len() != IN_PKTINFO_LEN {
            return None;
        }
        let at = |off: usize| [data[off], data[off + 1], data[off + 2], data[off + 3]];
        Some(InPktinfo {
            ifindex: u32_at(data, offset_of!(libc::in_pktinfo, ipi_ifindex)),
            spec_dst: at(offset_of!(libc::in_pktinfo, ipi_spec_dst)),
            addr: at(offset_of!(libc::in_pktinfo, ipi_addr)),
        })
    }

    pub fn to_bytes(self) -> Vec<u8> {
        let mut out = vec![0u8; IN_PKTINFO_LEN];
        let ifi = offset_of!(libc::in_pktinfo, ipi_ifindex);
        out[ifi..ifi + 4].copy_from_slice(&self.ifindex.to_ne_bytes());
        let spec = offset_of!(libc::in_pktinfo, ipi_spec_dst);
        out[spec..spec + 4].copy_from_slice(&self.spec_dst);
        let addr = offset_of!(libc::in_pktinfo, ipi_addr);
        out[addr..addr + 4].copy_from_slice(&self.addr);
        out
    }
}

/// The fields of an IPV6_PKTINFO payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct In6Pktinfo {
    pub addr: [u8; 16],
    pub ifindex: u32,
}

impl In6Pktinfo {
    pub fn parse(data: &[u8]) -> Option<Self> {
        if data.len() != IN6_PKTINFO_LEN {
            return None;
        }
        let a = offset_of!(libc::in6_pktinfo, ipi6_addr);
        let mut addr = [0u8; 16];
        addr.copy_from_slice(&data[a..a + 16]);
        Some(In6Pktinfo {
            addr,
            ifindex: u32_at(data, offset_of!(libc::in6_pktinfo, ipi6_ifindex)),
        })
    }

    pub fn to_bytes(self) -> Vec<u8> {
        let mut out = vec![0u8; IN6_PKTINFO_LEN];
        let a = offset_of!(libc::in6_pktinfo, ipi6_addr);
        out[a..a + 16].copy_from_slice(&self.addr);
        let i = offset_of!(libc::in6_pktinfo, ipi6_ifindex);
        out[i..i + 4].copy_from_slice(&self.ifindex.to_ne_bytes());
        out
    }
}

/// A packed sockaddr_in for an address, port 0.
pub fn sockaddr_in(addr: [u8; 4]) -> Vec<u8> {
    let mut out = vec![0u8; size_of::<libc::sockaddr_in>()];
    let f = offset_of!(libc::sockaddr_in, sin_family);
    out[f..f + 2].copy_from_slice(&(libc::AF_INET as libc::sa_family_t).to_ne_bytes());
    let a = offset_of!(libc::sockaddr_in, sin_addr);
    out[a..a + 4].copy_from_slice(&addr);
    out
}

/// The packed sockaddr_in6 of an IPV6_PKTINFO address, scoped to the
/// interface when link-local (as stock's extract_ipv6_pktinfo).
pub fn sockaddr_in6_for_pktinfo(info: &In6Pktinfo) -> Vec<u8> {
    let mut out = vec![0u8; size_of::<libc::sockaddr_in6>()];
    let f = offset_of!(libc::sockaddr_in6, sin6_family);
    out[f..f + 2].copy_from_slice(&(libc::AF_INET6 as libc::sa_family_t).to_ne_bytes());
    let a = offset_of!(libc::sockaddr_in6, sin6_addr);
    out[a..a + 16].copy_from_slice(&info.addr);
    let link_local = info.addr[0] == 0xfe && info.addr[1] & 0xc0 == 0x80;
    if link_local {
        let s = offset_of!(libc::sockaddr_in6, sin6_scope_id);
        out[s..s + 4].copy_from_slice(&info.ifindex.to_ne_bytes());
    }
    out
}

fn ip_pktinfo(data: &[u8]) -> Option<String> {
    let p = InPktinfo::parse(data)?;
    let iface = match if_name(p.ifindex) {
        Some(name) => name,
        // stock prints the index with %d.
        None => format!("ifindex:{}", p.ifindex as i32),
    };
    Some(format!(
        " {} {iface} spec_dst:{}",
        std::net::Ipv4Addr::from(p.addr),
        std::net::Ipv4Addr::from(p.spec_dst)
    ))
}

fn ipv6_pktinfo(data: &[u8]) -> Option<String> {
    let p = In6Pktinfo::parse(data)?;
    let iface = match if_name(p.ifindex) {
        Some(name) => name,
        None => format!("ifindex:{}", p.ifindex as i32),
    };
    Some(format!(" {} {iface}", ipv6_text(&p.addr)))
}

/// An IPv6 address as glibc's inet_ntop(3) writes it: the first longest
/// run of two or more zero groups as "::", and the last 32 bits dotted for
/// IPv4-compatible and IPv4-mapped addresses (Rust's Display differs there).
pub fn ipv6_text(addr: &[u8; 16]) -> String {
    let words: Vec<u16> = addr
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect();
    // (start, len) of the first longest run of zero words.
    let mut best: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < 8 {
        if words[i] == 0 {
            let start = i;
            while i < 8 && words[i] == 0 {
                i += 1;
            }
            let len = i - start;
            if len >= 2 && best.is_none_or(|(_, l)| len > l) {
                best = Some((start, len));
            }
        } else {
            i += 1;
        }
    }
    let mut out = String::new();
    let mut i = 0;
    while i < 8 {
        if let Some((start, len)) = best {
            if i == start {
                out.push(':');
                if start == 0 {
                    out.push(':');
                }
                // The word before the run already wrote one ':'.
                i += len;
                continue;
            }
        }
        if i == 6 {
            if let Some((0, len)) = best {
                if len == 6 || (len == 7 && words[7] != 1) || (len == 5 && words[5] == 0xffff) {
                    out.push_str(&format!(
                        "{}.{}.{}.{}",
                        addr[12], addr[13], addr[14], addr[15]
                    ));
                    return out;
                }
            }
        }
        out.push_str(&format!("{:x}", words[i]));
        if i < 7 {
            out.push(':');
        }
        i += 1;
    }
    out
}

fn i64_at(data: &[u8], at: usize) -> i64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&data[at..at + 8]);
    i64::from_ne_bytes(b)
}

/// A struct timeval or timespec payload: seconds and the sub-second field.
pub fn time_fields(data: &[u8], nanos: bool) -> Option<(i64, i64)> {
    let (len, sec_at, frac_at) = if nanos {
        (
            size_of::<libc::timespec>(),
            offset_of!(libc::timespec, tv_sec),
            offset_of!(libc::timespec, tv_nsec),
        )
    } else {
        (
            size_of::<libc::timeval>(),
            offset_of!(libc::timeval, tv_sec),
            offset_of!(libc::timeval, tv_usec),
        )
    };
    if data.len() != len {
        return None;
    }
    Some((i64_at(data, sec_at), i64_at(data, frac_at)))
}

/// Local time as strftime("%Y-%m-%d %H:%M:%S"); None when localtime(3)
/// cannot represent it.
fn local_time_text(secs: i64) -> Option<String> {
    let t = secs as libc::time_t;
    // SAFETY: tm is plain old data, valid when zeroed.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: localtime_r reads `t` and writes into `tm`, both ours.
    if unsafe { libc::localtime_r(&t, &mut tm) }.is_null() {
        return None;
    }
    let mut buf = [0 as libc::c_char; 64];
    // SAFETY: strftime writes at most buf.len() bytes into our buffer and
    // returns how many (0 if it did not fit); the format is a C string.
    let n = unsafe {
        libc::strftime(
            buf.as_mut_ptr(),
            buf.len(),
            c"%Y-%m-%d %H:%M:%S".as_ptr(),
            &tm,
        )
    };
    let bytes: Vec<u8> = buf[..n.min(buf.len())].iter().map(|&c| c as u8).collect();
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

fn timeval_as_abstime(data: &[u8]) -> Option<String> {
    let (sec, usec) = time_fields(data, false)?;
    Some(format!(" {}.{usec:06}", local_time_text(sec)?))
}

fn timespec_as_abstime(data: &[u8]) -> Option<String> {
    let (sec, nsec) = time_fields(data, true)?;
    Some(format!(" {}.{nsec:09}", local_time_text(sec)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(level: i32, ctype: i32, data: &[u8]) -> Vec<u8> {
        encode(&[Outgoing { level, ctype, data }]).unwrap()
    }

    #[test]
    fn arithmetic_matches_libc() {
        for n in [0usize, 1, 3, 4, 5, 7, 8, 9, 12, 16, 100] {
            // SAFETY: CMSG_LEN/CMSG_SPACE are pure arithmetic.
            let (l, s) = unsafe { (libc::CMSG_LEN(n as u32), libc::CMSG_SPACE(n as u32)) };
            assert_eq!(cmsg_len(n), Some(l as usize));
            assert_eq!(cmsg_space(n), Some(s as usize));
        }
        assert_eq!(align(usize::MAX), None);
        assert_eq!(cmsg_space(usize::MAX - 3), None);
    }

    #[test]
    fn encode_layout_matches_libc_walk() {
        let fds = [3i32, 4, 5];
        let fd_bytes: Vec<u8> = fds.iter().flat_map(|f| f.to_ne_bytes()).collect();
        let buf = encode(&[
            Outgoing {
                level: libc::SOL_SOCKET,
                ctype: libc::SCM_RIGHTS,
                data: &fd_bytes,
            },
            Outgoing {
                level: 41,
                ctype: 50,
                data: b"abc",
            },
        ])
        .unwrap();
        assert_eq!(buf.len(), cmsg_space(12).unwrap() + cmsg_space(3).unwrap());
        // Walk it with libc's own macros.
        let mut buf2 = buf.clone();
        // SAFETY: msghdr is plain old data; the macros only read inside the
        // control buffer we point them at.
        unsafe {
            let mut mh: libc::msghdr = std::mem::zeroed();
            mh.msg_control = buf2.as_mut_ptr().cast();
            mh.msg_controllen = buf2.len() as _;
            let c = libc::CMSG_FIRSTHDR(&mh);
            assert_eq!((*c).cmsg_level, libc::SOL_SOCKET);
            assert_eq!((*c).cmsg_type, libc::SCM_RIGHTS);
            assert_eq!((*c).cmsg_len as usize, cmsg_len(12).unwrap());
            let c2 = libc::CMSG_NXTHDR(&mh, c);
            assert!(!c2.is_null());
            assert_eq!(((*c2).cmsg_level, (*c2).cmsg_type), (41, 50));
            assert!(libc::CMSG_NXTHDR(&mh, c2).is_null());
        }
        let (msgs, err) = decode(&buf);
        assert!(err.is_none());
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].rights(), vec![3, 4, 5]);
        assert_eq!(msgs[1].data, b"abc");
        assert!(msgs[1].rights().is_empty());
        assert_eq!(all_rights(&buf), vec![3, 4, 5]);
    }

    #[test]
    fn decode_short_and_truncated() {
        assert_eq!(decode(&[]).0.len(), 0);
        assert_eq!(decode(&[1; HDR_LEN - 1]).0.len(), 0);
        // A header claiming more data than present: data clipped.
        let mut m = msg(
            libc::SOL_SOCKET,
            libc::SCM_RIGHTS,
            &[1, 0, 0, 0, 2, 0, 0, 0],
        );
        m.truncate(HDR_LEN + 6);
        let (msgs, _) = decode(&m);
        assert_eq!(msgs.len(), 1);
        assert_eq!(msgs[0].data.len(), 6);
        assert_eq!(msgs[0].rights(), vec![1]);
        // A header shorter than itself ends the walk with empty data.
        let mut m = msg(1, 1, &[]);
        m[LEN_AT..LEN_AT + 8].copy_from_slice(&3usize.to_ne_bytes());
        m.extend_from_slice(&msg(1, 1, b"x"));
        let (msgs, _) = decode(&m);
        assert_eq!(msgs.len(), 1);
        assert!(msgs[0].data.is_empty());
        // Zero length is reported, after what came before it.
        let mut m = msg(1, 2, b"ab");
        let mut z = msg(1, 1, b"");
        z[LEN_AT..LEN_AT + 8].copy_from_slice(&0usize.to_ne_bytes());
        m.extend_from_slice(&z);
        let (msgs, err) = decode(&m);
        assert_eq!(msgs.len(), 1);
        assert_eq!(err, Some(ZeroLength));
        // A huge length does not overflow.
        let mut m = msg(1, 1, b"abcd");
        m[LEN_AT..LEN_AT + 8].copy_from_slice(&usize::MAX.to_ne_bytes());
        let (msgs, _) = decode(&m);
        assert_eq!(msgs.len(), 1);
        assert_eq!(msgs[0].data, b"abcd\0\0\0\0");
    }

    /// xorshift: deterministic pseudo-random bytes without a dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    #[test]
    fn decode_never_panics_on_random_buffers() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for round in 0..20_000 {
            let len = (rng.next() % 200) as usize;
            let mut buf: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            // Often plant plausible lengths, which reach the deeper paths.
            if round % 2 == 0 {
                let mut pos = 0;
                while pos + HDR_LEN <= buf.len() {
                    let l = match rng.next() % 4 {
                        0 => 0,
                        1 => (rng.next() % 64) as usize,
                        2 => usize::MAX - (rng.next() % 16) as usize,
                        _ => HDR_LEN + (rng.next() % 24) as usize,
                    };
                    buf[pos..pos + 8].copy_from_slice(&l.to_ne_bytes());
                    pos += align(l.min(64)).unwrap().max(HDR_LEN);
                }
            }
            let (msgs, _) = decode(&buf);
            let base = buf.as_ptr() as usize;
            for m in &msgs {
                let start = m.data.as_ptr() as usize;
                assert!(start >= base && start + m.data.len() <= base + buf.len());
                let _ = m.rights();
                for family in [libc::AF_UNIX, libc::AF_INET, libc::AF_INET6] {
                    let _ = inspect_decoded(family, m.level, m.ctype, m.data);
                    let _ = inspect_head(family, m.level, m.ctype);
                }
            }
            let _ = all_rights(&buf);
        }
    }

    #[test]
    fn inspect_forms() {
        assert_eq!(inspect_head(1, 1, 1), " UNIX SOCKET RIGHTS");
        assert_eq!(inspect_head(2, 0, 8), " INET IP PKTINFO");
        assert_eq!(inspect_head(10, 41, 50), " INET6 IPV6 PKTINFO");
        assert_eq!(
            inspect_head(99, 99, 99),
            " family:99 cmsg_level:99 cmsg_type:99"
        );
        assert_eq!(inspect_head(2, 1, 12345), " INET SOCKET cmsg_type:12345");
        let fds: Vec<u8> = [1i32, 2].iter().flat_map(|f| f.to_ne_bytes()).collect();
        assert_eq!(inspect_decoded(1, 1, 1, &fds).as_deref(), Some(" 1 2"));
        assert_eq!(inspect_decoded(1, 1, 1, &fds[..6]), None);
        assert_eq!(inspect_decoded(1, 1, 1, &[]), None);
        let cred: Vec<u8> = [1u32, 2, 3].iter().flat_map(|f| f.to_ne_bytes()).collect();
        assert_eq!(
            inspect_decoded(1, 1, libc::SCM_CREDENTIALS, &cred).as_deref(),
            Some(" pid=1 uid=2 gid=3 (ucred)")
        );
        let p = InPktinfo {
            ifindex: 0x7fff_fff0,
            spec_dst: [0, 0, 0, 2],
            addr: [127, 0, 0, 1],
        };
        assert_eq!(InPktinfo::parse(&p.to_bytes()), Some(p));
        assert_eq!(
            inspect_decoded(2, 0, 8, &p.to_bytes()).as_deref(),
            Some(" 127.0.0.1 ifindex:2147483632 spec_dst:0.0.0.2")
        );
        assert_eq!(inspect_decoded(1, 0, 8, &p.to_bytes()), None);
        let p6 = In6Pktinfo {
            addr: [0; 16],
            ifindex: u32::MAX,
        };
        assert_eq!(
            inspect_decoded(10, 41, 50, &p6.to_bytes()).as_deref(),
            Some(" :: ifindex:-1")
        );
        let mut v4c = [0u8; 16];
        v4c[12..].copy_from_slice(&[1, 2, 3, 4]);
        assert_eq!(ipv6_text(&v4c), "::1.2.3.4");
        let text = |words: [u16; 8]| {
            let mut a = [0u8; 16];
            for (i, w) in words.iter().enumerate() {
                a[2 * i..2 * i + 2].copy_from_slice(&w.to_be_bytes());
            }
            ipv6_text(&a)
        };
        assert_eq!(text([1, 0, 0, 0, 0, 0, 0, 0]), "1::");
        assert_eq!(text([0; 8]), "::");
        assert_eq!(text([0, 0, 0, 0, 0, 0, 0, 1]), "::1");
        assert_eq!(text([1, 0, 0, 2, 0, 0, 0, 3]), "1:0:0:2::3");
        assert_eq!(text([1, 0, 2, 0, 3, 0, 4, 0]), "1:0:2:0:3:0:4:0");
        assert_eq!(text([0xfe80, 0, 0, 0, 0, 0, 0, 1]), "fe80::1");
        assert_eq!(
            text([0, 0, 0, 0, 0, 0xffff, 0x102, 0x304]),
            "::ffff:1.2.3.4"
        );
        assert_eq!(text([0, 0, 0, 0, 0, 0, 0, 0x1ff]), "::1ff");
    }
}
