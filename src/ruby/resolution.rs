//! Name resolution as the stock extension does it (host_str, port_str,
//! rsock_getaddrinfo, getnameinfo), shared by Addrinfo, Socket, IPSocket and
//! TCPSocket so they all resolve alike. Numeric input is answered by the
//! core's fast path; lookups that consult name services run on a resolver
//! thread while the Ruby thread waits through io_bridge, interruptibly.

use crate::convert::{family_arg, num2int, num2uint, socktype_arg, string_value_cstr};
use crate::core::resolve::{self, AddrInfo, Background, GaiError, Hints, Query, SmallBytes};
use crate::core::sockaddr;
use crate::errors;
use crate::ffi::protect;
use crate::io_bridge;
use magnus::{
    prelude::*,
    rb_sys::{AsRawValue, FromRawValue},
    Error, RArray, RString, Ruby, Value,
};
use std::ffi::CString;

/// host_str's result: the node to resolve (None for nil) and the flags it adds.
pub struct HostArg {
    pub node: Option<SmallBytes>,
    pub flags: i32,
}

/// stock's host_str: nil, an Integer (a packed IPv4 address), or a String
/// with its special spellings ("", "*", "<any>", "<broadcast>").
pub fn host_str(ruby: &Ruby, host: Value) -> Result<HostArg, Error> {
    if host.is_nil() {
        return Ok(HostArg {
            node: None,
            flags: 0,
        });
    }
    // Strings first: they are the common case and never Integers.
    if RString::from_value(host).is_none() && host.is_kind_of(ruby.class_integer()) {
        let mut text = String::with_capacity(15);
        sockaddr::format_ipv4(num2uint(host)?.to_be_bytes(), &mut text);
        return Ok(HostArg {
            node: Some(SmallBytes::new(text.as_bytes())),
            flags: libc::AI_NUMERICHOST,
        });
    }
    let s = string_value_cstr(host)?;
    // SAFETY: copied out before any other Ruby call.
    let name = unsafe { s.as_slice() };
    let (node, flags): (&[u8], i32) = match name {
        b"" => (b"0.0.0.0", libc::AI_NUMERICHOST),
        // Ruby 3.1 passes "*" on as no host at all (the wildcard/loopback).
        b"*" => {
            return Ok(HostArg {
                node: None,
                flags: 0,
            })
        }
        b"<any>" => (b"0.0.0.0", 0),
        b"<broadcast>" => (b"255.255.255.255", 0),
        n if n.len() >= libc::NI_MAXHOST as usize => {
            return Err(errors::argument_error(
                ruby,
                format!("hostname too long ({})", n.len()),
            ))
        }
        n => (n, 0),
    };
    Ok(HostArg {
        node: Some(SmallBytes::new(node)),
        flags,
    })
}

/// The address families (AF_INET6, then AF_INET) for which getaddrinfo(3)
/// answers `host` from /etc/hosts without a name server (such a lookup is
/// made in place); none for anything else (a name to look up elsewhere, or
/// not a String).
pub fn hosts_file_families(host: Value) -> Vec<i32> {
    let Some(s) = RString::from_value(host) else {
        return Vec::new();
    };
    // SAFETY: the slice is used only below, where no Ruby call is made
    // (answered_by_hosts_file reads files and a Rust cache).
    let name = unsafe { s.as_slice() };
    if name.contains(&0) {
        return Vec::new();
    }
    [libc::AF_INET6, libc::AF_INET]
        .into_iter()
        .filter(|&family| resolve::answered_by_hosts_file(name, family))
        .collect()
}

/// stock's port_str: nil, a Fixnum (numeric service), or a service String.
pub fn port_str(ruby: &Ruby, port: Value) -> Result<(Option<SmallBytes>, i32), Error> {
    if port.is_nil() {
        return Ok((None, 0));
    }
    if let Some(fix) = magnus::Fixnum::from_value(port) {
        return Ok((
            Some(SmallBytes::decimal(fix.to_isize() as i64)),
            libc::AI_NUMERICSERV,
        ));
    }
    let s = string_value_cstr(port)?;
    // SAFETY: copied out before any other Ruby call.
    let serv = SmallBytes::new(unsafe { s.as_slice() });
    if serv.len() >= 32 {
        return Err(errors::argument_error(
            ruby,
            format!("service name too long ({})", serv.len()),
        ));
    }
    Ok((Some(serv), 0))
}

/// The exception stock raises for a failed getaddrinfo/getnameinfo:
/// Errno::* for EAI_SYSTEM with an errno, else Socket::ResolutionError.
pub fn gai_error(ruby: &Ruby, what: &str, err: GaiError) -> Error {
    if err.code == libc::EAI_SYSTEM && err.errno != 0 {
        return errors::syserr(ruby, err.errno, what);
    }
    errors::resolution_error(
        ruby,
        err.code,
        &format!("{what}: {}", resolve::gai_strerror(err.code)),
    )
}

/// Runs `f` on a worker thread while this Ruby thread waits without the
/// GVL, interruptible; None when `timeout` passed first (the worker is then
/// abandoned and cleans up after itself).
pub fn run_blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
    timeout: Option<f64>,
) -> Result<Option<T>, Error> {
    let (job, f) = {
        // The closure goes to the worker; keep a way to run it here if no
        // thread can be started.
        let cell = std::sync::Arc::new(std::sync::Mutex::new(Some(f)));
        let theirs = std::sync::Arc::clone(&cell);
        let job = Background::spawn(move || {
            let f = theirs.lock().ok().and_then(|mut g| g.take());
            f.map(|f| f())
        });
        (job, cell)
    };
    let job = match job {
        Ok(job) => job,
        Err(_) => {
            let f = f.lock().ok().and_then(|mut g| g.take());
            return Ok(f.map(|f| f()));
        }
    };
    if !io_bridge::wait_fd_readable(job.fd(), timeout)? {
        return Ok(None);
    }
    // Readable means the worker has signalled, after storing its result.
    match job.take() {
        Some(v) => Ok(v),
        None => Err(errors::runtime_error(
            &Ruby::get().expect("ruby thread"),
            "socket_rs: resolver thread failed",
        )),
    }
}

/// stock's rsock_getaddrinfo: host_str/port_str, the socktype hack, the
/// numeric fast path, else getaddrinfo(3) on a worker thread. A `timeout`
/// that passes raises as an EAI_AGAIN failure, as Ruby 3.4 does.
pub fn getaddrinfo(
    ruby: &Ruby,
    host: Value,
    port: Value,
    hints: Hints,
    socktype_hack: bool,
    timeout: Option<f64>,
) -> Result<Vec<AddrInfo>, Error> {
    let host_value = host;
    let args = LookupArgs::new(ruby, host, port, hints, socktype_hack)?;
    if let Some(list) = args.numeric() {
        return Ok(list);
    }
    let scheduled = if args.host.node.is_some() && args.hints.flags & libc::AI_NUMERICHOST == 0 {
        scheduler_getaddrinfo(ruby, host_value, args.service.as_deref(), &args.hints)?
    } else {
        None
    };
    let ends_in_newline = args.ends_in_newline();
    let result = match scheduled {
        Some(result) => result,
        None => {
            let timeout = lookup_timeout(ruby, timeout)?;
            let enforced = crate::compat::lookup_timeout_enforced();
            if enforced && timeout == Some(0.0) {
                return Err(args.timed_out(ruby));
            }
            match args.in_place() {
                Some(result) => result,
                None => {
                    let query = args.query();
                    match run_blocking(move || query.run(), timeout)? {
                        Some(result) => result,
                        None if enforced => return Err(args.timed_out(ruby)),
                        None => Err(GaiError::new(libc::EAI_AGAIN)),
                    }
                }
            }
        }
    };
    lookup_result(ruby, ends_in_newline, result)
}

/// A lookup's `timeout:` in seconds as the running Ruby takes it: from 4.0
/// checked (ArgumentError when negative or past u32 milliseconds) and
/// rounded to milliseconds, 0 meaning it has passed; before, a zero or
/// negative one means none.
fn lookup_timeout(ruby: &Ruby, timeout: Option<f64>) -> Result<Option<f64>, Error> {
    let Some(seconds) = timeout else {
        return Ok(None);
    };
    if !crate::compat::lookup_timeout_enforced() {
        return Ok((seconds > 0.0).then_some(seconds));
    }
    if seconds < 0.0 {
        return Err(errors::argument_error(ruby, "timeout must not be negative"));
    }
    let msec = seconds * 1000.0;
    if msec > f64::from(u32::MAX) {
        return Err(errors::argument_error(ruby, "timeout too large"));
    }
    // As stock's (unsigned int)(msec + 0.5); NaN counts as 0.
    Ok(Some(f64::from((msec + 0.5) as u32) / 1000.0))
}

/// The arguments of a lookup as stock's rsock_getaddrinfo makes them.
pub struct LookupArgs {
    host: HostArg,
    service: Option<SmallBytes>,
    hints: Hints,
}

impl LookupArgs {
    /// host_str, port_str and the socktype hack; the flags they imply join
    /// `hints`.
    pub fn new(
        ruby: &Ruby,
        host: Value,
        port: Value,
        mut hints: Hints,
        socktype_hack: bool,
    ) -> Result<Self, Error> {
        let host = host_str(ruby, host)?;
        let (service, port_flags) = port_str(ruby, port)?;
        if socktype_hack && hints.socktype == 0 && resolve::str_is_number(service.as_deref()) {
            hints.socktype = libc::SOCK_DGRAM;
        }
        hints.flags |= host.flags | port_flags;
        Ok(LookupArgs {
            host,
            service,
            hints,
        })
    }

    /// The answer of a numeric host and service, computed here.
    pub fn numeric(&self) -> Option<Vec<AddrInfo>> {
        resolve::numeric_getaddrinfo(
            self.host.node.as_deref(),
            self.service.as_deref(),
            &self.hints,
        )
    }

    /// getaddrinfo(3) on the calling thread when it cannot hang: nothing to
    /// look up by name, or a name /etc/hosts answers. None otherwise.
    pub fn in_place(&self) -> Option<Result<Vec<AddrInfo>, GaiError>> {
        let service = self.service.as_deref();
        if resolve::lookup_free(self.host.node.is_some(), service, &self.hints) {
            let query = self.query();
            return Some(resolve::getaddrinfo(
                query.node.as_deref(),
                query.service.as_deref(),
                &self.hints,
            ));
        }
        let node = self.host.node.as_deref()?;
        if resolve::lookup_free(false, service, &self.hints)
            && resolve::answered_by_hosts_file(node, self.hints.family)
        {
            let query = self.query();
            let node = query.node.as_deref().expect("a node");
            return Some(resolve::hosts_file_getaddrinfo(
                node,
                query.service.as_deref(),
                &self.hints,
            ));
        }
        None
    }

    /// A host ending in a newline: stock words a failure to resolve it
    /// apart.
    pub fn ends_in_newline(&self) -> bool {
        self.host
            .node
            .as_deref()
            .is_some_and(|n| n.last() == Some(&b'\n'))
    }

    /// IO::TimeoutError "user specified timeout for localhost port 80":
    /// the lookup's timeout passed (Ruby 4.0).
    pub fn timed_out(&self, ruby: &Ruby) -> Error {
        let text = |b: Option<&SmallBytes>| b.map(|b| b.to_vec()).unwrap_or_default();
        let place =
            errors::place_of_host(&text(self.host.node.as_ref()), &text(self.service.as_ref()));
        errors::user_specified_timeout(ruby, &place)
    }

    /// Owned C strings for a worker thread.
    pub fn query(&self) -> Query {
        let cstr = |b: Option<&SmallBytes>| b.map(|b| CString::new(b.to_vec()).expect("no NUL"));
        Query {
            node: cstr(self.host.node.as_ref()),
            service: cstr(self.service.as_ref()),
            hints: self.hints,
        }
    }
}

/// The end of stock's rsock_getaddrinfo: the addresses, or the exception
/// for an empty answer or a failure.
pub fn lookup_result(
    ruby: &Ruby,
    ends_in_newline: bool,
    result: Result<Vec<AddrInfo>, GaiError>,
) -> Result<Vec<AddrInfo>, Error> {
    match result {
        Ok(list) if !list.is_empty() => Ok(list),
        Ok(_) => Err(errors::socket_error(ruby, "host not found")),
        Err(_) if ends_in_newline => {
            Err(errors::socket_error(ruby, "newline at the end of hostname"))
        }
        Err(e) => Err(gai_error(ruby, "getaddrinfo", e)),
    }
}

/// Ruby 3.1's rb_scheduler_getaddrinfo: inside a non-blocking fiber whose
/// scheduler implements `address_resolve`, the scheduler resolves the name
/// and each address it returns is taken numerically (with a numeric port
/// only, as stock). None when there is no such scheduler.
fn scheduler_getaddrinfo(
    ruby: &Ruby,
    host: Value,
    service: Option<&[u8]>,
    hints: &Hints,
) -> Result<Option<Result<Vec<AddrInfo>, GaiError>>, Error> {
    // SAFETY: reading the current fiber's scheduler does not raise.
    let scheduler = unsafe { rb_sys::rb_fiber_scheduler_current() };
    if scheduler == rb_sys::Qnil as rb_sys::VALUE {
        return Ok(None);
    }
    // SAFETY: interning a static name does not raise.
    let id = unsafe { rb_sys::rb_intern(c"address_resolve".as_ptr()) };
    let arg = host.as_raw();
    // SAFETY: rb_check_funcall returns Qundef when the scheduler has no such
    // method; the hook may raise, which protect catches. `arg` is a VALUE on
    // this frame that the call only reads.
    let answer = protect(|| unsafe { rb_sys::rb_check_funcall(scheduler, id, 1, &arg) })?;
    if answer == rb_sys::Qundef as rb_sys::VALUE {
        return Ok(None);
    }
    // SAFETY: the hook's result is a live VALUE.
    let answer = unsafe { Value::from_raw(answer) };
    let addresses = if answer.is_nil() {
        ruby.ary_new()
    } else {
        convert_ary(answer)?
    };
    let mut out = Vec::new();
    let mut i = 0;
    // Re-read the length each time: host_str may run Ruby code (to_str).
    while i < addresses.len() {
        let node = host_str(ruby, addresses.entry(i as isize)?)?;
        i += 1;
        if let Some(list) = resolve::numeric_getaddrinfo(node.node.as_deref(), service, hints) {
            out.extend(list);
        }
    }
    Ok(Some(if out.is_empty() {
        Err(GaiError::new(libc::EAI_NONAME))
    } else {
        Ok(out)
    }))
}

/// getnameinfo(3) of a sockaddr, on this thread when it cannot block,
/// else on a worker thread.
pub fn getnameinfo_blocking(
    ruby: &Ruby,
    sa: &[u8],
    flags: i32,
) -> Result<(Vec<u8>, Vec<u8>), Error> {
    let result = if resolve::getnameinfo_is_quick(sa, flags) {
        resolve::getnameinfo(sa, flags)
    } else {
        let sa = sa.to_vec();
        run_blocking(move || resolve::getnameinfo(&sa, flags), None)?
            .unwrap_or(Err(GaiError::new(libc::EAI_AGAIN)))
    };
    result.map_err(|e| gai_error(ruby, "getnameinfo", e))
}

/// getnameinfo(NI_NUMERICHOST | NI_NUMERICSERV) of a sockaddr: the numeric
/// host as a String and the port. IP sockaddrs are formatted in place, with
/// no getnameinfo call and no heap copy (recvfrom, ip_unpack, addr); what
/// the formatter refuses goes to getnameinfo(3), for its exact answer or
/// error.
pub fn numeric_nameinfo(ruby: &Ruby, sa: &[u8]) -> Result<(RString, u16), Error> {
    if let Ok((host, port)) = sockaddr::ip_unpack(sa) {
        return Ok((ruby.str_from_slice(host.as_bytes()), port));
    }
    let (host, serv) = getnameinfo_blocking(ruby, sa, resolve::NUMERIC)?;
    let port = std::str::from_utf8(&serv).ok().and_then(|p| p.parse().ok());
    Ok((ruby.str_from_slice(&host), port.unwrap_or(0)))
}

/// Hints from optional Ruby values as stock coerces them.
pub fn hints_from(
    ruby: &Ruby,
    family: Value,
    socktype: Value,
    protocol: Value,
    flags: Value,
) -> Result<Hints, Error> {
    let mut hints = Hints::default();
    if !family.is_nil() {
        hints.family = family_arg(ruby, family)?;
    }
    if !socktype.is_nil() {
        hints.socktype = socktype_arg(ruby, socktype)?;
    }
    if !protocol.is_nil() {
        hints.protocol = num2int(protocol)?;
    }
    if !flags.is_nil() {
        hints.flags = num2int(flags)?;
    }
    Ok(hints)
}

/// rb_check_array_type: Some(Array) for an Array or to_ary-able object.
pub fn check_array(v: Value) -> Result<Option<RArray>, Error> {
    if let Some(a) = RArray::from_value(v) {
        return Ok(Some(a));
    }
    // SAFETY: rb_check_array_type may call to_ary, which may raise; protect
    // catches it.
    let raw = protect(|| unsafe { rb_sys::rb_check_array_type(v.as_raw()) })?;
    // SAFETY: nil or an Array.
    Ok(RArray::from_value(unsafe { Value::from_raw(raw) }))
}

/// rb_convert_type(v, T_ARRAY, "Array", "to_ary"), with its TypeError.
pub fn convert_ary(v: Value) -> Result<RArray, Error> {
    if let Some(a) = RArray::from_value(v) {
        return Ok(a);
    }
    // SAFETY: rb_convert_type raises TypeError when there is no to_ary (or
    // to_ary raises); protect catches it.
    let raw = protect(|| unsafe {
        rb_sys::rb_convert_type(
            v.as_raw(),
            rb_sys::ruby_value_type::RUBY_T_ARRAY as _,
            c"Array".as_ptr(),
            c"to_ary".as_ptr(),
        )
    })?;
    // SAFETY: on success the result is an Array.
    Ok(RArray::from_value(unsafe { Value::from_raw(raw) }).expect("an Array"))
}

/// stock's rsock_make_ipaddr: the numeric host of a sockaddr.
pub fn make_ipaddr(ruby: &Ruby, sa: &[u8]) -> Result<RString, Error> {
    Ok(numeric_nameinfo(ruby, sa)?.0)
}
