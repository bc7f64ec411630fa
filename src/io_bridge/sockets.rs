//! Socket creation (a GC when descriptors ran out, as stock), connect,
//! accept and the non-blocking switch.

use super::*;
use crate::core::sys::{self, pending_error, SockAddrBuf};
use magnus::{Error, Ruby, Value};
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};

/// Runs the GC so unreachable IOs release their descriptors, as stock's
/// rb_gc_for_fd does when a call hits the descriptor limit.
pub fn gc_for_fd() {
    // SAFETY: rb_gc runs a full collection; it does not raise.
    unsafe { rb_sys::rb_gc() };
}

/// Whether a descriptor-creating call failed for want of descriptors (or
/// memory), which a GC may free: stock's rb_gc_for_fd errnos.
pub(super) fn out_of_fds(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOMEM)
    )
}

/// Runs a descriptor-creating call; when the descriptors ran out runs the
/// GC (to finalize unreachable IOs) and tries once more, as stock's
/// rb_gc_for_fd.
fn after_gc_if_out_of_fds<T>(mut call: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    match call() {
        Err(e) if out_of_fds(&e) => {
            gc_for_fd();
            call()
        }
        other => other,
    }
}

/// socket(2), close-on-exec and non-blocking, retried after a GC when the
/// descriptors ran out.
pub fn new_socket(domain: i32, socktype: i32, protocol: i32) -> io::Result<OwnedFd> {
    after_gc_if_out_of_fds(|| sys::socket(domain, socktype, protocol))
}

/// socketpair(2), both ends close-on-exec and non-blocking, retried after a
/// GC when the descriptors ran out.
pub fn new_socketpair(domain: i32, socktype: i32, protocol: i32) -> io::Result<(OwnedFd, OwnedFd)> {
    after_gc_if_out_of_fds(|| sys::socketpair(domain, socktype, protocol))
}

/// connect(2) to a packed sockaddr, waiting for a non-blocking connect to
/// finish the way stock's wait_connectable does. With a timeout, a connect
/// still pending when it passes is Err(ETIMEDOUT).
pub fn connect(ruby: &Ruby, io: Value, addr: &[u8], timeout: Option<f64>) -> Outcome<()> {
    // With the GVL released, as stock's BLOCKING_REGION_FD: a blocking socket
    // (BasicSocket.for_fd) blocks in connect itself, and the connect may wake
    // an accepting thread, which must find the GVL free. Holding the GVL when
    // alone would first need an fcntl(F_GETFL) to know the fd does not block,
    // which costs as much as the release.
    let tried = with_fd(ruby, io, |fd| {
        attempt(fd, true, &mut |fd| sys::connect(fd, addr))
    })?;
    let err = match tried? {
        Ok(()) => return Ok(Ok(())),
        Err(e) => e,
    };
    match err.raw_os_error() {
        Some(libc::EINTR | libc::EAGAIN | libc::EINPROGRESS) => {}
        _ => return Ok(Err(err)),
    }
    // Stock reads SO_ERROR once before waiting too, for systems where a
    // refused connect is not reported as readiness. On Linux poll reports a
    // pending error (POLLERR) at once, so the read after the wait gives the
    // same answer, one system call sooner.
    if !wait_connectable(ruby, io, timeout, addr)? {
        return Ok(Err(io::Error::from_raw_os_error(libc::ETIMEDOUT)));
    }
    match with_fd(ruby, io, pending_error)? {
        Err(e) => Ok(Err(e)),
        Ok(0 | libc::EINTR | libc::EAGAIN | libc::EINPROGRESS | libc::EALREADY | libc::EISCONN) => {
            Ok(Ok(()))
        }
        Ok(e) => Ok(Err(io::Error::from_raw_os_error(e))),
    }
}

/// rb_io_set_nonblock: the *_nonblock methods switch the fd to non-blocking
/// mode for good, as stock does.
pub fn set_nonblock(ruby: &Ruby, io: Value) -> Result<(), Error> {
    // A failure leaves the fd as it was, as stock's rb_io_set_nonblock.
    let _ = with_fd(ruby, io, sys::set_nonblocking)?;
    Ok(())
}

/// accept4(2), the new fd close-on-exec and non-blocking: waiting for a
/// connection (Retry::ACCEPT) or one try (Retry::ACCEPT_ONCE). Returns the
/// fd, now the caller's, and the peer's packed sockaddr.
pub fn accept(ruby: &Ruby, io: Value, how: Retry) -> Outcome<(OwnedFd, SockAddrBuf)> {
    Ok(
        run(ruby, io, how, Buffer::Own, |fd, _| sys::accept4(fd))?.inspect(|(fd, _)| {
            // SAFETY: recording a new fd number does not raise.
            unsafe { rb_sys::rb_update_max_fd(fd.as_raw_fd()) };
        }),
    )
}

/// The address family of a socket (stock's rsock_getfamily): from
/// getsockname(2), AF_UNSPEC when that fails.
pub fn socket_family(fd: BorrowedFd<'_>) -> i32 {
    match sys::local_addr(fd) {
        Ok(name) if name.len() >= 2 => crate::core::sockaddr::family(&name),
        _ => libc::AF_UNSPEC,
    }
}
