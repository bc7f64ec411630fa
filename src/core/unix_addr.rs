//! AF_UNIX socket addresses: packing a path, reading one back, and the way
//! stock prints a path in an error message.

use std::mem::{offset_of, size_of};

/// Room for a path in sockaddr_un (108 bytes on Linux).
pub const SUN_PATH_MAX: usize =
    size_of::<libc::sockaddr_un>() - offset_of!(libc::sockaddr_un, sun_path);

/// A path that does not fit in sun_path.
#[derive(Debug, PartialEq, Eq)]
pub struct TooLong {
    pub given: usize,
    pub max: usize,
}

/// Packs `path` as stock's UNIXSocket/UNIXServer do: a file path fills the
/// whole structure; an abstract name ("\0name") and the empty path (autobind)
/// use exactly the bytes given, as unix(7) requires.
pub fn pack(path: &[u8]) -> Result<Vec<u8>, TooLong> {
    if path.len() > SUN_PATH_MAX {
        return Err(TooLong {
            given: path.len(),
            max: SUN_PATH_MAX,
        });
    }
    let family = (libc::AF_UNIX as libc::sa_family_t).to_ne_bytes();
    let head = offset_of!(libc::sockaddr_un, sun_path);
    let len = match path.first() {
        None => size_of::<libc::sa_family_t>(),
        Some(0) => head + path.len(),
        Some(_) => size_of::<libc::sockaddr_un>(),
    };
    let mut out = vec![0u8; size_of::<libc::sockaddr_un>()];
    out[..family.len()].copy_from_slice(&family);
    out[head..head + path.len()].copy_from_slice(path);
    out.truncate(len);
    Ok(out)
}

/// The path of a packed sockaddr_un of `len` bytes, trailing NULs dropped
/// (stock's rsock_unixpath_str): "" for an unnamed socket.
pub fn path_of(sockaddr: &[u8]) -> &[u8] {
    let head = offset_of!(libc::sockaddr_un, sun_path);
    let Some(path) = sockaddr.get(head..) else {
        return &[];
    };
    let end = path.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    &path[..end]
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

    #[test]
    fn packs_file_abstract_and_autobind_paths() {
        let file = pack(b"/tmp/x").unwrap();
        assert_eq!(file.len(), size_of::<libc::sockaddr_un>());
        assert_eq!(path_of(&file), b"/tmp/x");
        let abs = pack(b"\0name").unwrap();
        assert_eq!(abs.len(), 2 + 5);
        assert_eq!(path_of(&abs), b"\0name");
        assert_eq!(pack(b"").unwrap().len(), 2);
        assert_eq!(path_of(&pack(b"").unwrap()), b"");
        assert_eq!(pack(&[b'a'; 108]).unwrap().len(), 110);
        assert_eq!(
            pack(&[b'a'; 109]),
            Err(TooLong {
                given: 109,
                max: 108
            })
        );
    }

    #[test]
    fn path_of_short_buffers() {
        assert_eq!(path_of(&[]), b"");
        assert_eq!(path_of(&[1]), b"");
        assert_eq!(path_of(&[1, 0, 0, 0]), b"");
    }

    #[test]
    fn escapes_like_stock() {
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

    #[test]
    fn random_bytes_never_panic() {
        let mut seed = 0x2545F4914F6CDD1Du64;
        for _ in 0..2000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 130) as usize;
            let bytes: Vec<u8> = (0..len).map(|i| (seed >> (i % 56)) as u8).collect();
            let _ = escape_for_message(&bytes, seed & 1 == 0);
            let _ = path_of(&bytes);
            let _ = pack(&bytes);
        }
    }
}
