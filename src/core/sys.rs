//! The system-call layer: one function per call, socket2 where it offers
//! the call, libc where it does not (raw option bytes, SO_PEERCRED). No
//! Ruby here; the callers own the descriptors and keep them open for the
//! length of each call.
//!
//! Calls that take a packed sockaddr from Ruby (bind, connect, sendto) go to
//! libc with the bytes as given: socket2's SockAddr holds no more than a
//! sockaddr_storage, and stock hands the kernel longer ones too. Calls that
//! fill one in (accept4, recvfrom) and the msghdr calls write into buffers
//! the caller sizes, so they take raw pointers and are `unsafe`.

use socket2::{Domain, Protocol, SockRef, Socket, Type};
use std::io;
use std::os::fd::{BorrowedFd, IntoRawFd, RawFd};

/// socket2's view of a descriptor the caller keeps open.
fn sock<'a>(fd: &'a BorrowedFd<'a>) -> SockRef<'a> {
    SockRef::from(fd)
}

/// Borrows `fd` for one call.
fn borrow(fd: RawFd) -> BorrowedFd<'static> {
    // SAFETY: every caller passes a descriptor it owns and keeps open until
    // the call returns; the borrow does not outlive the call it is made for.
    unsafe { BorrowedFd::borrow_raw(fd) }
}

/// socket(2), close-on-exec (socket2 always sets it) and non-blocking.
pub fn socket(domain: i32, socktype: i32, protocol: i32) -> io::Result<RawFd> {
    let socktype = Type::from(socktype).nonblocking();
    let socket = Socket::new(
        Domain::from(domain),
        socktype,
        Some(Protocol::from(protocol)),
    )?;
    Ok(socket.into_raw_fd())
}

/// socketpair(2), both ends close-on-exec and non-blocking.
pub fn socketpair(domain: i32, socktype: i32, protocol: i32) -> io::Result<(RawFd, RawFd)> {
    let socktype = Type::from(socktype).nonblocking();
    let (a, b) = Socket::pair(
        Domain::from(domain),
        socktype,
        Some(Protocol::from(protocol)),
    )?;
    Ok((a.into_raw_fd(), b.into_raw_fd()))
}

/// bind(2) to a packed sockaddr as given: libc, because socket2's SockAddr
/// holds no more than a sockaddr_storage and stock hands the kernel longer
/// ones too (which it refuses with EINVAL).
pub fn bind(fd: RawFd, addr: &[u8]) -> io::Result<()> {
    // SAFETY: bind reads `addr.len()` bytes from a live slice.
    let ret = unsafe { libc::bind(fd, addr.as_ptr().cast(), addr.len() as libc::socklen_t) };
    if ret < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// shutdown(2) with `how` as given: libc, because socket2 takes only the
/// three named directions and the kernel must judge any other value.
pub fn shutdown(fd: RawFd, how: i32) -> io::Result<()> {
    // SAFETY: shutdown takes plain integers.
    if unsafe { libc::shutdown(fd, how) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Sets O_NONBLOCK (no change when it is already set).
pub fn set_nonblocking(fd: RawFd) -> io::Result<()> {
    sock(&borrow(fd)).set_nonblocking(true)
}

/// Whether `fd` is an open socket (fstat(2)); the errno when it is not open.
pub fn is_socket(fd: RawFd) -> io::Result<bool> {
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: fstat writes a whole struct stat into the buffer we own; any
    // fd number is valid input.
    if unsafe { libc::fstat(fd, st.as_mut_ptr()) } < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fstat succeeded, so the buffer is initialized.
    let st = unsafe { st.assume_init() };
    Ok(st.st_mode & libc::S_IFMT == libc::S_IFSOCK)
}

/// close(2) of a descriptor the caller owns and gives up; its errors are
/// moot for a descriptor nobody else uses.
pub fn close(fd: RawFd) {
    // SAFETY: the caller owns `fd` and uses it no more.
    unsafe { libc::close(fd) };
}

/// connect(2) to a packed sockaddr as given.
pub fn connect(fd: RawFd, addr: &[u8]) -> io::Result<()> {
    // SAFETY: connect reads `addr.len()` bytes from a live slice.
    let ret = unsafe { libc::connect(fd, addr.as_ptr().cast(), addr.len() as libc::socklen_t) };
    if ret < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// accept4(2) with `flags`, the peer's address written to `addr` (room for
/// `*len` bytes; the kernel stores the full length back).
///
/// # Safety
/// `addr` must have room for `*len` bytes.
pub unsafe fn accept4(
    fd: RawFd,
    addr: *mut libc::sockaddr,
    len: *mut libc::socklen_t,
    flags: i32,
) -> libc::c_int {
    // SAFETY: the caller gives a buffer of `*len` bytes.
    unsafe { libc::accept4(fd, addr, len, flags) }
}

/// recv(2) into `len` bytes at `buf`.
///
/// # Safety
/// `buf` must have room for `len` bytes, written by nothing else meanwhile.
pub unsafe fn recv(fd: RawFd, buf: *mut u8, len: usize, flags: i32) -> io::Result<usize> {
    // SAFETY: the caller gives `len` writable bytes at `buf`.
    let buf =
        unsafe { std::slice::from_raw_parts_mut(buf.cast::<std::mem::MaybeUninit<u8>>(), len) };
    sock(&borrow(fd)).recv_with_flags(buf, flags)
}

/// recvfrom(2) into `len` bytes at `buf`, the sender's address into `addr`
/// (room for `*alen` bytes). Returns recvfrom's result (-1 on failure).
///
/// # Safety
/// `buf` must have room for `len` bytes and `addr` for `*alen`.
pub unsafe fn recvfrom(
    fd: RawFd,
    buf: *mut u8,
    len: usize,
    flags: i32,
    addr: *mut libc::sockaddr,
    alen: *mut libc::socklen_t,
) -> libc::ssize_t {
    // SAFETY: the caller gives the buffers and their lengths.
    unsafe { libc::recvfrom(fd, buf.cast(), len, flags, addr, alen) }
}

/// send(2).
pub fn send(fd: RawFd, bytes: &[u8], flags: i32) -> io::Result<usize> {
    sock(&borrow(fd)).send_with_flags(bytes, flags)
}

/// sendto(2) to a packed sockaddr as given.
pub fn sendto(fd: RawFd, bytes: &[u8], flags: i32, addr: &[u8]) -> io::Result<usize> {
    // SAFETY: sendto reads the two live slices for their lengths.
    let n = unsafe {
        libc::sendto(
            fd,
            bytes.as_ptr().cast(),
            bytes.len(),
            flags,
            addr.as_ptr().cast(),
            addr.len() as libc::socklen_t,
        )
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}

/// sendmsg(2) of a msghdr the caller built.
///
/// # Safety
/// Every pointer in `msg` must refer to a live buffer of the length given.
pub unsafe fn sendmsg(fd: RawFd, msg: &libc::msghdr, flags: i32) -> io::Result<usize> {
    // SAFETY: the caller vouches for the buffers `msg` points to.
    let n = unsafe { libc::sendmsg(fd, msg, flags) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}

/// recvmsg(2) into the buffers of a msghdr the caller built.
///
/// # Safety
/// Every pointer in `msg` must refer to a live, writable buffer of the
/// length given.
pub unsafe fn recvmsg(fd: RawFd, msg: &mut libc::msghdr, flags: i32) -> io::Result<usize> {
    // SAFETY: the caller vouches for the buffers `msg` points to.
    let n = unsafe { libc::recvmsg(fd, msg, flags) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}

/// listen(2).
pub fn listen(fd: RawFd, backlog: i32) -> io::Result<()> {
    sock(&borrow(fd)).listen(backlog)
}

/// SO_ERROR: the pending error of a non-blocking connect, 0 for none.
pub fn pending_error(fd: RawFd) -> io::Result<i32> {
    Ok(sock(&borrow(fd))
        .take_error()?
        .and_then(|e| e.raw_os_error())
        .unwrap_or(0))
}

/// SO_TYPE.
pub fn socket_type(fd: RawFd) -> io::Result<i32> {
    sock(&borrow(fd)).r#type().map(i32::from)
}

/// getsockopt(2) into `buf`: the length the kernel reports (it may exceed
/// the buffer for a truncated value; the caller clamps it).
pub fn getsockopt(fd: RawFd, level: i32, optname: i32, buf: &mut [u8]) -> io::Result<usize> {
    let mut len = buf.len() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes into `buf`, which is
    // that long, and stores the value's length back into `len`.
    let ret = unsafe { libc::getsockopt(fd, level, optname, buf.as_mut_ptr().cast(), &mut len) };
    if ret < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(len as usize)
}

/// setsockopt(2) with the value's bytes as given.
pub fn setsockopt(fd: RawFd, level: i32, optname: i32, value: &[u8]) -> io::Result<()> {
    // SAFETY: setsockopt reads `value.len()` bytes from a live slice.
    let ret = unsafe {
        libc::setsockopt(
            fd,
            level,
            optname,
            value.as_ptr().cast(),
            value.len() as libc::socklen_t,
        )
    };
    if ret < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// SO_REUSEADDR on.
pub fn set_reuseaddr(fd: RawFd) -> io::Result<()> {
    sock(&borrow(fd)).set_reuse_address(true)
}

/// SO_PEERCRED: the peer's (uid, gid).
pub fn peer_credentials(fd: RawFd) -> io::Result<(u32, u32)> {
    // SAFETY: ucred is plain old data, valid when zeroed.
    let mut cred: libc::ucred = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes into `cred`, which we own.
    let ret = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    };
    if ret < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((cred.uid, cred.gid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockets_are_close_on_exec_and_non_blocking() {
        let fd = socket(libc::AF_INET, libc::SOCK_STREAM, 0).unwrap();
        // SAFETY: fcntl reads the flags of a descriptor we own.
        let (fd_flags, fl_flags) = unsafe {
            (
                libc::fcntl(fd, libc::F_GETFD),
                libc::fcntl(fd, libc::F_GETFL),
            )
        };
        assert_ne!(fd_flags & libc::FD_CLOEXEC, 0);
        assert_ne!(fl_flags & libc::O_NONBLOCK, 0);
        assert_eq!(socket_type(fd).unwrap(), libc::SOCK_STREAM);
        assert_eq!(pending_error(fd).unwrap(), 0);
        close(fd);
    }

    #[test]
    fn options_round_trip_and_errors_carry_the_errno() {
        let (a, b) = socketpair(libc::AF_UNIX, libc::SOCK_STREAM, 0).unwrap();
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
        assert!(is_socket(a).unwrap());
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
        close(a);
        close(b);
    }
}
