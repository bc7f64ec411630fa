//! Socket::Option#inspect as stock's option.c writes it: the names of family,
//! level and option, then the value decoded for the options stock knows
//! (ints, SO_LINGER, SO_RCVTIMEO, SO_PEERCRED, IP_MULTICAST_*, TCP_INFO ...).
//! A value stock does not decode is shown with String#dump by the binding.

use super::constants::{self, Category};

/// The names part: "INET SOCKET KEEPALIVE", "UNIX level:0 optname:1",
/// "family:12345 level:6 optname:1".
pub fn names(family: i32, level: i32, optname: i32) -> String {
    let mut out = match constants::int_to_short_name(Category::Family, family as i64) {
        Some(name)
            if constants::int_to_name(Category::Family, family as i64)
                .is_some_and(|full| full.starts_with("AF_")) =>
        {
            name.to_owned()
        }
        _ => format!("family:{family}"),
    };
    let optname_name = |category: Category| {
        constants::int_to_short_name(category, optname as i64)
            .map(str::to_owned)
            .unwrap_or_else(|| format!("optname:{optname}"))
    };
    if level == libc::SOL_SOCKET {
        out.push_str(" SOCKET ");
        out.push_str(&optname_name(Category::SoOptname));
    } else if family == libc::AF_UNIX {
        out.push_str(&format!(" level:{level} "));
        out.push_str(&optname_name(Category::LocalOptname));
    } else if crate::core::sockaddr::is_ip_family(family) {
        match constants::int_to_short_name(Category::IpProto, level as i64) {
            Some(name) => out.push_str(&format!(" {name}")),
            None => out.push_str(&format!(" level:{level}")),
        }
        let category = crate::core::constants::ip_optname_category(level);
        out.push(' ');
        match category {
            Some(c) => out.push_str(&optname_name(c)),
            None => out.push_str(&format!("optname:{optname}")),
        }
    } else {
        out.push_str(&format!(" level:{level} optname:{optname}"));
    }
    out
}

fn int_at(data: &[u8], at: usize) -> i32 {
    i32::from_ne_bytes(data[at..at + 4].try_into().expect("4 bytes"))
}

fn u32_at(data: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes(data[at..at + 4].try_into().expect("4 bytes"))
}

fn i64_at(data: &[u8], at: usize) -> i64 {
    i64::from_ne_bytes(data[at..at + 8].try_into().expect("8 bytes"))
}

fn int(data: &[u8]) -> Option<String> {
    (data.len() == 4).then(|| format!(" {}", int_at(data, 0)))
}

fn uint(data: &[u8]) -> Option<String> {
    (data.len() == 4).then(|| format!(" {}", u32_at(data, 0)))
}

fn strerror(errno: i32) -> String {
    // SAFETY: strerror returns a valid NUL-terminated string; it is copied
    // at once (the GVL serializes callers of this binding).
    unsafe { std::ffi::CStr::from_ptr(libc::strerror(errno)) }
        .to_string_lossy()
        .into_owned()
}

fn errno(data: &[u8]) -> Option<String> {
    (data.len() == 4).then(|| {
        let e = int_at(data, 0);
        format!(" {} ({e})", strerror(e))
    })
}

fn socktype(data: &[u8]) -> Option<String> {
    (data.len() == 4).then(|| {
        let t = int_at(data, 0);
        match constants::int_to_name(Category::SockType, t as i64) {
            Some(name) => format!(" {name}"),
            None => format!(" {t}"),
        }
    })
}

fn linger(data: &[u8]) -> Option<String> {
    (data.len() == 8).then(|| {
        let onoff = match int_at(data, 0) {
            0 => " off".to_owned(),
            1 => " on".to_owned(),
            n => format!(" on({n})"),
        };
        format!("{onoff} {}sec", int_at(data, 4))
    })
}

fn timeval(data: &[u8]) -> Option<String> {
    (data.len() == 16).then(|| format!(" {}.{:06}sec", i64_at(data, 0), i64_at(data, 8)))
}

fn peercred(data: &[u8]) -> Option<String> {
    (data.len() == 12).then(|| {
        format!(
            " pid={} euid={} egid={} (ucred)",
            u32_at(data, 0),
            u32_at(data, 4),
            u32_at(data, 8)
        )
    })
}

fn ipv4(data: &[u8], at: usize) -> String {
    let b = &data[at..at + 4];
    format!("{}.{}.{}.{}", b[0], b[1], b[2], b[3])
}

/// stock's rb_if_indextoname: the interface name after `found`, or the
/// index after `missing`.
fn interface(found: &str, missing: &str, index: u32) -> String {
    match crate::core::sockaddr::if_name(index) {
        Some(name) => format!("{found}{name}"),
        None => format!("{missing}{index}"),
    }
}

/// struct ip_mreqn: multiaddr, address, ifindex.
fn ip_mreqn(data: &[u8]) -> String {
    format!(
        " {} {}{}",
        ipv4(data, 0),
        ipv4(data, 4),
        interface(" ", " ifindex:", int_at(data, 8) as u32)
    )
}

fn ipv4_multicast_if(data: &[u8]) -> Option<String> {
    match data.len() {
        4 => Some(format!(" {}", ipv4(data, 0))),
        12 => Some(ip_mreqn(data)),
        _ => None,
    }
}

fn ipv4_membership(data: &[u8]) -> Option<String> {
    match data.len() {
        8 => Some(format!(" {} {}", ipv4(data, 0), ipv4(data, 4))),
        12 => Some(ip_mreqn(data)),
        _ => None,
    }
}

fn ipv6_text(bytes: &[u8]) -> String {
    let octets: [u8; 16] = bytes.try_into().expect("16 bytes");
    std::net::Ipv6Addr::from(octets).to_string()
}

fn ipv6_multicast_if(data: &[u8]) -> Option<String> {
    (data.len() == 4).then(|| interface(" ", " ", u32_at(data, 0)))
}

fn ipv6_mreq(data: &[u8]) -> Option<String> {
    (data.len() == 20).then(|| {
        format!(
            " {}{}",
            ipv6_text(&data[..16]),
            interface(" ", " interface:", u32_at(data, 16))
        )
    })
}

const TCP_INFO_LEN: usize = 104;

fn tcp_info(data: &[u8]) -> Option<String> {
    if data.len() < TCP_INFO_LEN {
        return None;
    }
    let mut out = String::new();
    let states = [
        "ESTABLISHED",
        "SYN_SENT",
        "SYN_RECV",
        "FIN_WAIT1",
        "FIN_WAIT2",
        "TIME_WAIT",
        "CLOSED",
        "CLOSE_WAIT",
        "LAST_ACK",
        "LISTEN",
        "CLOSING",
    ];
    let state = data[0] as usize;
    match states.get(state.wrapping_sub(1)) {
        Some(name) if state >= 1 => out.push_str(&format!(" state={name}")),
        _ => out.push_str(&format!(" state={state}")),
    }
    let ca = ["Open", "Disorder", "CWR", "Recovery", "Loss"];
    match ca.get(data[1] as usize) {
        Some(name) => out.push_str(&format!(" ca_state={name}")),
        None => out.push_str(&format!(" ca_state={}", data[1])),
    }
    out.push_str(&format!(
        " retransmits={} probes={} backoff={}",
        data[2], data[3], data[4]
    ));
    let mut options = data[5];
    let mut names = Vec::new();
    for (bit, name) in [
        (1, "TIMESTAMPS"),
        (2, "SACK"),
        (4, "WSCALE"),
        (8, "ECN"),
        (16, "ECN_SEEN"),
        (32, "SYN_DATA"),
    ] {
        if options & bit != 0 {
            names.push(name.to_owned());
            options &= !bit;
        }
    }
    if options != 0 || names.is_empty() {
        names.push(options.to_string());
    }
    out.push_str(&format!(" options={}", names.join(",")));
    let field = |i: usize| u32_at(data, 8 + 4 * i);
    let usec = |v: u32| format!("{}.{:06}s", v / 1_000_000, v % 1_000_000);
    let msec = |v: u32| format!("{}.{:03}s", v / 1000, v % 1000);
    // The u32 fields of struct tcp_info in order, with their units.
    enum Unit {
        Count,
        Usec,
        Msec,
    }
    let fields = [
        ("rto", Unit::Usec),
        ("ato", Unit::Usec),
        ("snd_mss", Unit::Count),
        ("rcv_mss", Unit::Count),
        ("unacked", Unit::Count),
        ("sacked", Unit::Count),
        ("lost", Unit::Count),
        ("retrans", Unit::Count),
        ("fackets", Unit::Count),
        ("last_data_sent", Unit::Msec),
        ("last_ack_sent", Unit::Msec),
        ("last_data_recv", Unit::Msec),
        ("last_ack_recv", Unit::Msec),
        ("pmtu", Unit::Count),
        ("rcv_ssthresh", Unit::Count),
        ("rtt", Unit::Usec),
        ("rttvar", Unit::Usec),
        ("snd_ssthresh", Unit::Count),
        ("snd_cwnd", Unit::Count),
        ("advmss", Unit::Count),
        ("reordering", Unit::Count),
        ("rcv_rtt", Unit::Usec),
        ("rcv_space", Unit::Count),
        ("total_retrans", Unit::Count),
    ];
    for (i, (name, unit)) in fields.iter().enumerate() {
        let v = field(i);
        let text = match unit {
            Unit::Count => v.to_string(),
            Unit::Usec => usec(v),
            Unit::Msec => msec(v),
        };
        out.push_str(&format!(" {name}={text}"));
    }
    if data.len() > TCP_INFO_LEN {
        out.push_str(&format!(" ({} bytes too long)", data.len() - TCP_INFO_LEN));
    }
    Some(out)
}

/// The decoded value part (with its leading space), or None when stock
/// shows the raw data instead.
pub fn value(family: i32, level: i32, optname: i32, data: &[u8]) -> Option<String> {
    // Socket-level options are decoded whatever the family.
    let family = if level == libc::SOL_SOCKET {
        libc::AF_UNSPEC
    } else {
        family
    };
    match (family, level) {
        (libc::AF_UNSPEC, libc::SOL_SOCKET) => match optname {
            libc::SO_DEBUG
            | libc::SO_ACCEPTCONN
            | libc::SO_BROADCAST
            | libc::SO_REUSEADDR
            | libc::SO_KEEPALIVE
            | libc::SO_OOBINLINE
            | libc::SO_SNDBUF
            | libc::SO_RCVBUF
            | libc::SO_DONTROUTE
            | libc::SO_RCVLOWAT
            | libc::SO_SNDLOWAT => int(data),
            libc::SO_ERROR => errno(data),
            libc::SO_TYPE => socktype(data),
            libc::SO_LINGER => linger(data),
            libc::SO_RCVTIMEO | libc::SO_SNDTIMEO => timeval(data),
            libc::SO_PEERCRED => peercred(data),
            _ => None,
        },
        (libc::AF_INET | libc::AF_INET6, libc::IPPROTO_IP) => match optname {
            libc::IP_MULTICAST_IF => ipv4_multicast_if(data),
            libc::IP_ADD_MEMBERSHIP | libc::IP_DROP_MEMBERSHIP => ipv4_membership(data),
            libc::IP_MULTICAST_LOOP | libc::IP_MULTICAST_TTL => int(data),
            _ => None,
        },
        (libc::AF_INET | libc::AF_INET6, libc::IPPROTO_IPV6) => match optname {
            libc::IPV6_MULTICAST_HOPS | libc::IPV6_UNICAST_HOPS | libc::IPV6_V6ONLY => int(data),
            libc::IPV6_MULTICAST_IF => ipv6_multicast_if(data),
            libc::IPV6_MULTICAST_LOOP => uint(data),
            libc::IPV6_ADD_MEMBERSHIP | libc::IPV6_DROP_MEMBERSHIP => ipv6_mreq(data),
            _ => None,
        },
        (libc::AF_INET | libc::AF_INET6, libc::IPPROTO_TCP) => match optname {
            libc::TCP_NODELAY => int(data),
            libc::TCP_INFO => tcp_info(data),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_stock() {
        assert_eq!(names(2, 1, 9), "INET SOCKET KEEPALIVE");
        assert_eq!(names(1, 0, 1), "UNIX level:0 optname:1");
        assert_eq!(names(12345, 6, 1), "family:12345 level:6 optname:1");
        assert_eq!(names(2, 6, 1), "INET TCP NODELAY");
        assert_eq!(names(2, 17, 1234), "INET UDP optname:1234");
        assert_eq!(names(2, 1, 9999), "INET SOCKET optname:9999");
    }

    #[test]
    fn decoded_values() {
        let i = |v: i32| v.to_ne_bytes().to_vec();
        assert_eq!(value(2, 1, libc::SO_KEEPALIVE, &i(1)), Some(" 1".into()));
        assert_eq!(value(2, 1, libc::SO_KEEPALIVE, b"\x01"), None);
        assert_eq!(
            value(2, 1, libc::SO_TYPE, &i(1)),
            Some(" SOCK_STREAM".into())
        );
        assert_eq!(value(2, 1, libc::SO_TYPE, &i(99)), Some(" 99".into()));
        assert_eq!(
            value(2, 1, libc::SO_ERROR, &i(111)),
            Some(" Connection refused (111)".into())
        );
        let mut l = i(-3);
        l.extend(i(-2));
        assert_eq!(
            value(0, 1, libc::SO_LINGER, &l),
            Some(" on(-3) -2sec".into())
        );
        let mut tv = 1i64.to_ne_bytes().to_vec();
        tv.extend(500i64.to_ne_bytes());
        assert_eq!(
            value(2, 1, libc::SO_RCVTIMEO, &tv),
            Some(" 1.000500sec".into())
        );
        assert_eq!(
            value(2, 0, libc::IP_MULTICAST_IF, &[127, 0, 0, 1]),
            Some(" 127.0.0.1".into())
        );
        assert_eq!(
            value(10, 41, libc::IPV6_MULTICAST_LOOP, &i(-1)),
            Some(" 4294967295".into())
        );
        assert_eq!(value(2, 6, libc::TCP_INFO, &[0; 100]), None);
        let info = value(2, 6, libc::TCP_INFO, &[0; 106]).unwrap();
        assert!(info.starts_with(" state=0 ca_state=Open retransmits=0"));
        assert!(info.ends_with(" total_retrans=0 (2 bytes too long)"));
    }

    /// xorshift: deterministic "random" inputs without a dependency.
    fn next(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    #[test]
    fn random_option_data_never_panics() {
        let mut st = 0x2545_f491_4f6c_dd1du64;
        let families = [0, 1, 2, 10, 17, 99, -1, i32::MAX];
        let levels = [0, 1, 6, 17, 41, 255, -1, i32::MIN];
        for _ in 0..50_000 {
            let family = families[(next(&mut st) % families.len() as u64) as usize];
            let level = levels[(next(&mut st) % levels.len() as u64) as usize];
            let optname = (next(&mut st) % 80) as i32 - 4;
            let len = (next(&mut st) % 40) as usize;
            let data: Vec<u8> = (0..len).map(|_| next(&mut st) as u8).collect();
            let _ = names(family, level, optname);
            let _ = value(family, level, optname, &data);
        }
    }
}
