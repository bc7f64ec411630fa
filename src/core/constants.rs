//! The platform's socket constants and the name lookups built on them.
//!
//! Stock accepts a constant either by its full name ("AF_INET", "PF_INET") or
//! with the category's prefix dropped ("INET"); each [`Category`] says which
//! names belong to it and which prefixes may be dropped.

mod table {
    include!("constants_table.rs");
}

/// The constants the running Ruby's stock defines, (name, value), in the
/// table's preference order.
pub fn table() -> impl Iterator<Item = (&'static str, i64)> {
    let running = crate::compat::version();
    table::TABLE
        .iter()
        .filter(move |&&(_, _, since)| since <= running)
        .map(|&(name, value, _)| (name, value))
}

/// A family of constants that an argument or an inspect string draws from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Category {
    Family,
    ProtocolFamily,
    SockType,
    IpProto,
    /// Levels for IP sockets: SOL_SOCKET and IPPROTO_*.
    IpLevel,
    /// Levels for other sockets: SOL_SOCKET only.
    UnknownLevel,
    SoOptname,
    IpOptname,
    Ipv6Optname,
    TcpOptname,
    UdpOptname,
    ShutdownHow,
    ScmOptname,
    LocalOptname,
}

impl Category {
    /// Whether a full constant name is a member of this category.
    fn owns(self, name: &str) -> bool {
        match self {
            Category::Family => name.starts_with("AF_") || name.starts_with("PF_"),
            Category::ProtocolFamily => name.starts_with("PF_"),
            Category::SockType => name.starts_with("SOCK_"),
            Category::IpProto => name.starts_with("IPPROTO_"),
            Category::IpLevel => name == "SOL_SOCKET" || name.starts_with("IPPROTO_"),
            Category::UnknownLevel => name == "SOL_SOCKET",
            Category::SoOptname => name.starts_with("SO_"),
            Category::IpOptname => name.starts_with("IP_"),
            Category::Ipv6Optname => name.starts_with("IPV6_"),
            Category::TcpOptname => name.starts_with("TCP_"),
            Category::UdpOptname => name.starts_with("UDP_"),
            Category::ShutdownHow => name.starts_with("SHUT_"),
            Category::ScmOptname => name.starts_with("SCM_"),
            Category::LocalOptname => name.starts_with("LOCAL_"),
        }
    }

    /// The prefixes that may be left off a member's name.
    fn prefixes(self) -> &'static [&'static str] {
        match self {
            Category::Family => &["AF_"],
            Category::ProtocolFamily => &["PF_"],
            Category::SockType => &["SOCK_"],
            Category::IpProto => &["IPPROTO_"],
            Category::IpLevel => &["SOL_", "IPPROTO_"],
            Category::UnknownLevel => &["SOL_"],
            Category::SoOptname => &["SO_"],
            Category::IpOptname => &["IP_"],
            Category::Ipv6Optname => &["IPV6_"],
            Category::TcpOptname => &["TCP_"],
            Category::UdpOptname => &["UDP_"],
            Category::ShutdownHow => &["SHUT_"],
            Category::ScmOptname => &["SCM_"],
            Category::LocalOptname => &["LOCAL_"],
        }
    }
}

/// Every category, for building the lookup maps.
const ALL: [Category; 14] = [
    Category::Family,
    Category::ProtocolFamily,
    Category::SockType,
    Category::IpProto,
    Category::IpLevel,
    Category::UnknownLevel,
    Category::SoOptname,
    Category::IpOptname,
    Category::Ipv6Optname,
    Category::TcpOptname,
    Category::UdpOptname,
    Category::ShutdownHow,
    Category::ScmOptname,
    Category::LocalOptname,
];

/// Per-category lookups, built once: names (full and prefix-less) to values
/// and values to preferred full names. Lookups are on hot paths
/// (Socket.new("INET", ...), setsockopt(:SOCKET, :REUSEADDR)); scanning the
/// whole table with prefix tests each time showed up in profiles.
struct Maps {
    by_name: HashMap<&'static [u8], i64, FxBuild>,
    by_value: HashMap<i64, &'static str, FxBuild>,
}

type HashMap<K, V, S> = std::collections::HashMap<K, V, S>;

/// FxHash (rustc's hasher): the keys are short constant names, and SipHash's
/// DoS resistance is not needed for a fixed table; it was a third of a
/// lookup's time.
#[derive(Default, Clone, Copy)]
struct FxBuild;

#[derive(Default)]
struct Fx(u64);

impl std::hash::Hasher for Fx {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl std::hash::BuildHasher for FxBuild {
    type Hasher = Fx;
    fn build_hasher(&self) -> Fx {
        Fx::default()
    }
}

fn maps(category: Category) -> &'static Maps {
    static MAPS: std::sync::OnceLock<Vec<Maps>> = std::sync::OnceLock::new();
    let all = MAPS.get_or_init(|| {
        ALL.iter()
            .map(|&c| {
                let mut by_name = HashMap::default();
                let mut by_value = HashMap::default();
                // Table order decides ties, as a linear scan would: the first
                // member with a given spelling or value wins.
                for (full, value) in table().filter(|&(n, _)| c.owns(n)) {
                    by_name.entry(full.as_bytes()).or_insert(value);
                    for p in c.prefixes() {
                        if let Some(short) = full.strip_prefix(p) {
                            by_name.entry(short.as_bytes()).or_insert(value);
                        }
                    }
                    by_value.entry(value).or_insert(full);
                }
                Maps { by_name, by_value }
            })
            .collect()
    });
    &all[ALL.iter().position(|&c| c == category).expect("listed")]
}

/// Resolves an argument name ("INET", "AF_INET", "PF_INET") within a category,
/// byte for byte as stock does (case-sensitive, no trimming).
pub fn name_to_int(category: Category, name: &[u8]) -> Option<i64> {
    maps(category).by_name.get(name).copied()
}

/// The preferred full name of a value within a category ("AF_INET" for 2).
pub fn int_to_name(category: Category, value: i64) -> Option<&'static str> {
    maps(category).by_value.get(&value).copied()
}

/// The preferred name of a value with the category's prefix dropped ("INET").
pub fn int_to_short_name(category: Category, value: i64) -> Option<&'static str> {
    let full = int_to_name(category, value)?;
    Some(
        category
            .prefixes()
            .iter()
            .find_map(|p| full.strip_prefix(p))
            .unwrap_or(full),
    )
}

/// The option-name (and control-message type) category of an IP protocol
/// level: IP_*, IPV6_*, TCP_* or UDP_* names; None for other levels.
pub fn ip_optname_category(level: i32) -> Option<Category> {
    match level {
        libc::IPPROTO_IP => Some(Category::IpOptname),
        libc::IPPROTO_IPV6 => Some(Category::Ipv6Optname),
        libc::IPPROTO_TCP => Some(Category::TcpOptname),
        libc::IPPROTO_UDP => Some(Category::UdpOptname),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_by_every_spelling() {
        for name in ["INET", "AF_INET", "PF_INET"] {
            assert_eq!(name_to_int(Category::Family, name.as_bytes()), Some(2));
        }
        assert_eq!(name_to_int(Category::Family, b"inet"), None);
        assert_eq!(name_to_int(Category::Family, b"SOCK_STREAM"), None);
        assert_eq!(name_to_int(Category::Family, b"\xff"), None);
    }

    #[test]
    fn levels_and_optnames() {
        assert_eq!(name_to_int(Category::IpLevel, b"SOCKET"), Some(1));
        assert_eq!(name_to_int(Category::IpLevel, b"TCP"), Some(6));
        assert_eq!(name_to_int(Category::UnknownLevel, b"TCP"), None);
        assert_eq!(name_to_int(Category::SoOptname, b"REUSEADDR"), Some(2));
        assert_eq!(name_to_int(Category::TcpOptname, b"NODELAY"), Some(1));
        assert_eq!(name_to_int(Category::ShutdownHow, b"RDWR"), Some(2));
    }

    #[test]
    fn preferred_names() {
        assert_eq!(int_to_name(Category::Family, 1), Some("AF_UNIX"));
        assert_eq!(int_to_short_name(Category::Family, 10), Some("INET6"));
        assert_eq!(int_to_name(Category::SockType, 1), Some("SOCK_STREAM"));
        assert_eq!(int_to_name(Category::Family, 12345), None);
    }

    #[test]
    fn maps_agree_with_a_linear_scan() {
        let table: Vec<_> = table().collect();
        for c in ALL {
            for &(full, value) in table.iter() {
                let mut spellings = vec![full];
                spellings.extend(c.prefixes().iter().filter_map(|p| full.strip_prefix(p)));
                for name in spellings {
                    let scan = table.iter().find_map(|&(f, v)| {
                        (c.owns(f)
                            && (f == name
                                || c.prefixes().iter().any(|p| f.strip_prefix(p) == Some(name))))
                        .then_some(v)
                    });
                    assert_eq!(name_to_int(c, name.as_bytes()), scan, "{c:?} {name}");
                }
                let scan = table
                    .iter()
                    .find(|&&(f, v)| v == value && c.owns(f))
                    .map(|&(f, _)| f);
                assert_eq!(int_to_name(c, value), scan, "{c:?} {value}");
            }
        }
    }

    #[test]
    fn table_has_no_duplicate_names() {
        let mut names: Vec<_> = table::TABLE.iter().map(|(n, _, _)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), table::TABLE.len());
    }
}
