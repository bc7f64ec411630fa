//! UNIXSocket < BasicSocket: stream sockets on filesystem paths and Linux
//! abstract names.

use crate::convert::positional;
use crate::convert::{opt_int, socktype_arg, unix_path_arg};
use crate::core::cmsg;
use crate::core::sockaddr;
use crate::core::sys;
use crate::core::sys::SockAddrBuf;
use crate::errors;
use crate::io_bridge::{self, Buffer, Retry};
use crate::ruby::shared::receive;
use magnus::{
    method,
    prelude::*,
    rb_sys::{AsRawValue, FromRawValue},
    Error, IntoValue, RArray, RClass, RString, Ruby, Value,
};
use std::os::fd::{AsFd, BorrowedFd, IntoRawFd};

pub fn init(ruby: &Ruby, superclass: RClass) -> Result<RClass, Error> {
    let class = ruby.define_class("UNIXSocket", superclass)?;
    class.define_method("initialize", method!(initialize, 1))?;
    class.define_method("path", method!(path, 0))?;
    class.define_method("addr", method!(addr, 0))?;
    class.define_method("peeraddr", method!(peeraddr, 0))?;
    class.define_method("recvfrom", method!(recvfrom, -1))?;
    class.define_method("send_io", method!(send_io, 1))?;
    class.define_method("recv_io", method!(recv_io, -1))?;
    class.define_singleton_method("pair", method!(pair, -1))?;
    class.define_singleton_method("socketpair", method!(pair, -1))?;
    Ok(class)
}

fn initialize(ruby: &Ruby, rb_self: Value, path: Value) -> Result<Value, Error> {
    init_unixsock(ruby, rb_self, path, false)
}

/// UNIXSocket.new and UNIXServer.new: connect to, or bind and listen on,
/// `path`. Stock names connect(2) in the message of either failure.
pub fn init_unixsock(ruby: &Ruby, obj: Value, path: Value, server: bool) -> Result<Value, Error> {
    let path = unix_path_arg(path)?;
    // SAFETY: the bytes are copied into the packed address at once.
    let packed = sockaddr::sockaddr_un(unsafe { path.as_slice() }).map_err(|e| {
        let sockaddr::UnixPathError::TooLong { given, max } = e;
        errors::argument_error(
            ruby,
            format!("too long unix socket path ({given}bytes given but {max}bytes max)"),
        )
    })?;
    let fd = io_bridge::new_socket(libc::AF_UNIX, libc::SOCK_STREAM, 0)
        .map_err(|e| errors::io_error(ruby, &e, "socket(2)"))?;
    // Owned until the IO takes it: every early return below drops it.
    if server {
        if let Err(e) = sys::bind(fd.as_fd(), &packed) {
            let errno = e.raw_os_error().unwrap_or(libc::EIO);
            return Err(errors::syserr_path(ruby, errno, "connect(2)", Some(path)));
        }
        if let Err(e) = sys::listen(fd.as_fd(), libc::SOMAXCONN) {
            return Err(errors::io_error(ruby, &e, "listen(2)"));
        }
        io_bridge::init_sock(ruby, obj, fd)?;
        io_bridge::set_pathv(ruby, obj, path)?;
        return Ok(obj);
    }
    io_bridge::init_sock(ruby, obj, fd)?;
    match io_bridge::connect(ruby, obj, &packed, None) {
        Ok(Ok(())) => Ok(obj),
        Ok(Err(e)) => {
            let errno = e.raw_os_error().unwrap_or(libc::EIO);
            let _ = obj.funcall::<_, _, Value>("close", ());
            Err(errors::syserr_path(ruby, errno, "connect(2)", Some(path)))
        }
        Err(e) => {
            let _ = obj.funcall::<_, _, Value>("close", ());
            Err(e)
        }
    }
}

/// getsockname(2) or getpeername(2) of a UNIX socket, as packed bytes.
fn unix_name(ruby: &Ruby, io: Value, peer: bool) -> Result<SockAddrBuf, Error> {
    let (what, name): (_, fn(BorrowedFd<'_>) -> _) = if peer {
        ("getpeername(2)", sys::peer_addr)
    } else {
        ("getsockname(2)", sys::local_addr)
    };
    let result = io_bridge::with_fd(ruby, io, name)?;
    result.map_err(|e| {
        errors::syserr_path(
            ruby,
            e.raw_os_error().unwrap_or(libc::EIO),
            what,
            io_bridge::pathv(io),
        )
    })
}

/// ["AF_UNIX", path], as stock's rsock_unixaddr.
fn unixaddr(ruby: &Ruby, sockaddr: &[u8]) -> RArray {
    let path = ruby.str_from_slice(unix_path_of(sockaddr));
    ruby.ary_new_from_values(&[ruby.str_new("AF_UNIX").as_value(), path.as_value()])
}

/// UNIXSocket#path: the local path, read once and kept as the IO's path.
fn path(ruby: &Ruby, rb_self: Value) -> Result<RString, Error> {
    io_bridge::fd(ruby, rb_self)?;
    let path = match io_bridge::pathv(rb_self) {
        Some(p) => p,
        None => {
            let name = unix_name(ruby, rb_self, false)?;
            let p = ruby.str_from_slice(unix_path_of(&name));
            io_bridge::set_pathv(ruby, rb_self, p)?;
            p
        }
    };
    // SAFETY: rb_str_dup only allocates.
    let copy = unsafe { Value::from_raw(rb_sys::rb_str_dup(path.as_raw())) };
    Ok(RString::from_value(copy).expect("a String"))
}

fn addr(ruby: &Ruby, rb_self: Value) -> Result<RArray, Error> {
    Ok(unixaddr(ruby, &unix_name(ruby, rb_self, false)?))
}

fn peeraddr(ruby: &Ruby, rb_self: Value) -> Result<RArray, Error> {
    Ok(unixaddr(ruby, &unix_name(ruby, rb_self, true)?))
}

/// UNIXSocket#recvfrom(maxlen [, flags [, outbuf]]) -> [mesg, ["AF_UNIX", path]]
fn recvfrom(ruby: &Ruby, rb_self: Value, args: &[Value]) -> Result<Option<RArray>, Error> {
    let Some((buf, from)) = receive(ruby, rb_self, args, true)? else {
        return Ok(None);
    };
    Ok(Some(ruby.ary_new_from_values(&[
        buf.as_value(),
        unixaddr(ruby, &from).as_value(),
    ])))
}

/// UNIXSocket.pair([type [, protocol]]) -> [unixsocket1, unixsocket2]
fn pair(ruby: &Ruby, class: RClass, args: &[Value]) -> Result<Value, Error> {
    let ([], [socktype, protocol]) = positional::<0, 2>(ruby, args)?;
    let socktype = match socktype {
        Some(t) => socktype_arg(ruby, t)?,
        None => libc::SOCK_STREAM,
    };
    let protocol = opt_int(protocol, 0)?;
    crate::ruby::socket::pair_of(ruby, class, libc::AF_UNIX, socktype, protocol)
}

/// The path of a packed sockaddr_un, "" when too short to hold one.
fn unix_path_of(sa: &[u8]) -> &[u8] {
    sockaddr::unix_path(sa).unwrap_or(&[])
}

/// UNIXSocket#send_io(io or fd): passes the descriptor with SCM_RIGHTS and a
/// one-byte message, as stock does.
fn send_io(ruby: &Ruby, rb_self: Value, val: Value) -> Result<Value, Error> {
    let fd = if val.is_kind_of(ruby.class_io()) {
        io_bridge::fd(ruby, val)?
    } else if magnus::Fixnum::from_value(val).is_some() {
        // FIX2INT: a Fixnum out of int's range is a RangeError.
        crate::convert::num2int(val)?
    } else {
        return Err(errors::type_error(ruby, "neither IO nor file descriptor"));
    };
    io_bridge::fd(ruby, rb_self)?;
    let control = cmsg::encode(&[cmsg::Outgoing {
        level: libc::SOL_SOCKET,
        ctype: libc::SCM_RIGHTS,
        data: &fd.to_ne_bytes(),
    }])
    .expect("one int fits");
    // Stock sends CMSG_LEN(sizeof(int)), without the trailing padding.
    let control = &control[..cmsg::cmsg_len(4).expect("small")];
    let outcome = io_bridge::run(ruby, rb_self, Retry::SEND, Buffer::Own, |sock, _| {
        sys::sendmsg(sock, &[0], control, None, libc::MSG_DONTWAIT)
    })?;
    match outcome {
        Ok(_) => Ok(ruby.qnil().as_value()),
        Err(e) => Err(errors::syserr_path(
            ruby,
            e.raw_os_error().unwrap_or(libc::EIO),
            "sendmsg(2)",
            io_bridge::pathv(rb_self),
        )),
    }
}

/// One recvmsg(2) for recv_io: one byte and room for one descriptor
/// (CMSG_SPACE(sizeof(int))). Returns the control bytes received.
fn recv_io_once(sock: BorrowedFd<'_>, ctl_cap: usize) -> std::io::Result<Vec<u8>> {
    let mut byte = [0u8; 1];
    let mut ctl = vec![0u8; ctl_cap];
    let flags = libc::MSG_CMSG_CLOEXEC | libc::MSG_DONTWAIT;
    // SAFETY: both buffers are ours and as long as given.
    let received =
        unsafe { sys::recvmsg(sock, byte.as_mut_ptr(), 1, ctl.as_mut_ptr(), ctl_cap, flags) }?;
    ctl.truncate(received.control_len);
    Ok(ctl)
}

/// UNIXSocket#recv_io(klass = IO, mode = nil): receives one descriptor and
/// returns klass.for_fd(fd[, mode]), or the Integer fd when klass is nil.
/// Messages and retries follow stock's unix_recv_io.
fn recv_io(ruby: &Ruby, rb_self: Value, args: &[Value]) -> Result<Value, Error> {
    let ([], [klass, mode]) = positional::<0, 2>(ruby, args)?;
    let klass = klass.unwrap_or_else(|| ruby.class_io().as_value());
    let mode = mode.filter(|m| !m.is_nil());
    let ctl_cap = cmsg::cmsg_space(4).expect("small");
    let want_len = cmsg::cmsg_len(4).expect("small");
    let (mut gc_emsgsize, mut gc_enomem, mut gc_truncate) = (false, false, false);
    let ctl = loop {
        let outcome = io_bridge::run(ruby, rb_self, Retry::RECEIVE, Buffer::Own, |sock, _| {
            recv_io_once(sock, ctl_cap)
        })?;
        let ctl = match outcome {
            Ok(ctl) => ctl,
            Err(e) => {
                let errno = e.raw_os_error().unwrap_or(libc::EIO);
                // Out of descriptors: collect garbage IOs and try again once
                // per reason, as stock.
                if errno == libc::EMSGSIZE && !gc_emsgsize {
                    gc_emsgsize = true;
                    io_bridge::gc_for_fd();
                    continue;
                }
                if errno == libc::ENOMEM && !gc_enomem {
                    gc_enomem = true;
                    io_bridge::gc_for_fd();
                    continue;
                }
                return Err(errors::syserr_path(
                    ruby,
                    errno,
                    "recvmsg(2)",
                    io_bridge::pathv(rb_self),
                ));
            }
        };
        if ctl.len() < cmsg::HDR_LEN && !gc_truncate {
            gc_truncate = true;
            io_bridge::gc_for_fd();
            continue;
        }
        break ctl;
    };
    // SAFETY: `ctl` is the control data of the message just received, read
    // for its rights here only.
    let owned = unsafe { sys::own_received(&cmsg::all_rights(&ctl)) };
    // A rejected message's descriptors are not handed out: dropped (closed).
    received_fd(ruby, &ctl, want_len, ctl_cap)?;
    let Some(fd) = owned.into_iter().next() else {
        return Err(errors::socket_error(ruby, "file descriptor was not passed"));
    };
    // Handed to Ruby: the Integer's or the new IO's from here on.
    let fd = fd.into_raw_fd();
    if klass.is_nil() {
        return Ok(fd.into_value_with(ruby));
    }
    match mode {
        None => klass.funcall("for_fd", (fd,)),
        Some(mode) => klass.funcall("for_fd", (fd, mode)),
    }
}

/// Checks that recv_io's control buffer holds exactly one SCM_RIGHTS int,
/// with stock's SocketError messages when it does not.
fn received_fd(ruby: &Ruby, ctl: &[u8], want_len: usize, space: usize) -> Result<(), Error> {
    let fail =
        |msg: String| errors::socket_error(ruby, format!("file descriptor was not passed ({msg})"));
    if ctl.len() < cmsg::HDR_LEN {
        return Err(fail(format!(
            "msg_controllen={} smaller than sizeof(struct cmsghdr)={}",
            ctl.len(),
            cmsg::HDR_LEN
        )));
    }
    let (msgs, _) = cmsg::decode(ctl);
    let header = cmsg::header(ctl).expect("at least a header");
    if header.level != libc::SOL_SOCKET {
        return Err(fail(format!(
            "cmsg_level={}, {} expected",
            header.level,
            libc::SOL_SOCKET
        )));
    }
    if header.ctype != libc::SCM_RIGHTS {
        return Err(fail(format!(
            "cmsg_type={}, {} expected",
            header.ctype,
            libc::SCM_RIGHTS
        )));
    }
    if ctl.len() < want_len {
        return Err(fail(format!(
            "msg_controllen={} smaller than CMSG_LEN(sizeof(int))={}",
            ctl.len(),
            want_len
        )));
    }
    if ctl.len() > space {
        return Err(fail(format!(
            "msg_controllen={} bigger than CMSG_SPACE(sizeof(int))={}",
            ctl.len(),
            space
        )));
    }
    if header.declared_len != want_len {
        return Err(fail(format!(
            "cmsg_len={}, {} expected",
            header.declared_len, want_len
        )));
    }
    let fds = msgs.first().map(|m| m.rights()).unwrap_or_default();
    match fds.first() {
        Some(_) => Ok(()),
        None => Err(fail(format!(
            "cmsg_len={}, {} expected",
            header.declared_len, want_len
        ))),
    }
}
