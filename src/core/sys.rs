//! The system-call layer: one function per call, socket2 where it offers
//! the call, libc where it does not (raw option bytes, SO_PEERCRED,
//! recvmsg, fstat, close, interfaces, the host name, eventfd). No Ruby here.
//! A call on an existing descriptor borrows it (BorrowedFd), so it stays
//! open for the length of the call; one that makes a descriptor returns it
//! owned. No libc system call is made outside this file.
//!
//! Calls that take a packed sockaddr from Ruby (bind, connect, sendto,
//! sendmsg) copy its bytes into a socket2 SockAddr, which holds a
//! sockaddr_storage; longer bytes get the kernel's own answer (see
//! `sock_addr`). recvmsg is libc: socket2's MsgHdrMut reports neither the
//! sender's address length nor the raw msg_flags that Ruby returns.
//! Receives write into buffers the caller sizes, so they take raw pointers
//! and are `unsafe`.

use socket2::{Domain, MsgHdr, Protocol, SockAddr, SockAddrStorage, SockRef, Socket, Type};
use std::ffi::CStr;
use std::io::{self, IoSlice};
use std::mem::MaybeUninit;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

/// socket2's view of a borrowed descriptor.
#[inline]
fn sock<'a>(fd: &'a BorrowedFd<'_>) -> SockRef<'a> {
    SockRef::from(fd)
}

/// The one check of a libc return value (socket2's `syscall!`, std's
/// `cvt`): -1 (or any negative) is the errno as an io::Error.
fn cvt<T: Default + PartialOrd>(ret: T) -> io::Result<T> {
    if ret < T::default() {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// socket(2), close-on-exec (socket2 always sets it) and non-blocking.
pub fn socket(domain: i32, socktype: i32, protocol: i32) -> io::Result<OwnedFd> {
    let socktype = Type::from(socktype).nonblocking();
    let socket = Socket::new(
        Domain::from(domain),
        socktype,
        Some(Protocol::from(protocol)),
    )?;
    Ok(OwnedFd::from(socket))
}

/// socketpair(2), both ends close-on-exec and non-blocking.
pub fn socketpair(domain: i32, socktype: i32, protocol: i32) -> io::Result<(OwnedFd, OwnedFd)> {
    let socktype = Type::from(socktype).nonblocking();
    let (a, b) = Socket::pair(
        Domain::from(domain),
        socktype,
        Some(Protocol::from(protocol)),
    )?;
    Ok((OwnedFd::from(a), OwnedFd::from(b)))
}

/// Ruby's packed sockaddr bytes, as given, in a socket2 SockAddr. Bytes
/// longer than a sockaddr_storage are EINVAL: the answer Linux gives bind,
/// connect and sendto for them (move_addr_to_kernel), which stock passes on.
fn sock_addr(bytes: &[u8]) -> io::Result<SockAddr> {
    if bytes.len() > SOCKADDR_BUF_LEN {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    let mut storage = SockAddrStorage::zeroed();
    // SAFETY: the storage is a sockaddr_storage, SOCKADDR_BUF_LEN bytes, and
    // no more than that many are copied into it; the length given is the
    // number of bytes copied.
    unsafe {
        let raw: *mut libc::sockaddr_storage = storage.view_as::<libc::sockaddr_storage>();
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), raw.cast::<u8>(), bytes.len());
        Ok(SockAddr::new(storage, bytes.len() as libc::socklen_t))
    }
}

/// bind(2) to a packed sockaddr as given.
pub fn bind(fd: BorrowedFd<'_>, addr: &[u8]) -> io::Result<()> {
    sock(&fd).bind(&sock_addr(addr)?)
}

/// shutdown(2). A `how` other than SHUT_RD, SHUT_WR and SHUT_RDWR is
/// EINVAL, as the kernel answers it for a socket.
pub fn shutdown(fd: BorrowedFd<'_>, how: i32) -> io::Result<()> {
    let how = match how {
        libc::SHUT_RD => std::net::Shutdown::Read,
        libc::SHUT_WR => std::net::Shutdown::Write,
        libc::SHUT_RDWR => std::net::Shutdown::Both,
        _ => return Err(io::Error::from_raw_os_error(libc::EINVAL)),
    };
    sock(&fd).shutdown(how)
}

/// Sets O_NONBLOCK (no change when it is already set).
pub fn set_nonblocking(fd: BorrowedFd<'_>) -> io::Result<()> {
    sock(&fd).set_nonblocking(true)
}

/// Whether `fd` is an open socket (fstat(2)); the errno when it is not open.
/// A number rather than a borrow: BasicSocket.for_fd asks it of a number
/// that may name no open descriptor.
pub fn is_socket(fd: RawFd) -> io::Result<bool> {
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: fstat writes a whole struct stat into the buffer we own; any
    // fd number is valid input.
    cvt(unsafe { libc::fstat(fd, st.as_mut_ptr()) })?;
    // SAFETY: fstat succeeded, so the buffer is initialized.
    let st = unsafe { st.assume_init() };
    Ok(st.st_mode & libc::S_IFMT == libc::S_IFSOCK)
}

/// Descriptors the kernel just installed in this process for a received
/// message (SCM_RIGHTS), owned from here on: closed when dropped, unless an
/// IO takes them.
///
/// # Safety
/// Each fd must come from the control data of a message this process has
/// just received, and be taken here once: nothing else refers to it.
pub unsafe fn own_received(fds: &[RawFd]) -> Vec<OwnedFd> {
    fds.iter()
        // SAFETY: the caller's promise: a fresh descriptor owned by no one.
        .map(|&fd| unsafe { OwnedFd::from_raw_fd(fd) })
        .collect()
}

/// connect(2) to a packed sockaddr as given.
pub fn connect(fd: BorrowedFd<'_>, addr: &[u8]) -> io::Result<()> {
    sock(&fd).connect(&sock_addr(addr)?)
}

/// accept4(2), the new descriptor close-on-exec and non-blocking, owned
/// (closed if the caller drops it); the peer's packed address.
pub fn accept4(fd: BorrowedFd<'_>) -> io::Result<(OwnedFd, SockAddrBuf)> {
    let (socket, addr) = sock(&fd).accept4(libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK)?;
    Ok((OwnedFd::from(socket), SockAddrBuf(addr)))
}

/// recv(2) into `len` bytes at `buf`.
///
/// # Safety
/// `buf` must have room for `len` bytes, written by nothing else meanwhile.
#[inline]
pub unsafe fn recv(fd: BorrowedFd<'_>, buf: *mut u8, len: usize, flags: i32) -> io::Result<usize> {
    // SAFETY: the caller gives `len` writable bytes at `buf`.
    let buf =
        unsafe { std::slice::from_raw_parts_mut(buf.cast::<std::mem::MaybeUninit<u8>>(), len) };
    sock(&fd).recv_with_flags(buf, flags)
}

/// recvfrom(2) into `len` bytes at `buf`: the byte count and the sender's
/// packed address (empty when the kernel gives none, as on a stream).
///
/// # Safety
/// `buf` must have room for `len` bytes, written by nothing else meanwhile.
#[inline]
pub unsafe fn recvfrom(
    fd: BorrowedFd<'_>,
    buf: *mut u8,
    len: usize,
    flags: i32,
) -> io::Result<(usize, SockAddrBuf)> {
    // SAFETY: the caller gives `len` writable bytes at `buf`.
    let buf = unsafe { std::slice::from_raw_parts_mut(buf.cast::<MaybeUninit<u8>>(), len) };
    let (n, addr) = sock(&fd).recv_from_with_flags(buf, flags)?;
    Ok((n, SockAddrBuf(addr)))
}

/// send(2).
#[inline]
pub fn send(fd: BorrowedFd<'_>, bytes: &[u8], flags: i32) -> io::Result<usize> {
    sock(&fd).send_with_flags(bytes, flags)
}

/// sendto(2) to a packed sockaddr as given.
#[inline]
pub fn sendto(fd: BorrowedFd<'_>, bytes: &[u8], flags: i32, addr: &[u8]) -> io::Result<usize> {
    sock(&fd).send_to_with_flags(bytes, &sock_addr(addr)?, flags)
}

/// sendmsg(2) of `data` with control bytes (empty for none), to a packed
/// sockaddr as given when `name` is Some. A name longer than a
/// sockaddr_storage is cut to that length, as Linux cuts a msghdr's.
pub fn sendmsg(
    fd: BorrowedFd<'_>,
    data: &[u8],
    control: &[u8],
    name: Option<&[u8]>,
    flags: i32,
) -> io::Result<usize> {
    let name = match name {
        Some(n) if !n.is_empty() => Some(sock_addr(&n[..n.len().min(SOCKADDR_BUF_LEN)])?),
        _ => None,
    };
    let data = [IoSlice::new(data)];
    let mut msg = MsgHdr::new().with_buffers(&data);
    if !control.is_empty() {
        msg = msg.with_control(control);
    }
    if let Some(name) = &name {
        msg = msg.with_addr(name);
    }
    sock(&fd).sendmsg(&msg, flags)
}

/// What one recvmsg(2) filled in.
pub struct Message {
    /// The byte count recvmsg returned (more than the buffer with MSG_TRUNC).
    pub len: usize,
    /// How many control bytes were written (clipped to the buffer).
    pub control_len: usize,
    pub flags: i32,
    /// The sender's packed address (empty when none).
    pub name: SockAddrBuf,
}

/// recvmsg(2) into `len` bytes at `data` and `control_cap` bytes at
/// `control` (none when 0).
///
/// # Safety
/// `data` must have room for `len` bytes and `control` for `control_cap`,
/// written by nothing else meanwhile.
pub unsafe fn recvmsg(
    fd: BorrowedFd<'_>,
    data: *mut u8,
    len: usize,
    control: *mut u8,
    control_cap: usize,
    flags: i32,
) -> io::Result<Message> {
    let mut iov = libc::iovec {
        iov_base: data.cast(),
        iov_len: len,
    };
    // SAFETY: msghdr is plain old data, valid when zeroed.
    let mut mh: libc::msghdr = unsafe { std::mem::zeroed() };
    mh.msg_iov = &mut iov;
    mh.msg_iovlen = 1;
    if control_cap > 0 {
        mh.msg_control = control.cast();
        mh.msg_controllen = control_cap as _;
    }
    // SAFETY: try_init hands a zeroed sockaddr_storage and its length as the
    // name buffer; the caller gives the data and control buffers for their
    // lengths; recvmsg writes within all three and stores the name's length.
    let (n, name) = unsafe {
        SockAddr::try_init(|storage, namelen| {
            mh.msg_name = storage.cast();
            mh.msg_namelen = *namelen;
            let n = cvt(libc::recvmsg(fd.as_raw_fd(), &mut mh, flags))?;
            // Never trusted past the buffer.
            *namelen = mh.msg_namelen.min(*namelen);
            Ok(n)
        })
    }?;
    // msg_controllen is a size_t on glibc, a socklen_t on musl.
    #[allow(clippy::unnecessary_cast)]
    let control_len = (mh.msg_controllen as usize).min(control_cap);
    Ok(Message {
        len: n as usize,
        control_len,
        flags: mh.msg_flags,
        name: SockAddrBuf(name),
    })
}

/// listen(2).
pub fn listen(fd: BorrowedFd<'_>, backlog: i32) -> io::Result<()> {
    sock(&fd).listen(backlog)
}

/// fcntl(2) F_DUPFD_CLOEXEC: a second descriptor for the same file.
pub fn duplicate(fd: BorrowedFd<'_>) -> io::Result<OwnedFd> {
    fd.try_clone_to_owned()
}

/// SO_ERROR: the pending error of a non-blocking connect, 0 for none.
pub fn pending_error(fd: BorrowedFd<'_>) -> io::Result<i32> {
    Ok(sock(&fd)
        .take_error()?
        .and_then(|e| e.raw_os_error())
        .unwrap_or(0))
}

/// SO_TYPE.
pub fn socket_type(fd: BorrowedFd<'_>) -> io::Result<i32> {
    sock(&fd).r#type().map(i32::from)
}

/// getsockopt(2) into `buf`: the length the kernel reports (it may exceed
/// the buffer for a truncated value; the caller clamps it).
pub fn getsockopt(
    fd: BorrowedFd<'_>,
    level: i32,
    optname: i32,
    buf: &mut [u8],
) -> io::Result<usize> {
    let mut len = buf.len() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes into `buf`, which is
    // that long, and stores the value's length back into `len`.
    cvt(unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            level,
            optname,
            buf.as_mut_ptr().cast(),
            &mut len,
        )
    })?;
    Ok(len as usize)
}

/// setsockopt(2) with the value's bytes as given.
pub fn setsockopt(fd: BorrowedFd<'_>, level: i32, optname: i32, value: &[u8]) -> io::Result<()> {
    // SAFETY: setsockopt reads `value.len()` bytes from a live slice.
    let ret = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            level,
            optname,
            value.as_ptr().cast(),
            value.len() as libc::socklen_t,
        )
    };
    cvt(ret)?;
    Ok(())
}

/// SO_REUSEADDR on.
pub fn set_reuseaddr(fd: BorrowedFd<'_>) -> io::Result<()> {
    sock(&fd).set_reuse_address(true)
}

/// SO_PEERCRED: the peer's (uid, gid).
pub fn peer_credentials(fd: BorrowedFd<'_>) -> io::Result<(u32, u32)> {
    // SAFETY: ucred is plain old data, valid when zeroed.
    let mut cred: libc::ucred = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes into `cred`, which we own.
    let ret = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    };
    cvt(ret)?;
    Ok((cred.uid, cred.gid))
}

/// getsockname(2) as packed bytes.
pub fn local_addr(fd: BorrowedFd<'_>) -> io::Result<SockAddrBuf> {
    Ok(SockAddrBuf(sock(&fd).local_addr()?))
}

/// getpeername(2) as packed bytes.
pub fn peer_addr(fd: BorrowedFd<'_>) -> io::Result<SockAddrBuf> {
    Ok(SockAddrBuf(sock(&fd).peer_addr()?))
}

/// A packed sockaddr a system call filled in, kept on the stack (no heap
/// allocation per recvfrom or getsockname): socket2's SockAddr, moved
/// out of the call that filled it; derefs to its bytes.
#[derive(Clone, Debug)]
pub struct SockAddrBuf(SockAddr);

const SOCKADDR_BUF_LEN: usize = std::mem::size_of::<libc::sockaddr_storage>();

impl SockAddrBuf {
    /// No address (zero bytes).
    pub fn new() -> Self {
        // SAFETY: a zeroed storage with length 0 holds no bytes to trust.
        SockAddrBuf(unsafe { SockAddr::new(SockAddrStorage::zeroed(), 0) })
    }
}

impl Default for SockAddrBuf {
    fn default() -> Self {
        SockAddrBuf::new()
    }
}

impl std::ops::Deref for SockAddrBuf {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        // The kernel reports a truncated address's full length: capped.
        let len = (self.0.len() as usize).min(SOCKADDR_BUF_LEN);
        // SAFETY: a SockAddr holds a sockaddr_storage, SOCKADDR_BUF_LEN
        // bytes, all initialized (zeroed before the call filled them).
        unsafe { std::slice::from_raw_parts(self.0.as_ptr().cast::<u8>(), len) }
    }
}

/// gethostname(2), the buffer grown while the name does not fit.
pub fn hostname() -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; libc::NI_MAXHOST as usize];
    loop {
        // SAFETY: gethostname writes at most buf.len() bytes into buf.
        if unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0 {
            let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
            buf.truncate(end);
            return Ok(buf);
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::ENAMETOOLONG | libc::EINVAL) => buf.resize(buf.len() * 2, 0),
            _ => return Err(e),
        }
    }
}

/// The name of interface `index` (if_indextoname(3)), None when it has none.
pub fn interface_name(index: u32) -> Option<Vec<u8>> {
    let mut buf = [0u8; libc::IF_NAMESIZE];
    // SAFETY: if_indextoname writes at most IF_NAMESIZE bytes (the NUL
    // included) into buf, or returns NULL.
    if unsafe { libc::if_indextoname(index, buf.as_mut_ptr().cast()) }.is_null() {
        return None;
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    Some(buf[..end].to_vec())
}

/// The index of interface `name` (if_nametoindex(3)), 0 when there is none.
pub fn interface_index(name: &CStr) -> u32 {
    // SAFETY: name is NUL-terminated.
    unsafe { libc::if_nametoindex(name.as_ptr()) }
}

/// One entry of getifaddrs(3), copied out of the list.
pub struct Interface {
    pub name: Vec<u8>,
    pub flags: u32,
    pub addr: Option<Vec<u8>>,
    pub netmask: Option<Vec<u8>>,
    pub broadaddr: Option<Vec<u8>>,
    pub dstaddr: Option<Vec<u8>>,
}

/// stock's rsock_sockaddr_len: how much of a kernel-provided sockaddr counts.
///
/// # Safety
/// `sa` must be null or point to a sockaddr valid for the length its family
/// implies.
unsafe fn interface_sockaddr(sa: *const libc::sockaddr) -> Option<Vec<u8>> {
    if sa.is_null() {
        return None;
    }
    // SAFETY: the caller gives a valid sockaddr of its family's length.
    let len = match unsafe { (*sa).sa_family } as i32 {
        libc::AF_INET => std::mem::size_of::<libc::sockaddr_in>(),
        libc::AF_INET6 => std::mem::size_of::<libc::sockaddr_in6>(),
        libc::AF_UNIX => std::mem::size_of::<libc::sockaddr_un>(),
        // SAFETY: as above: an AF_PACKET address is a sockaddr_ll.
        libc::AF_PACKET => 12 + unsafe { (*(sa as *const libc::sockaddr_ll)).sll_halen } as usize,
        _ => 2,
    };
    // SAFETY: as above.
    Some(unsafe { std::slice::from_raw_parts(sa.cast::<u8>(), len) }.to_vec())
}

/// getifaddrs(3), copied out and freed.
pub fn interfaces() -> io::Result<Vec<Interface>> {
    let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `list`, freed below.
    cvt(unsafe { libc::getifaddrs(&mut list) })?;
    let mut out = Vec::new();
    let mut p = list;
    while !p.is_null() {
        // SAFETY: p walks the list getifaddrs returned, not yet freed; its
        // name is a C string and its addresses null or valid sockaddrs.
        let ifa = unsafe { &*p };
        let flags = ifa.ifa_flags;
        let peer = |flag: i32| {
            // SAFETY: as above.
            (flags & flag as u32 != 0).then(|| unsafe { interface_sockaddr(ifa.ifa_ifu) })?
        };
        // SAFETY: as above.
        out.push(unsafe {
            Interface {
                name: CStr::from_ptr(ifa.ifa_name).to_bytes().to_vec(),
                flags,
                addr: interface_sockaddr(ifa.ifa_addr),
                netmask: interface_sockaddr(ifa.ifa_netmask),
                broadaddr: peer(libc::IFF_BROADCAST),
                dstaddr: peer(libc::IFF_POINTOPOINT),
            }
        });
        p = ifa.ifa_next;
    }
    // SAFETY: list came from a successful getifaddrs and is freed once.
    unsafe { libc::freeifaddrs(list) };
    Ok(out)
}

/// A close-on-exec, non-blocking eventfd(2) for a thread to signal on.
pub fn eventfd() -> io::Result<OwnedFd> {
    // SAFETY: eventfd takes plain integers.
    let fd = cvt(unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) })?;
    // SAFETY: fd is a fresh descriptor nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Makes an eventfd readable (adds 1 to its counter). A failure (the
/// counter full) still leaves it readable.
pub fn signal_eventfd(fd: BorrowedFd<'_>) {
    let one: u64 = 1;
    // SAFETY: writes 8 bytes from a live u64 to an eventfd; an eventfd
    // write cannot raise SIGPIPE.
    unsafe { libc::write(fd.as_raw_fd(), (&one as *const u64).cast(), 8) };
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn sockets_are_close_on_exec_and_non_blocking() {
        let fd = socket(libc::AF_INET, libc::SOCK_STREAM, 0).unwrap();
        // SAFETY: fcntl reads the flags of a descriptor we own.
        let (fd_flags, fl_flags) = unsafe {
            (
                libc::fcntl(fd.as_raw_fd(), libc::F_GETFD),
                libc::fcntl(fd.as_raw_fd(), libc::F_GETFL),
            )
        };
        assert_ne!(fd_flags & libc::FD_CLOEXEC, 0);
        assert_ne!(fl_flags & libc::O_NONBLOCK, 0);
        assert_eq!(socket_type(fd.as_fd()).unwrap(), libc::SOCK_STREAM);
        assert_eq!(pending_error(fd.as_fd()).unwrap(), 0);
    }

    #[test]
    fn options_round_trip_and_errors_carry_the_errno() {
        let (a, b) = socketpair(libc::AF_UNIX, libc::SOCK_STREAM, 0).unwrap();
        let (a, b) = (a.as_fd(), b.as_fd());
        setsockopt(
            a,
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            &65536i32.to_ne_bytes(),
        )
        .unwrap();
        let mut buf = [0u8; 4];
        assert_eq!(
            getsockopt(a, libc::SOL_SOCKET, libc::SO_RCVBUF, &mut buf).unwrap(),
            4
        );
        assert!(i32::from_ne_bytes(buf) >= 65536);
        let err = setsockopt(a, libc::SOL_SOCKET, libc::SO_RCVBUF, &[1]).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EINVAL));
        let (uid, _) = peer_credentials(a).unwrap();
        // SAFETY: getuid has no preconditions.
        assert_eq!(uid, unsafe { libc::getuid() });
        assert!(listen(a, 1).is_err(), "a connected pair cannot listen");
        assert!(is_socket(a.as_raw_fd()).unwrap());
        assert_eq!(is_socket(-1).unwrap_err().raw_os_error(), Some(libc::EBADF));
        assert_eq!(
            shutdown(a, 7).unwrap_err().raw_os_error(),
            Some(libc::EINVAL)
        );
        shutdown(a, libc::SHUT_WR).unwrap();
        assert_eq!(
            bind(b, &[0u8; 3000]).unwrap_err().raw_os_error(),
            Some(libc::EINVAL)
        );
    }

    #[test]
    fn accept_names_and_datagrams_carry_packed_addresses() {
        let listener = socket(libc::AF_INET, libc::SOCK_STREAM, 0).unwrap();
        let listener = listener.as_fd();
        // SAFETY: sockaddr_in is plain old data, valid when zeroed.
        let mut sin: libc::sockaddr_in = unsafe { std::mem::zeroed() };
        sin.sin_family = libc::AF_INET as libc::sa_family_t;
        sin.sin_addr.s_addr = u32::from(std::net::Ipv4Addr::LOCALHOST).to_be();
        // SAFETY: a live sockaddr_in viewed as its bytes.
        let any = unsafe {
            std::slice::from_raw_parts(
                (&sin as *const libc::sockaddr_in).cast::<u8>(),
                std::mem::size_of::<libc::sockaddr_in>(),
            )
        };
        bind(listener, any).unwrap();
        listen(listener, 1).unwrap();
        let bound = local_addr(listener).unwrap();
        assert_eq!(bound.len(), std::mem::size_of::<libc::sockaddr_in>());
        assert_eq!(
            accept4(listener).unwrap_err().raw_os_error(),
            Some(libc::EAGAIN)
        );
        let client = socket(libc::AF_INET, libc::SOCK_STREAM, 0).unwrap();
        let client = client.as_fd();
        let _ = connect(client, &bound);
        let mut pfd = libc::pollfd {
            fd: listener.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: poll reads and writes one pollfd we own.
        assert_eq!(unsafe { libc::poll(&mut pfd, 1, 10_000) }, 1);
        let (conn, peer) = accept4(listener).unwrap();
        assert_eq!(&*peer, &*local_addr(client).unwrap());
        assert_eq!(&*peer_addr(conn.as_fd()).unwrap(), &*peer);
        // SAFETY: fcntl reads the flags of a descriptor we own.
        let fd_flags = unsafe { libc::fcntl(conn.as_raw_fd(), libc::F_GETFD) };
        assert_ne!(fd_flags & libc::FD_CLOEXEC, 0);

        let (a, b) = socketpair(libc::AF_UNIX, libc::SOCK_DGRAM, 0).unwrap();
        let (a, b) = (a.as_fd(), b.as_fd());
        assert_eq!(send(a, b"hey", 0).unwrap(), 3);
        let mut buf = [0u8; 8];
        // SAFETY: buf has room for 8 bytes.
        let (n, from) = unsafe { recvfrom(b, buf.as_mut_ptr(), buf.len(), 0) }.unwrap();
        assert_eq!(&buf[..n], b"hey");
        assert!(from.len() <= 2, "an unnamed peer: at most the family");
    }

    #[test]
    fn sendmsg_and_recvmsg_pass_data_control_and_flags() {
        let (a, b) = socketpair(libc::AF_UNIX, libc::SOCK_DGRAM, 0).unwrap();
        let (a, b) = (a.as_fd(), b.as_fd());
        // One SCM_RIGHTS message by hand: cmsg_len, level, type, the fd.
        // SAFETY: CMSG_LEN only computes a length.
        let cmsg_len = unsafe { libc::CMSG_LEN(4) } as usize;
        let mut rights = cmsg_len.to_ne_bytes().to_vec();
        rights.extend_from_slice(&libc::SOL_SOCKET.to_ne_bytes());
        rights.extend_from_slice(&libc::SCM_RIGHTS.to_ne_bytes());
        rights.extend_from_slice(&a.as_raw_fd().to_ne_bytes());
        assert_eq!(sendmsg(a, b"data!", &rights, None, 0).unwrap(), 5);
        let mut dat = [0u8; 2];
        let mut ctl = [0u8; 64];
        // SAFETY: both buffers are ours, as long as given.
        let got = unsafe {
            recvmsg(
                b,
                dat.as_mut_ptr(),
                dat.len(),
                ctl.as_mut_ptr(),
                ctl.len(),
                libc::MSG_CMSG_CLOEXEC,
            )
        }
        .unwrap();
        assert_eq!(got.len, 2, "without MSG_TRUNC: what fit");
        assert_eq!(&dat, b"da");
        assert_ne!(got.flags & libc::MSG_TRUNC, 0);
        assert!(got.control_len >= cmsg_len, "the kernel adds the padding");
        assert_eq!(&ctl[8..16], &rights[8..16], "level and type");
        let passed = i32::from_ne_bytes(ctl[16..20].try_into().unwrap());
        assert_ne!(passed, a.as_raw_fd());
        assert!(is_socket(passed).unwrap());
        // SAFETY: the descriptor the kernel just installed for the message.
        drop(unsafe { own_received(&[passed]) });
        let err = sendmsg(a, b"x", &[], Some(&[0u8; 3000]), 0).unwrap_err();
        assert!(err.raw_os_error().is_some(), "the kernel judged the name");
    }

    #[test]
    fn host_interfaces_and_eventfd() {
        assert!(!hostname().unwrap().is_empty());
        let lo = interfaces()
            .unwrap()
            .into_iter()
            .find(|i| i.name == b"lo")
            .expect("a loopback interface");
        assert_ne!(lo.flags & libc::IFF_LOOPBACK as u32, 0);
        let index = interface_index(c"lo");
        assert_ne!(index, 0);
        assert_eq!(interface_name(index).as_deref(), Some(&b"lo"[..]));
        assert_eq!(interface_index(c"no-such-if0"), 0);
        let fd = eventfd().unwrap();
        signal_eventfd(fd.as_fd());
        let mut count = [0u8; 8];
        // SAFETY: reads 8 bytes into a buffer we own.
        let read = unsafe { libc::read(fd.as_raw_fd(), count.as_mut_ptr().cast(), 8) };
        assert_eq!(read, 8);
        assert_eq!(u64::from_ne_bytes(count), 1);
    }
}
