//! Argument coercions shared by every class: integers as NUM2INT does them,
//! and family/socktype/level/optname/shutdown names as stock accepts them
//! (Integer, Symbol, or String/to_str).

use crate::core::constants::{self, Category};
use crate::errors;
use crate::ffi::protect;
use magnus::{
    prelude::*,
    rb_sys::{AsRawValue, FromRawValue},
    value::LazyId,
    Error, RHash, RString, Ruby, Symbol, Value,
};

/// NUM2INT: Integer (or anything with to_int, Float truncated) to a C int,
/// with stock's TypeError/RangeError messages.
pub fn num2int(value: Value) -> Result<i32, Error> {
    if let Some(fixnum) = magnus::Fixnum::from_value(value) {
        if let Ok(v) = i32::try_from(fixnum.to_isize()) {
            return Ok(v);
        }
    }
    // SAFETY: rb_num2int raises TypeError/RangeError; protect catches it.
    let v = protect(|| unsafe { rb_sys::rb_num2int(value.as_raw()) })?;
    Ok(v as i32)
}

/// NUM2LONG, for lengths and sizes.
pub fn num2long(value: Value) -> Result<i64, Error> {
    if let Some(fixnum) = magnus::Fixnum::from_value(value) {
        return Ok(fixnum.to_isize() as i64);
    }
    // SAFETY: rb_num2long raises TypeError/RangeError; protect catches it.
    let v = protect(|| unsafe { rb_sys::rb_num2long(value.as_raw()) })?;
    Ok(v)
}

/// StringValue: a String, or the result of to_str, else TypeError.
pub fn string_value(value: Value) -> Result<RString, Error> {
    if let Some(s) = RString::from_value(value) {
        return Ok(s);
    }
    // SAFETY: rb_str_to_str raises TypeError for non-strings; protect catches it.
    let raw = protect(|| unsafe { rb_sys::rb_str_to_str(value.as_raw()) })?;
    // SAFETY: rb_str_to_str returns a String on success.
    Ok(unsafe { RString::from_value(Value::from_raw(raw)).expect("a String") })
}

/// rb_check_string_type: Some(String) for a String or to_str-able object.
fn check_string(value: Value) -> Result<Option<RString>, Error> {
    if let Some(s) = RString::from_value(value) {
        return Ok(Some(s));
    }
    // SAFETY: rb_check_string_type returns nil instead of raising for
    // non-strings, but a to_str method may raise; protect catches that.
    let raw = protect(|| unsafe { rb_sys::rb_check_string_type(value.as_raw()) })?;
    // SAFETY: the result is nil or a String, both valid values.
    let v = unsafe { Value::from_raw(raw) };
    Ok(RString::from_value(v))
}

/// stock's constant_arg: a Symbol or String is looked up by name in the
/// category ("unknown socket domain: FOO" when missing); anything else is
/// NUM2INT.
pub fn constant_arg(
    ruby: &Ruby,
    value: Value,
    category: Category,
    what: &str,
) -> Result<i32, Error> {
    if magnus::Fixnum::from_value(value).is_some() {
        // Neither a Symbol nor a String: skip rb_check_string_type's protect.
        return num2int(value);
    }
    let cache = SymbolCache::slot(value, category);
    if let Some(v) = cache.and_then(SymbolCache::get) {
        return Ok(v);
    }
    let name = if let Some(sym) = Symbol::from_value(value) {
        // SAFETY: rb_sym2str returns the symbol's name, a String; it does
        // not raise.
        let raw = unsafe { rb_sys::rb_sym2str(sym.as_raw()) };
        // SAFETY: as above.
        RString::from_value(unsafe { Value::from_raw(raw) }).expect("a String")
    } else {
        match check_string(value)? {
            Some(s) => s,
            None => return num2int(value),
        }
    };
    // SAFETY: the bytes are only read here, before any other Ruby call.
    let bytes = unsafe { name.as_slice() };
    match constants::name_to_int(category, bytes) {
        Some(v) => {
            if let Some(c) = cache {
                c.set(v as i32);
            }
            Ok(v as i32)
        }
        None => {
            // stock prints the name with %s: up to its first NUL byte.
            let shown = bytes.split(|&b| b == 0).next().unwrap_or(&[]);
            Err(errors::socket_error(
                ruby,
                format!("{what}: {}", String::from_utf8_lossy(shown)),
            ))
        }
    }
}

/// A small direct-mapped cache of constant lookups by static Symbol
/// (`Socket.new(:INET, :STREAM)`, `setsockopt(:SOCKET, :REUSEADDR, ...)`):
/// static Symbols are never freed, so the VALUE identifies the name for the
/// life of the process. Each entry packs the symbol's ID (high 32 bits) and
/// the value (low 32 bits) into one atomic word, so a reader never sees half
/// of an update. Dynamic Symbols (which the GC may free and reuse) and IDs
/// beyond 32 bits are not cached.
#[derive(Clone, Copy)]
struct SymbolCache {
    entry: &'static std::sync::atomic::AtomicU64,
    id: u64,
}

const CACHE_SLOTS: usize = 64;
static SYMBOL_CACHE: [std::sync::atomic::AtomicU64; CACHE_SLOTS * 16] =
    [const { std::sync::atomic::AtomicU64::new(0) }; CACHE_SLOTS * 16];

impl SymbolCache {
    fn slot(value: Value, category: Category) -> Option<SymbolCache> {
        let raw: u64 = value.as_raw();
        // RUBY_SYMBOL_FLAG in the low byte marks a static Symbol: (ID << 8) | 0x0c.
        if raw & 0xff != rb_sys::ruby_special_consts::RUBY_SYMBOL_FLAG as u64 {
            return None;
        }
        let id = raw >> 8;
        if id == 0 || id > u32::MAX as u64 {
            return None;
        }
        let index = (category as usize) * CACHE_SLOTS + (id as usize % CACHE_SLOTS);
        Some(SymbolCache {
            entry: &SYMBOL_CACHE[index],
            id,
        })
    }

    fn get(self) -> Option<i32> {
        let word = self.entry.load(std::sync::atomic::Ordering::Relaxed);
        (word >> 32 == self.id).then_some(word as u32 as i32)
    }

    fn set(self, v: i32) {
        let word = (self.id << 32) | u64::from(v as u32);
        self.entry.store(word, std::sync::atomic::Ordering::Relaxed);
    }
}

pub fn family_arg(ruby: &Ruby, value: Value) -> Result<i32, Error> {
    constant_arg(ruby, value, Category::Family, "unknown socket domain")
}

pub fn socktype_arg(ruby: &Ruby, value: Value) -> Result<i32, Error> {
    constant_arg(ruby, value, Category::SockType, "unknown socket type")
}

/// A level for getsockopt/setsockopt/ancillary data, as rsock_level_arg.
pub fn level_arg(ruby: &Ruby, family: i32, value: Value) -> Result<i32, Error> {
    let category = if crate::core::sockaddr::is_ip_family(family) {
        Category::IpLevel
    } else {
        Category::UnknownLevel
    };
    constant_arg(ruby, value, category, "unknown protocol level")
}

/// An option name within a level, as rsock_optname_arg.
pub fn optname_arg(ruby: &Ruby, family: i32, level: i32, value: Value) -> Result<i32, Error> {
    let (category, what) = if crate::core::sockaddr::is_ip_family(family) {
        match level {
            libc::SOL_SOCKET => (Category::SoOptname, "unknown socket level option name"),
            libc::IPPROTO_IP => (Category::IpOptname, "unknown IP level option name"),
            libc::IPPROTO_IPV6 => (Category::Ipv6Optname, "unknown IPv6 level option name"),
            libc::IPPROTO_TCP => (Category::TcpOptname, "unknown TCP level option name"),
            libc::IPPROTO_UDP => (Category::UdpOptname, "unknown UDP level option name"),
            _ => return num2int(value),
        }
    } else if level == libc::SOL_SOCKET {
        (Category::SoOptname, "unknown socket level option name")
    } else {
        return num2int(value);
    };
    constant_arg(ruby, value, category, what)
}

/// A control message type within a level, as rsock_cmsg_type_arg: names
/// are looked up among the SCM_/IP_/IPV6_/TCP_/UDP_ constants of the level.
pub fn cmsg_type_arg(ruby: &Ruby, family: i32, level: i32, value: Value) -> Result<i32, Error> {
    let (category, what) = match level {
        libc::SOL_SOCKET => (Category::ScmOptname, "unknown UNIX control message"),
        _ if !crate::core::sockaddr::is_ip_family(family) => return num2int(value),
        libc::IPPROTO_IP => (Category::IpOptname, "unknown IP control message"),
        libc::IPPROTO_IPV6 => (Category::Ipv6Optname, "unknown IPv6 control message"),
        libc::IPPROTO_TCP => (Category::TcpOptname, "unknown TCP control message"),
        libc::IPPROTO_UDP => (Category::UdpOptname, "unknown UDP control message"),
        _ => return num2int(value),
    };
    constant_arg(ruby, value, category, what)
}

/// The `how` of BasicSocket#shutdown, as rsock_shutdown_how_arg.
pub fn shutdown_how_arg(ruby: &Ruby, value: Value) -> Result<i32, Error> {
    constant_arg(
        ruby,
        value,
        Category::ShutdownHow,
        "unknown shutdown argument",
    )
}

/// NUM2INT of an optional argument: nil or absent means `default`.
pub fn opt_int(value: Option<Value>, default: i32) -> Result<i32, Error> {
    match value {
        Some(v) if !v.is_nil() => num2int(v),
        _ => Ok(default),
    }
}

static ADDRINFO: magnus::value::Lazy<magnus::RClass> = magnus::value::Lazy::new(|ruby| {
    ruby.class_object()
        .const_get("Addrinfo")
        .expect("Addrinfo is defined at load")
});

/// SockAddrStringValue: a packed sockaddr String, or an Addrinfo's
/// to_sockaddr.
pub fn sockaddr_arg(ruby: &Ruby, value: Value) -> Result<RString, Error> {
    if value.is_kind_of(ruby.get_inner(&ADDRINFO)) {
        let packed: Value = value.funcall("to_sockaddr", ())?;
        return string_value(packed);
    }
    string_value(value)
}

/// A UNIX socket path argument, as stock takes it: an abstract name (a
/// String starting with NUL) as is; anything else through FilePathValue
/// (to_path/to_str, ASCII-compatible, no NUL bytes).
pub fn unix_path_arg(value: Value) -> Result<RString, Error> {
    if let Some(s) = check_string(value)? {
        // SAFETY: only the first byte is read, before any Ruby call.
        if unsafe { s.as_slice() }.first() == Some(&0) {
            return Ok(s);
        }
    }
    // SAFETY: rb_get_path raises TypeError/ArgumentError/EncodingError;
    // protect catches them.
    let raw = protect(|| unsafe { rb_sys::rb_get_path(value.as_raw()) })?;
    // SAFETY: rb_get_path returns a String.
    Ok(RString::from_value(unsafe { Value::from_raw(raw) }).expect("a String"))
}

/// StringValueCStr: a String (or to_str) without NUL bytes, else stock's
/// TypeError or "ArgumentError: string contains null byte".
pub fn string_value_cstr(value: Value) -> Result<RString, Error> {
    if let Some(s) = RString::from_value(value) {
        // SAFETY: the bytes are only scanned, before any other Ruby call.
        if !unsafe { s.as_slice() }.contains(&0) {
            return Ok(s);
        }
    }
    let mut raw = value.as_raw();
    // SAFETY: rb_string_value_cstr converts in place (to_str) and raises for
    // non-strings or embedded NULs; protect catches that; `raw` is a plain
    // VALUE slot on this frame.
    protect(|| unsafe { rb_sys::rb_string_value_cstr(&mut raw) as usize })?;
    // SAFETY: after success the slot holds a String.
    Ok(unsafe { RString::from_value(Value::from_raw(raw)).expect("a String") })
}

/// NUM2UINT, with stock's RangeError/TypeError.
pub fn num2uint(value: Value) -> Result<u32, Error> {
    // SAFETY: rb_num2uint raises TypeError/RangeError; protect catches it.
    let v = protect(|| unsafe { rb_sys::rb_num2uint(value.as_raw()) })?;
    Ok(v as u32)
}

/// rb_scan_args' arity check for a method taking `min..=max` positional
/// arguments, with Ruby's message. Cheaper than magnus' scan_args, which
/// formats its spec on every call: for hot methods.
#[inline]
pub fn check_arity(ruby: &Ruby, given: usize, min: usize, max: usize) -> Result<(), Error> {
    if (min..=max).contains(&given) {
        return Ok(());
    }
    Err(arity_error(ruby, given, min, max))
}

#[cold]
fn arity_error(ruby: &Ruby, given: usize, min: usize, max: usize) -> Error {
    let expected = if min == max {
        min.to_string()
    } else {
        format!("{min}..{max}")
    };
    errors::argument_error(
        ruby,
        format!("wrong number of arguments (given {given}, expected {expected})"),
    )
}

/// rb_scan_args for REQ required and OPT optional positional arguments (no
/// keywords): the required ones, and the optional ones with None for those
/// left out; Ruby's ArgumentError for a wrong count. magnus' scan_args
/// formats its spec on every call, which showed in profiles of Socket.new.
pub fn positional<const REQ: usize, const OPT: usize>(
    ruby: &Ruby,
    args: &[Value],
) -> Result<([Value; REQ], [Option<Value>; OPT]), Error> {
    check_arity(ruby, args.len(), REQ, REQ + OPT)?;
    Ok((
        std::array::from_fn(|i| args[i]),
        std::array::from_fn(|i| args.get(REQ + i).copied()),
    ))
}

/// The `exception:` keyword of the *_nonblock methods: raise unless it is
/// exactly false, as stock tests it.
pub fn raises(exception: Value) -> bool {
    exception.as_raw() != rb_sys::Qfalse as rb_sys::VALUE
}

/// Splits off the keyword Hash when the caller passed keywords; a Hash
/// passed positionally stays an argument, as for a C method taking `:`.
pub fn split_keywords(args: &[Value]) -> (&[Value], Option<RHash>) {
    // SAFETY: rb_keyword_given_p only reads the current frame's flags.
    let given = unsafe { rb_sys::rb_keyword_given_p() } != 0;
    match args.split_last() {
        Some((&last, rest)) if given => match RHash::from_value(last) {
            Some(hash) => (rest, Some(hash)),
            None => (args, None),
        },
        _ => (args, None),
    }
}

/// rb_get_kwargs for optional keywords `names` (IDs interned once, unlike
/// magnus' get_kwargs, which interns them on every call): their values, and
/// Ruby's ArgumentError ("unknown keyword: :x") for any other key.
pub fn optional_keywords<const N: usize>(
    ruby: &Ruby,
    hash: RHash,
    names: &[&LazyId; N],
) -> Result<[Option<Value>; N], Error> {
    let ids: [rb_sys::ID; N] = std::array::from_fn(|i| {
        magnus::rb_sys::AsRawId::as_raw(LazyId::get_inner_with(names[i], ruby))
    });
    let mut values = [rb_sys::Qundef as rb_sys::VALUE; N];
    // SAFETY: `ids` and `values` hold N entries each, as the counts say;
    // rb_get_kwargs raises ArgumentError for unknown keys, caught by protect.
    protect(|| unsafe {
        rb_sys::rb_get_kwargs(
            hash.as_raw(),
            ids.as_ptr(),
            0,
            N as i32,
            values.as_mut_ptr(),
        );
        rb_sys::Qnil as rb_sys::VALUE
    })?;
    Ok(values.map(|v| {
        // SAFETY: every entry is Qundef or a value rb_get_kwargs read from the Hash.
        (v != rb_sys::Qundef as rb_sys::VALUE).then(|| unsafe { Value::from_raw(v) })
    }))
}

/// A new US-ASCII String (constant names, as rb_id2str spells them),
/// without rb_enc_associate's checks: it showed in recvfrom profiles.
pub fn usascii_str(text: &str) -> RString {
    // SAFETY: rb_usascii_str_new copies `text.len()` bytes from a live
    // slice; it only allocates.
    let raw = unsafe { rb_sys::rb_usascii_str_new(text.as_ptr().cast(), text.len() as _) };
    // SAFETY: it returns a String.
    RString::from_value(unsafe { Value::from_raw(raw) }).expect("a String")
}

/// The one rule for a receive length from Ruby (recv, recvfrom, recvmsg,
/// read_nonblock, with or without an outbuf): a negative one is stock's
/// ArgumentError for a String of that size. Stock skips the check when an
/// outbuf is given and writes past the buffer (3.4 aborts with "probable
/// buffer overflow"); socket_rs raises in every case.
pub fn receive_length(ruby: &Ruby, len: i64) -> Result<usize, Error> {
    usize::try_from(len).map_err(|_| crate::errors::negative_string_size(ruby))
}

/// rb_time_interval: a time interval in seconds from a Numeric, with the
/// exceptions stock's timeouts raise for bad ones.
pub fn time_interval(value: Value) -> Result<f64, Error> {
    let mut secs = 0.0;
    // SAFETY: rb_time_interval raises (TypeError, ArgumentError,
    // RangeError); protect catches it, and the closure owns nothing.
    protect(|| unsafe {
        let tv = rb_sys::rb_time_interval(value.as_raw());
        secs = tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    })?;
    Ok(secs)
}
