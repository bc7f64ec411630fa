//! SocketRs::PendingLookup: a getaddrinfo(3) running on the resolver pool
//! while Ruby code waits for it with IO.select. Happy Eyeballs resolves a
//! name that may hang this way, one lookup per address family, instead of
//! starting a Ruby thread for each (stock 3.4 starts a pthread for each).
//! Not a class of the stock extension: socket_rs's own, for
//! lib/socket_rs/happy_eyeballs.rb.

use crate::core::resolve::{AddrInfo, Background, GaiError, Hints};
use crate::core::sys;
use crate::errors;
use crate::io_bridge;
use crate::ruby::addrinfo;
use crate::ruby::resolution::{lookup_result, LookupArgs};
use magnus::{function, method, prelude::*, Error, RModule, Ruby, TypedData, Value};
use std::cell::RefCell;

type Answer = Result<Vec<AddrInfo>, GaiError>;

/// A lookup in progress; dropping it abandons the lookup (the pool thread
/// finishes and frees what it holds).
#[derive(TypedData)]
#[magnus(class = "SocketRs::PendingLookup", free_immediately, size)]
pub struct PendingLookup {
    job: RefCell<Option<Background<Answer>>>,
    ends_in_newline: bool,
}

impl magnus::DataTypeFunctions for PendingLookup {}

pub fn init(ruby: &Ruby, module: RModule) -> Result<(), Error> {
    let class = module.define_class("PendingLookup", ruby.class_object())?;
    class.undef_default_alloc_func();
    class.define_singleton_method("start", function!(start, 3))?;
    class.define_method("io", method!(io, 0))?;
    class.define_method("take", method!(take, 2))?;
    class.define_method("close", method!(close, 0))?;
    Ok(())
}

/// PendingLookup.start(host, port, family): the lookup of `host` and `port`
/// for one family of stream sockets, as `Addrinfo.getaddrinfo(host, port,
/// family, :STREAM)` makes it. What can be answered at once (a numeric
/// address, a name /etc/hosts answers) is: the Addrinfo list then, or the
/// exception raised; else a PendingLookup.
fn start(ruby: &Ruby, host: Value, port: Value, family: i32) -> Result<Value, Error> {
    let hints = Hints {
        family,
        socktype: libc::SOCK_STREAM,
        ..Default::default()
    };
    let args = LookupArgs::new(ruby, host, port, hints, false)?;
    let ends_in_newline = args.ends_in_newline();
    let answered = match args.numeric() {
        Some(list) => Some(Ok(list)),
        None => args.in_place(),
    };
    let query = args.query();
    let answer = match answered {
        Some(answer) => answer,
        None => {
            let theirs = query.clone();
            match Background::spawn(move || theirs.run()) {
                Ok(job) => {
                    let lookup = PendingLookup {
                        job: RefCell::new(Some(job)),
                        ends_in_newline,
                    };
                    return Ok(ruby.obj_wrap(lookup).as_value());
                }
                // No thread could be had: resolved here, as a blocking
                // lookup does then.
                Err(_) => query.run(),
            }
        }
    };
    let list = lookup_result(ruby, ends_in_newline, answer)?;
    Ok(addrinfo::new_list(ruby, host, port, &list)?.as_value())
}

/// A new IO that turns readable when the answer is in. The caller closes it.
fn io(ruby: &Ruby, rb_self: &PendingLookup) -> Result<Value, Error> {
    let job = rb_self.job.borrow();
    let Some(job) = job.as_ref() else {
        return Err(errors::io_error_message(ruby, "lookup already taken"));
    };
    let fd = sys::duplicate(job.fd()).map_err(|e| errors::io_error(ruby, &e, "dup(2)"))?;
    io_bridge::fdopen(fd)
}

/// Abandons the lookup now rather than at the next GC: its eventfd is
/// closed once the pool thread is done with it (at once when it is).
fn close(rb_self: &PendingLookup) {
    rb_self.job.borrow_mut().take();
}

/// The answer, once `io` turned readable: the Addrinfo list for `host` and
/// `port` (those the lookup was started with), or the exception
/// Addrinfo.getaddrinfo raises for it.
fn take(ruby: &Ruby, rb_self: &PendingLookup, host: Value, port: Value) -> Result<Value, Error> {
    let answer = {
        let mut job = rb_self.job.borrow_mut();
        let answer = job.as_ref().and_then(Background::take);
        if answer.is_some() {
            *job = None;
        }
        answer
    };
    // Readable with no answer: the lookup panicked.
    let Some(answer) = answer else {
        return Err(errors::runtime_error(
            ruby,
            "socket_rs: resolver thread failed",
        ));
    };
    let list = lookup_result(ruby, rb_self.ends_in_newline, answer)?;
    Ok(addrinfo::new_list(ruby, host, port, &list)?.as_value())
}
