//! Name resolution: the numeric fast path (stock's numeric_getaddrinfo,
//! answered without getaddrinfo(3)), getaddrinfo(3)/getnameinfo(3) wrappers
//! that return plain Rust values, and a worker-thread runner the caller can
//! wait on through a descriptor and abandon (so a Ruby thread waiting for a
//! slow resolver stays interruptible).

use crate::core::sockaddr;
use std::ffi::{CStr, CString};
use std::net::Ipv6Addr;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::{Arc, Mutex};

/// One getaddrinfo result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddrInfo {
    pub family: i32,
    pub socktype: i32,
    pub protocol: i32,
    pub addr: SmallBytes,
    pub canonname: Option<Vec<u8>>,
}

/// struct addrinfo hints.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hints {
    pub family: i32,
    pub socktype: i32,
    pub protocol: i32,
    pub flags: i32,
}

/// A getaddrinfo/getnameinfo failure: the EAI_* code and, for EAI_SYSTEM,
/// the errno seen right after the call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GaiError {
    pub code: i32,
    pub errno: i32,
}

impl GaiError {
    pub fn new(code: i32) -> Self {
        GaiError { code, errno: 0 }
    }
}

/// Bytes kept inline when short, as hosts and services usually are: spares
/// an allocation per call on the numeric fast path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SmallBytes {
    Inline([u8; 47], u8),
    Heap(Vec<u8>),
}

impl SmallBytes {
    pub fn new(b: &[u8]) -> Self {
        if b.len() <= 47 {
            let mut buf = [0u8; 47];
            buf[..b.len()].copy_from_slice(b);
            SmallBytes::Inline(buf, b.len() as u8)
        } else {
            SmallBytes::Heap(b.to_vec())
        }
    }

    /// The decimal text of `v` (what "%ld" prints).
    pub fn decimal(v: i64) -> Self {
        let mut buf = [0u8; 47];
        let mut i = buf.len();
        let mut u = v.unsigned_abs();
        loop {
            i -= 1;
            buf[i] = b'0' + (u % 10) as u8;
            u /= 10;
            if u == 0 {
                break;
            }
        }
        if v < 0 {
            i -= 1;
            buf[i] = b'-';
        }
        SmallBytes::new(&buf[i..])
    }
}

impl std::ops::Deref for SmallBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            SmallBytes::Inline(buf, len) => &buf[..*len as usize],
            SmallBytes::Heap(v) => v,
        }
    }
}

/// gai_strerror(3).
pub fn gai_strerror(code: i32) -> String {
    // SAFETY: gai_strerror returns a pointer to a static string.
    let p = unsafe { libc::gai_strerror(code) };
    if p.is_null() {
        return format!("Unknown error {code}");
    }
    // SAFETY: non-null, NUL-terminated, static.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

/// stock's parse_numeric_port: no service is port 0; otherwise only ASCII
/// digits (the empty string too) with a value below 65536.
pub fn parse_numeric_port(service: Option<&[u8]>) -> Option<u16> {
    let Some(s) = service else { return Some(0) };
    if !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u32 = 0;
    for &d in s {
        v = v * 10 + (d - b'0') as u32;
        if v >= 0x10000 {
            return None;
        }
    }
    Some(v as u16)
}

/// stock's str_is_number (strtoul consumes the whole non-empty string): used
/// by the "socktype hack" that asks for SOCK_DGRAM when the port is numeric.
pub fn str_is_number(service: Option<&[u8]>) -> bool {
    let Some(s) = service else { return false };
    let s = match s.iter().position(|&b| !b" \t\n\x0b\x0c\r".contains(&b)) {
        Some(i) => &s[i..],
        None => return false,
    };
    let s = s
        .strip_prefix(b"+")
        .or_else(|| s.strip_prefix(b"-"))
        .unwrap_or(s);
    !s.is_empty() && s.iter().all(u8::is_ascii_digit)
}

extern "C" {
    // libc's inet_pton(3); the libc crate does not bind it on this target.
    fn inet_pton(af: libc::c_int, src: *const libc::c_char, dst: *mut libc::c_void) -> libc::c_int;
}

/// inet_pton(3) of `af` on a string without NUL bytes.
fn pton<const N: usize>(af: i32, node: &[u8]) -> Option<[u8; N]> {
    let mut buf = [0u8; 64];
    if node.len() >= buf.len() {
        return None;
    }
    buf[..node.len()].copy_from_slice(node);
    let mut out = [0u8; N];
    // SAFETY: buf is NUL-terminated; out has room for the address of `af`
    // (4 bytes for AF_INET, 16 for AF_INET6).
    let ok = unsafe { inet_pton(af, buf.as_ptr().cast(), out.as_mut_ptr().cast()) };
    (ok == 1).then_some(out)
}

/// glibc's inet_pton4, step for step: four decimal octets, none above 255,
/// no leading zeros.
pub fn inet_pton4(src: &[u8]) -> Option<[u8; 4]> {
    let mut tmp = [0u8; 4];
    let (mut tp, mut octets, mut saw_digit) = (0usize, 0, false);
    for &ch in src {
        if ch.is_ascii_digit() {
            let new = tmp[tp] as u32 * 10 + (ch - b'0') as u32;
            if saw_digit && tmp[tp] == 0 {
                return None;
            }
            if new > 255 {
                return None;
            }
            tmp[tp] = new as u8;
            if !saw_digit {
                octets += 1;
                if octets > 4 {
                    return None;
                }
                saw_digit = true;
            }
        } else if ch == b'.' && saw_digit {
            if octets == 4 {
                return None;
            }
            tp += 1;
            tmp[tp] = 0;
            saw_digit = false;
        } else {
            return None;
        }
    }
    (octets == 4).then_some(tmp)
}

/// The sockaddr a numeric host and port give (the address part of
/// [`numeric_getaddrinfo`], for callers that only want the first result).
pub fn numeric_sockaddr(node: &[u8], port: u16, family: i32) -> Option<(i32, SmallBytes)> {
    let hexish = |b: &u8| b.is_ascii_hexdigit() || *b == b'.' || *b == b':';
    let dotted = |b: &u8| b.is_ascii_digit() || *b == b'.';
    // inet_pton(AF_INET6) needs a ':'; skipping it otherwise only saves time.
    if (family == libc::AF_UNSPEC || family == libc::AF_INET6)
        && node.contains(&b':')
        && node.iter().all(hexish)
    {
        if let Some(a) = pton::<16>(libc::AF_INET6, node) {
            let sa = sockaddr::sockaddr_in6(Ipv6Addr::from(a), port, 0);
            return Some((libc::AF_INET6, SmallBytes::new(&sa)));
        }
    }
    if (family == libc::AF_UNSPEC || family == libc::AF_INET) && node.iter().all(dotted) {
        if let Some(a) = inet_pton4(node) {
            let mut sa = [0u8; sockaddr::SOCKADDR_IN_LEN];
            sa[..2].copy_from_slice(&(libc::AF_INET as u16).to_ne_bytes());
            sa[2..4].copy_from_slice(&port.to_be_bytes());
            sa[4..8].copy_from_slice(&a);
            return Some((libc::AF_INET, SmallBytes::new(&sa)));
        }
    }
    None
}

/// stock's numeric_getaddrinfo: a numeric IPv4/IPv6 host with a numeric (or
/// no) port, answered without getaddrinfo(3). The flags are ignored and the
/// socktype/protocol sets are stock's, in its order. None when the input is
/// not numeric: the caller then asks getaddrinfo(3).
pub fn numeric_getaddrinfo(
    node: Option<&[u8]>,
    service: Option<&[u8]>,
    hints: &Hints,
) -> Option<Vec<AddrInfo>> {
    let node = node?;
    let port = parse_numeric_port(service)?;
    const LIST: [(i32, i32); 3] = [
        (libc::SOCK_STREAM, libc::IPPROTO_TCP),
        (libc::SOCK_DGRAM, libc::IPPROTO_UDP),
        (libc::SOCK_RAW, 0),
    ];
    let (family, sa) = numeric_sockaddr(node, port, hints.family)?;
    let out: Vec<AddrInfo> = LIST
        .iter()
        .filter(|&&(st, pr)| {
            (hints.socktype == 0 || hints.socktype == st)
                && (hints.protocol == 0 || pr == 0 || hints.protocol == pr)
        })
        .map(|&(st, pr)| AddrInfo {
            family,
            socktype: st,
            protocol: if hints.protocol != 0 {
                hints.protocol
            } else {
                pr
            },
            addr: sa.clone(),
            canonname: None,
        })
        .collect();
    (!out.is_empty()).then_some(out)
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// getaddrinfo(3). Blocks: call it off the Ruby thread (see [`Background`])
/// unless the input is numeric.
pub fn getaddrinfo(
    node: Option<&CStr>,
    service: Option<&CStr>,
    hints: &Hints,
) -> Result<Vec<AddrInfo>, GaiError> {
    // SAFETY: addrinfo is plain old data; all-zero is a valid hints value.
    let mut h: libc::addrinfo = unsafe { std::mem::zeroed() };
    h.ai_family = hints.family;
    h.ai_socktype = hints.socktype;
    h.ai_protocol = hints.protocol;
    h.ai_flags = hints.flags;
    let mut res: *mut libc::addrinfo = std::ptr::null_mut();
    // SAFETY: the strings are NUL-terminated or null; res receives a list we
    // free below.
    let code = unsafe {
        libc::getaddrinfo(
            node.map_or(std::ptr::null(), CStr::as_ptr),
            service.map_or(std::ptr::null(), CStr::as_ptr),
            &h,
            &mut res,
        )
    };
    if code != 0 {
        return Err(GaiError {
            code,
            errno: errno(),
        });
    }
    let mut out = Vec::new();
    let mut p = res;
    while !p.is_null() {
        // SAFETY: p walks the list getaddrinfo returned, not yet freed.
        let ai = unsafe { &*p };
        let addr = if ai.ai_addr.is_null() {
            SmallBytes::new(&[])
        } else {
            // SAFETY: ai_addr points to ai_addrlen bytes.
            SmallBytes::new(unsafe {
                std::slice::from_raw_parts(ai.ai_addr.cast::<u8>(), ai.ai_addrlen as usize)
            })
        };
        let canonname = (!ai.ai_canonname.is_null()).then(|| {
            // SAFETY: a non-null canonname is a NUL-terminated string.
            unsafe { CStr::from_ptr(ai.ai_canonname) }
                .to_bytes()
                .to_vec()
        });
        out.push(AddrInfo {
            family: ai.ai_family,
            socktype: ai.ai_socktype,
            protocol: ai.ai_protocol,
            addr,
            canonname,
        });
        p = ai.ai_next;
    }
    // SAFETY: res came from a successful getaddrinfo and is freed once.
    unsafe { libc::freeaddrinfo(res) };
    Ok(out)
}

/// Whether getaddrinfo(3) can answer without consulting name services
/// (hosts, DNS, services databases), and so cannot hang: no node or a node
/// it must take numerically, and no service or a numeric one. Such calls are
/// made on the calling thread (the wildcard and loopback addresses of
/// servers, for instance).
pub fn lookup_free(has_node: bool, service: Option<&[u8]>, hints: &Hints) -> bool {
    let node_ok = !has_node || hints.flags & libc::AI_NUMERICHOST != 0;
    let service_ok = match service {
        None => true,
        Some(s) => {
            hints.flags & libc::AI_NUMERICSERV != 0
                || (!s.is_empty() && s.iter().all(u8::is_ascii_digit))
        }
    };
    node_ok && service_ok
}

/// Numeric getnameinfo flags: with both, getnameinfo(3) never blocks.
pub const NUMERIC: i32 = libc::NI_NUMERICHOST | libc::NI_NUMERICSERV;

/// Whether getnameinfo(sa, flags) can be answered on the calling thread.
pub fn getnameinfo_is_quick(sa: &[u8], flags: i32) -> bool {
    let fam = sockaddr::family(sa);
    flags & NUMERIC == NUMERIC || (fam != libc::AF_INET && fam != libc::AF_INET6)
}

/// getnameinfo(3) asking for host and service, as stock calls it (1024-byte
/// buffers). Blocks unless [`getnameinfo_is_quick`].
pub fn getnameinfo(sa: &[u8], flags: i32) -> Result<(Vec<u8>, Vec<u8>), GaiError> {
    // Fast and exact for the numeric IP case, which Addrinfo#inspect-like
    // helpers hit constantly.
    if flags & NUMERIC == NUMERIC && flags & !(NUMERIC | libc::NI_DGRAM) == 0 {
        if let (Ok(host), Some(port)) = (sockaddr::numeric_host(sa), sockaddr::port(sa)) {
            let mut serv = String::with_capacity(5);
            sockaddr::push_u32(&mut serv, port as u32);
            return Ok((host.as_bytes().to_vec(), serv.into_bytes()));
        }
    }
    // glibc reads sun_path up to a NUL whatever the length: give it stock's
    // zero-filled union_sockaddr.
    let mut storage = [0u8; sockaddr::ADDRINFO_MAX];
    let len = sa.len().min(storage.len());
    storage[..len].copy_from_slice(&sa[..len]);
    let mut host = [0u8; 1024];
    let mut serv = [0u8; 1024];
    // SAFETY: storage holds `len` bytes of the sockaddr; the buffers are
    // writable for their full lengths.
    let code = unsafe {
        libc::getnameinfo(
            storage.as_ptr().cast(),
            len as libc::socklen_t,
            host.as_mut_ptr().cast(),
            host.len() as libc::socklen_t,
            serv.as_mut_ptr().cast(),
            serv.len() as libc::socklen_t,
            flags,
        )
    };
    if code != 0 {
        return Err(GaiError {
            code,
            errno: errno(),
        });
    }
    let cut = |b: &[u8]| b[..b.iter().position(|&c| c == 0).unwrap_or(b.len())].to_vec();
    Ok((cut(&host), cut(&serv)))
}

/// Owned C strings for a getaddrinfo call made on another thread.
#[derive(Clone, Debug)]
pub struct Query {
    pub node: Option<CString>,
    pub service: Option<CString>,
    pub hints: Hints,
}

impl Query {
    pub fn run(&self) -> Result<Vec<AddrInfo>, GaiError> {
        getaddrinfo(self.node.as_deref(), self.service.as_deref(), &self.hints)
    }
}

struct Shared<T> {
    ready: OwnedFd,
    slot: Mutex<Option<T>>,
}

/// A computation running on a pool thread. [`Background::fd`] becomes
/// readable when the result is in; dropping the handle abandons it (the
/// thread finishes on its own and frees everything).
pub struct Background<T> {
    shared: Arc<Shared<T>>,
}

/// A job gets a callback that returns its worker to the idle count: it
/// calls it before it signals its caller, so a caller that submits again at
/// once finds that worker free rather than starting another.
type Job = Box<dyn FnOnce(&dyn Fn()) + Send>;

/// A pool of resolver threads, reused across calls (starting a thread per
/// lookup costs more than the lookup). A worker that is stuck in a slow
/// lookup keeps only its own job; new jobs get an idle worker or a new one.
struct Pool {
    tx: std::sync::mpsc::Sender<Job>,
    rx: Arc<Mutex<std::sync::mpsc::Receiver<Job>>>,
    idle: Arc<std::sync::atomic::AtomicUsize>,
}

static POOL: Mutex<Option<Pool>> = Mutex::new(None);

/// Set in a forked child (pthread_atfork), whose copy of the pool has no
/// threads behind it. Cheaper than comparing getpid(2) on every lookup.
static FORKED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

extern "C" fn mark_forked() {
    FORKED.store(true, std::sync::atomic::Ordering::Relaxed);
}

impl Pool {
    fn new() -> Pool {
        let (tx, rx) = std::sync::mpsc::channel();
        static ATFORK: std::sync::Once = std::sync::Once::new();
        // SAFETY: registers a child handler that only stores to an atomic,
        // which is async-signal-safe as a post-fork handler must be.
        ATFORK.call_once(|| unsafe {
            libc::pthread_atfork(None, None, Some(mark_forked));
        });
        Pool {
            tx,
            rx: Arc::new(Mutex::new(rx)),
            idle: Arc::new(std::sync::atomic::AtomicUsize::new(0)),
        }
    }

    fn spawn_worker(&self) -> std::io::Result<()> {
        let rx = Arc::clone(&self.rx);
        let idle = Arc::clone(&self.idle);
        std::thread::Builder::new()
            .name("socket_rs-resolver".into())
            .stack_size(1024 * 1024)
            .spawn(move || loop {
                let job = match rx.lock() {
                    Ok(rx) => rx.recv(),
                    Err(_) => return,
                };
                match job {
                    Ok(job) => job(&|| {
                        idle.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
                    }),
                    Err(_) => return,
                }
            })?;
        Ok(())
    }

    /// Queues `job`, first making sure a worker is free to take it.
    fn submit(job: Job) -> std::io::Result<()> {
        use std::sync::atomic::Ordering;
        let mut guard = POOL.lock().unwrap_or_else(|e| e.into_inner());
        let forked = FORKED.swap(false, Ordering::Relaxed);
        if guard.is_none() || forked {
            // After fork(2) the workers are gone (and may have held the old
            // queue's lock): start afresh without touching the old pool.
            if let Some(old) = guard.take() {
                std::mem::forget(old);
            }
            *guard = Some(Pool::new());
        }
        let pool = guard.as_ref().expect("set above");
        loop {
            let n = pool.idle.load(Ordering::Acquire);
            if n == 0 {
                pool.spawn_worker()?;
                break;
            }
            if pool
                .idle
                .compare_exchange(n, n - 1, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                break;
            }
        }
        pool.tx
            .send(job)
            .map_err(|_| std::io::Error::other("resolver pool closed"))
    }
}

impl<T: Send + 'static> Background<T> {
    /// Starts `f` on a pool thread. Err when no eventfd or thread could be had.
    pub fn spawn(f: impl FnOnce() -> T + Send + 'static) -> std::io::Result<Self> {
        let ready = crate::core::sys::eventfd()?;
        let shared = Arc::new(Shared {
            ready,
            slot: Mutex::new(None),
        });
        let theirs = Arc::clone(&shared);
        Pool::submit(Box::new(move |now_idle: &dyn Fn()| {
            // A panic must not leave the caller waiting for a signal that
            // never comes: it is signalled with an empty slot instead.
            if let Ok(v) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
                if let Ok(mut slot) = theirs.slot.lock() {
                    *slot = Some(v);
                }
            }
            now_idle();
            crate::core::sys::signal_eventfd(theirs.ready.as_fd());
        }))?;
        Ok(Background { shared })
    }

    /// The descriptor to wait on for readability.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.shared.ready.as_fd()
    }

    /// The result, once the thread has stored it (None before that, or
    /// after the descriptor turned readable if the computation panicked).
    pub fn take(&self) -> Option<T> {
        self.shared.slot.lock().ok()?.take()
    }
}

/// getservbyname(3) of the services database, then, as stock, the name
/// read as a number (strtoul, any base); None when it is neither.
pub fn service_port(name: &CStr, proto: &CStr) -> Option<u64> {
    // SAFETY: both strings are NUL-terminated; the servent is read at once.
    let sp = unsafe { libc::getservbyname(name.as_ptr(), proto.as_ptr()) };
    if !sp.is_null() {
        // SAFETY: a non-null servent from getservbyname.
        return Some(u64::from(u16::from_be(unsafe { (*sp).s_port } as u16)));
    }
    let mut end: *mut libc::c_char = std::ptr::null_mut();
    // SAFETY: strtoul reads the NUL-terminated string and sets `end` within it.
    let port = unsafe { libc::strtoul(name.as_ptr(), &mut end, 0) };
    // SAFETY: end points into name's buffer.
    (unsafe { *end } == 0).then_some(port as u64)
}

/// getservbyport(3): the service name of `port`, None when it has none.
pub fn service_name(port: u16, proto: &CStr) -> Option<Vec<u8>> {
    // SAFETY: proto is NUL-terminated; the servent is read at once.
    let sp = unsafe { libc::getservbyport(i32::from(port.to_be()), proto.as_ptr()) };
    if sp.is_null() {
        return None;
    }
    // SAFETY: a non-null servent with a NUL-terminated name.
    Some(unsafe { CStr::from_ptr((*sp).s_name) }.to_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    fn hints(family: i32, socktype: i32, protocol: i32) -> Hints {
        Hints {
            family,
            socktype,
            protocol,
            flags: 0,
        }
    }

    #[test]
    fn ipv4_like_glibc() {
        for (text, want) in [
            ("127.0.0.1", Some([127, 0, 0, 1])),
            ("0.0.0.0", Some([0, 0, 0, 0])),
            ("255.255.255.255", Some([255; 4])),
            ("256.1.1.1", None),
            ("01.2.3.4", None),
            ("1.2.3", None),
            ("1.2.3.4.", None),
            ("1.2.3.4.5", None),
            (".1.2.3", None),
            ("1..2.3", None),
            ("", None),
            ("1.2.3.04", None),
        ] {
            assert_eq!(inet_pton4(text.as_bytes()), want, "{text}");
            assert_eq!(pton::<4>(libc::AF_INET, text.as_bytes()), want, "{text}");
        }
    }

    #[test]
    fn lookup_free_cases() {
        let plain = Hints::default();
        let numeric_host = Hints {
            flags: libc::AI_NUMERICHOST,
            ..plain
        };
        assert!(lookup_free(false, Some(b"80"), &plain));
        assert!(lookup_free(false, None, &plain));
        assert!(!lookup_free(false, Some(b"http"), &plain));
        assert!(!lookup_free(true, Some(b"80"), &plain));
        assert!(lookup_free(true, Some(b"80"), &numeric_host));
        assert!(!lookup_free(true, Some(b""), &numeric_host));
    }

    #[test]
    fn small_bytes() {
        for v in [0i64, 80, -1, i64::MIN, i64::MAX, 1 << 40] {
            assert_eq!(&*SmallBytes::decimal(v), v.to_string().as_bytes());
        }
        assert_eq!(&*SmallBytes::new(&[7u8; 100]), &[7u8; 100][..]);
        assert_eq!(&*SmallBytes::new(b"localhost"), b"localhost");
    }

    #[test]
    fn ports() {
        assert_eq!(parse_numeric_port(None), Some(0));
        assert_eq!(parse_numeric_port(Some(b"")), Some(0));
        assert_eq!(parse_numeric_port(Some(b"0080")), Some(80));
        assert_eq!(parse_numeric_port(Some(b"65535")), Some(65535));
        assert_eq!(parse_numeric_port(Some(b"65536")), None);
        assert_eq!(parse_numeric_port(Some(b"99999999999999999999999")), None);
        assert_eq!(parse_numeric_port(Some(b"-1")), None);
        assert_eq!(parse_numeric_port(Some(b"http")), None);
        assert!(str_is_number(Some(b" -12")));
        assert!(!str_is_number(Some(b"")));
        assert!(!str_is_number(Some(b"1x")));
        assert!(!str_is_number(None));
    }

    #[test]
    fn numeric_sets_and_order() {
        let r = numeric_getaddrinfo(Some(b"127.0.0.1"), Some(b"80"), &Hints::default()).unwrap();
        let triples: Vec<_> = r
            .iter()
            .map(|a| (a.family, a.socktype, a.protocol))
            .collect();
        assert_eq!(triples, vec![(2, 1, 6), (2, 2, 17), (2, 3, 0)]);
        let r = numeric_getaddrinfo(Some(b"::1"), None, &hints(0, 0, 99)).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!((r[0].socktype, r[0].protocol), (3, 99));
        assert!(numeric_getaddrinfo(Some(b"::1"), None, &hints(2, 0, 0)).is_none());
        assert!(numeric_getaddrinfo(Some(b"127.0.0.1"), None, &hints(10, 0, 0)).is_none());
        assert!(numeric_getaddrinfo(Some(b"localhost"), None, &Hints::default()).is_none());
        assert!(numeric_getaddrinfo(None, Some(b"80"), &Hints::default()).is_none());
        assert!(numeric_getaddrinfo(Some(b"fe80::1%1"), None, &Hints::default()).is_none());
        assert!(numeric_getaddrinfo(Some(b"1.2.3.4"), Some(b"http"), &Hints::default()).is_none());
        let r = numeric_getaddrinfo(Some(b"::ffff:1.2.3.4"), Some(b"1"), &hints(0, 2, 0)).unwrap();
        assert_eq!(
            &*r[0].addr,
            &sockaddr::sockaddr_in6("::ffff:1.2.3.4".parse().unwrap(), 1, 0)[..]
        );
    }

    #[test]
    fn real_resolver_and_background() {
        let q = Query {
            node: Some(CString::new("127.0.0.1").unwrap()),
            service: Some(CString::new("80").unwrap()),
            hints: Hints::default(),
        };
        let want = q.run().unwrap();
        let bg = Background::spawn(move || q.run()).unwrap();
        let mut pfd = libc::pollfd {
            fd: bg.fd().as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one pollfd we own.
        assert_eq!(unsafe { libc::poll(&mut pfd, 1, 10_000) }, 1);
        assert_eq!(bg.take().unwrap().unwrap(), want);
        assert!(!gai_strerror(libc::EAI_NONAME).is_empty());
        let (h, s) = getnameinfo(&want[0].addr, NUMERIC).unwrap();
        assert_eq!(
            (h.as_slice(), s.as_slice()),
            (&b"127.0.0.1"[..], &b"80"[..])
        );
    }

    #[test]
    fn panicking_job_still_signals() {
        let bg = Background::<u8>::spawn(|| panic!("boom")).unwrap();
        let mut pfd = libc::pollfd {
            fd: bg.fd().as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one pollfd we own.
        assert_eq!(unsafe { libc::poll(&mut pfd, 1, 10_000) }, 1);
        assert_eq!(bg.take(), None);
        // The pool still works afterwards.
        let ok = Background::spawn(|| 7u8).unwrap();
        pfd.fd = ok.fd().as_raw_fd();
        // SAFETY: as above.
        assert_eq!(unsafe { libc::poll(&mut pfd, 1, 10_000) }, 1);
        assert_eq!(ok.take(), Some(7));
    }

    #[test]
    fn abandoned_background_cleans_up() {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let bg = Background::spawn(move || {
            let _ = rx.recv_timeout(std::time::Duration::from_secs(5));
            42
        })
        .unwrap();
        assert_eq!(bg.take(), None);
        let fd = bg.fd().as_raw_fd();
        // The caller gives up; the worker still holds the eventfd.
        drop(bg);
        // SAFETY: F_GETFD only queries the descriptor.
        assert!(unsafe { libc::fcntl(fd, libc::F_GETFD) } >= 0);
        tx.send(()).unwrap();
        for _ in 0..500 {
            // SAFETY: as above.
            if unsafe { libc::fcntl(fd, libc::F_GETFD) } < 0 {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        panic!("the worker did not close its eventfd");
    }

    #[test]
    fn random_input_never_panics() {
        let mut st = 0x1234_5678_9abc_def1u64;
        let alphabet = b"0123456789abcdefABCDEF.:%x -";
        for _ in 0..5_000 {
            st ^= st << 13;
            st ^= st >> 7;
            st ^= st << 17;
            let len = (st % 70) as usize;
            let node: Vec<u8> = (0..len)
                .map(|i| alphabet[((st >> (i % 50)) as usize + i) % alphabet.len()])
                .collect();
            let _ = numeric_getaddrinfo(Some(&node), Some(&node[..len / 2]), &Hints::default());
            let _ = parse_numeric_port(Some(&node));
            let _ = str_is_number(Some(&node));
        }
    }
}

/// What /etc/hosts and /etc/nsswitch.conf say, read once per change of
/// either file (keyed by their mtime and size).
struct HostsFile {
    key: Option<(std::time::SystemTime, u64, std::time::SystemTime, u64)>,
    /// When the files were last looked at: at most once a second.
    checked: Option<std::time::Instant>,
    /// "hosts:" starts with "files": a name found there never reaches DNS.
    files_first: bool,
    /// Lower-cased names and aliases, with whether they have IPv4/IPv6 entries.
    names: std::collections::BTreeMap<Vec<u8>, (bool, bool)>,
    /// Recent answers of [`hosts_file_getaddrinfo`].
    answers: std::collections::BTreeMap<AnswerKey, (std::time::Instant, Vec<AddrInfo>)>,
}

/// node, service and hints of a lookup.
type AnswerKey = (Vec<u8>, Option<Vec<u8>>, Hints);

/// How long an answer of [`hosts_file_getaddrinfo`] is reused, and how many
/// are kept.
const ANSWER_LIFETIME: std::time::Duration = std::time::Duration::from_secs(1);
const ANSWERS_KEPT: usize = 64;

static HOSTS_FILE: Mutex<HostsFile> = Mutex::new(HostsFile {
    key: None,
    checked: None,
    files_first: false,
    names: std::collections::BTreeMap::new(),
    answers: std::collections::BTreeMap::new(),
});

fn file_key(path: &str) -> Option<(std::time::SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

/// Whether the "hosts:" line of an nsswitch.conf text names "files" first.
fn nsswitch_files_first(text: &str) -> bool {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .find_map(|l| l.trim_start().strip_prefix("hosts:"))
        .and_then(|rest| rest.split_whitespace().next())
        == Some("files")
}

/// The names of an /etc/hosts text with the families they have entries for.
fn parse_hosts(text: &str) -> std::collections::BTreeMap<Vec<u8>, (bool, bool)> {
    let mut names: std::collections::BTreeMap<Vec<u8>, (bool, bool)> = Default::default();
    for line in text.lines() {
        let mut words = line.split('#').next().unwrap_or("").split_whitespace();
        let Some(addr) = words.next() else { continue };
        let v4 = addr.parse::<std::net::Ipv4Addr>().is_ok();
        let v6 = addr.parse::<std::net::Ipv6Addr>().is_ok();
        if !v4 && !v6 {
            continue;
        }
        for name in words {
            let entry = names
                .entry(name.to_ascii_lowercase().into_bytes())
                .or_default();
            entry.0 |= v4;
            entry.1 |= v6;
        }
    }
    names
}

/// Whether getaddrinfo(3) answers `node` for `family` from /etc/hosts
/// alone, without DNS: "files" comes first for hosts and the file has an
/// entry of that family for the name (any family for AF_UNSPEC). Such a
/// lookup cannot hang, so it is made on the calling thread, as stock does
/// for every lookup.
pub fn answered_by_hosts_file(node: &[u8], family: i32) -> bool {
    let Ok(mut cache) = HOSTS_FILE.lock() else {
        return false;
    };
    let now = std::time::Instant::now();
    if cache
        .checked
        .is_none_or(|t| now.duration_since(t).as_secs() >= 1)
    {
        cache.checked = Some(now);
        let key = match (file_key("/etc/hosts"), file_key("/etc/nsswitch.conf")) {
            (Some(h), Some(n)) => Some((h.0, h.1, n.0, n.1)),
            _ => None,
        };
        if key.is_none() {
            cache.key = None;
            cache.files_first = false;
        } else if cache.key != key {
            let hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
            let nss = std::fs::read_to_string("/etc/nsswitch.conf").unwrap_or_default();
            cache.files_first = nsswitch_files_first(&nss);
            cache.names = parse_hosts(&hosts);
            cache.answers.clear();
            cache.key = key;
        }
    }
    if !cache.files_first {
        return false;
    }
    match cache.names.get(&node.to_ascii_lowercase()) {
        Some(&(v4, v6)) => match family {
            libc::AF_INET => v4,
            libc::AF_INET6 => v6,
            libc::AF_UNSPEC => v4 || v6,
            _ => false,
        },
        None => false,
    }
}

/// getaddrinfo(3) of a name that [`answered_by_hosts_file`], reusing a
/// recent answer: glibc reads /etc/hosts anew on every call (and asks the
/// kernel for the interfaces to sort two addresses or more), which is most
/// of what connecting to "localhost" costs. An answer is reused for at most
/// [`ANSWER_LIFETIME`], and only while neither /etc/hosts nor
/// /etc/nsswitch.conf changed as seen by [`answered_by_hosts_file`];
/// failures are never kept.
pub fn hosts_file_getaddrinfo(
    node: &CStr,
    service: Option<&CStr>,
    hints: &Hints,
) -> Result<Vec<AddrInfo>, GaiError> {
    let key: AnswerKey = (
        node.to_bytes().to_vec(),
        service.map(|s| s.to_bytes().to_vec()),
        *hints,
    );
    if let Ok(cache) = HOSTS_FILE.lock() {
        if let Some((at, list)) = cache.answers.get(&key) {
            if at.elapsed() < ANSWER_LIFETIME {
                return Ok(list.clone());
            }
        }
    }
    let result = getaddrinfo(Some(node), service, hints);
    if let (Ok(list), Ok(mut cache)) = (&result, HOSTS_FILE.lock()) {
        if cache.answers.len() >= ANSWERS_KEPT {
            cache.answers.clear();
        }
        cache
            .answers
            .insert(key, (std::time::Instant::now(), list.clone()));
    }
    result
}

#[cfg(test)]
mod hosts_file_tests {
    use super::*;

    #[test]
    fn parses_hosts_and_nsswitch() {
        let names = parse_hosts(
            "127.0.0.1 localhost Local # c\n::1 ip6-localhost\nbad line\n# x\n10.0.0.1\n",
        );
        assert_eq!(names.get(b"localhost".as_slice()), Some(&(true, false)));
        assert_eq!(names.get(b"local".as_slice()), Some(&(true, false)));
        assert_eq!(names.get(b"ip6-localhost".as_slice()), Some(&(false, true)));
        assert!(!names.contains_key(b"line".as_slice()));
        assert!(nsswitch_files_first(
            "passwd: files\nhosts:          files dns\n"
        ));
        assert!(!nsswitch_files_first("hosts: dns files\n"));
        assert!(!nsswitch_files_first("# hosts: files\n"));
        assert!(!nsswitch_files_first(""));
    }

    #[test]
    fn services_fall_back_to_numbers() {
        assert_eq!(service_port(c"0x10", c"tcp"), Some(16));
        assert_eq!(service_port(c"8080", c"udp"), Some(8080));
        assert_eq!(service_port(c"no-such-service", c"tcp"), None);
        assert_eq!(service_name(1, c"no-such-proto"), None);
    }
}
