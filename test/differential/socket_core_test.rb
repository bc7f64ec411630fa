# frozen_string_literal: true

require_relative "differential_helper"

# Socket and BasicSocket methods that return no Addrinfo, against the stock
# extension: return values, exception classes and messages, bad input.
# (accept, recvfrom, local_address ... are in socket_addrinfo_test.rb.)
class SocketCoreDifferentialTest < Minitest::Test
  # Packed sockaddrs built by hand: this branch has no Socket.sockaddr_in.
  PRELUDE = <<~'RUBY'
    def sin(port, ip = [127, 0, 0, 1]) = [Socket::AF_INET].pack("S") + [port].pack("n") + ip.pack("C4") + "\0" * 8
    def sin6(port, ip = [0] * 15 + [1]) = [Socket::AF_INET6].pack("S") + [port].pack("n") + "\0" * 4 + ip.pack("C16") + "\0" * 4
    def sun(path) = [Socket::AF_UNIX].pack("S") + path.b + "\0" * (108 - path.bytesize)
    def tcp_server(family = :INET)
      s = Socket.new(family, :STREAM)
      s.setsockopt(:SOCKET, :REUSEADDR, true)
      s.bind(family == :INET ? sin(0) : sin6(0))
      s.listen(5)
      s
    end
  RUBY

  PORTS = ->(s) { s.gsub(/\b\d{4,5}\b/, "PORT").gsub(/fd \d+/, "fd N") }

  def same(code, normalize: PORTS)
    assert_same_as_stock(PRELUDE + code, normalize: normalize)
  end

  SOCKADDRS = [
    'sin(1)', 'sin(0)', 'sin(1, [0, 0, 0, 0])', 'sin6(1)', 'sin6(0)', 'sin6(1, [0] * 16)',
    'sin6(1, [0] * 10 + [255, 255, 127, 0, 0, 1])', 'sun("/nonexistent/x")', 'sun("relative")',
    'sun("a b")', 'sun("\0abstract-nope")', 'sun("")', 'sun("/nonexistent/\xff\x01")',
    '"\x01\x00"', '""', '"\x01"', '"\x00\x00"', '"\x02\x00"', '"\x02\x00\x00\x01\x7f\x00"',
    'sin(1) + "\0"', '"\x0a\x00\x00\x01" + "\0" * 20', 'sin6(1) + "\0\0"', '"\x63\x00\x00\x00"',
    '"\x10\x00abc"', '"\x11\x00\x08\x00"', '"\x11\x00" + "\0" * 18',
    '"\x11\x00\x08\x00\x01\x00\x00\x00\x01\x00\x00\x06\x00\x11\x22\x33\x44\x55\x66\x00\x00"',
    'nil', '5', ':sym', 'Object.new'
  ].freeze

  def test_connect_and_bind_error_messages
    code = +""
    SOCKADDRS.each do |sa|
      %w[INET INET6 UNIX].each do |fam|
        code << "show(%q{#{fam} connect #{sa}}) { Socket.new(:#{fam}, :STREAM).connect(#{sa}) }\n"
        code << "show(%q{#{fam} dgram connect #{sa}}) { Socket.new(:#{fam}, :DGRAM).connect(#{sa}) }\n"
        # Port 0 only: binding a fixed port could collide with other users.
        bsa = sa.gsub("sin(1", "sin(0").gsub("sin6(1", "sin6(0")
        code << "show(%q{#{fam} bind #{bsa}}) { x = Socket.new(:#{fam}, :STREAM); begin; x.bind(#{bsa}); ensure x.close; end }\n"
      end
    end
    same(code)
  end

  def test_bind_listen_connect_flow
    same(<<~'RUBY')
      s = Socket.new(:INET, :STREAM)
      show { s.bind(sin(0)) }
      show { s.bind(sin(0)) }
      show { s.listen(5) }
      show { s.listen(0) }
      show { s.listen(-1) }
      show { s.listen }
      show { s.listen(nil) }
      show { s.listen("5") }
      show { s.listen(2**40) }
      show { s.listen(1, 2) }
      c = Socket.new(:INET, :STREAM)
      show { c.connect(s.getsockname) }
      show { c.connect(s.getsockname) }
      show { c.getpeername == s.getsockname }
      show { c.getsockname.bytesize }
      show { Socket.new(:INET, :STREAM).connect(s.getsockname.unpack("Sn").pack("Sn") + "\0" * 12) }
      d = Socket.new(:INET, :DGRAM)
      show { d.connect(s.getsockname) }
      show { d.connect("\0\0" + "\0" * 14) }
      show { Socket.new(:UNIX, :STREAM).listen(1) }
      show { Socket.new(:UNIX, :DGRAM).listen(1) }
      u = Socket.new(:INET, :DGRAM)
      show { u.listen(1) }
      s6 = tcp_server(:INET6)
      c6 = Socket.new(:INET6, :STREAM)
      show { c6.connect(s6.getsockname) }
      [s, c, d, u, s6, c6].each(&:close)
      show { s.bind(sin(0)) }
      show { s.listen(1) }
      show { s.connect(sin(1)) }
      show { s.connect(5) }
    RUBY
  end

  def test_unix_bind_and_connect
    same(<<~'RUBY', normalize: ->(o) { PORTS.call(o).gsub(%r{/tmp/\S+?/}, "/tmp/DIR/") })
      require "tmpdir"
      Dir.mktmpdir do |dir|
        path = File.join(dir, "sock")
        s = Socket.new(:UNIX, :STREAM)
        show { s.bind(sun(path)) }
        show { Socket.new(:UNIX, :STREAM).bind(sun(path)) }
        show { s.listen(1) }
        c = Socket.new(:UNIX, :STREAM)
        show { c.connect(sun(path)) }
        show { c.getpeername.sub(dir, "DIR").delete("\0") }
        show { s.getsockname.sub(dir, "DIR").delete("\0") }
        show { c.getsockname }
        show { Socket.new(:UNIX, :STREAM).connect(sun(path + "x")) }
        show { Socket.new(:UNIX, :DGRAM).connect(sun(path)) }
        show { Socket.new(:UNIX, :SEQPACKET).connect(sun(path)) }
        show { Socket.new(:UNIX, :STREAM).bind(sun(path * 10)) }
        [s, c].each(&:close)
      end
    RUBY
  end

  def test_nonblock_methods
    same(<<~'RUBY')
      s = tcp_server
      show { s.accept_nonblock }
      show { s.accept_nonblock(exception: false) }
      show { s.accept_nonblock(exception: nil) }
      show { s.accept_nonblock(exception: true) }
      show { s.accept_nonblock(foo: 1) }
      show { s.accept_nonblock(1) }
      show { Socket.new(:INET, :STREAM).accept_nonblock }
      show { Socket.new(:INET, :STREAM).accept_nonblock(exception: false) }
      show { Socket.new(:UNIX, :DGRAM).accept_nonblock }
      c = Socket.new(:INET, :STREAM)
      show { c.connect_nonblock(s.getsockname) }
      show { c.connect_nonblock(s.getsockname) }
      show { c.connect_nonblock(s.getsockname, exception: false) }
      c2 = Socket.new(:INET, :STREAM)
      show { c2.connect_nonblock(s.getsockname, exception: false) }
      show { IO.select(nil, [c2], nil, 5) && c2.connect_nonblock(s.getsockname, exception: false) }
      show { Socket.new(:INET, :STREAM).connect_nonblock(sin(1)) rescue IO.select(nil, [$!], nil, 0); :x }
      show { Socket.new(:INET, :STREAM).connect_nonblock(5) }
      show { Socket.new(:INET, :STREAM).connect_nonblock }
      show { Socket.new(:INET, :STREAM).connect_nonblock(sin(1), foo: 2) }
      show { Socket.new(:INET, :STREAM).connect_nonblock("") }
      show { Socket.new(:INET, :STREAM).connect_nonblock("", exception: false) }
      e = (c.connect_nonblock(sin(1)) rescue $!)
      show { [e.class, e.is_a?(IO::WaitWritable), e.message] }
      f = Socket.new(:INET, :STREAM)
      e = (f.connect_nonblock(s.getsockname) rescue $!)
      show { [e.class, e.is_a?(IO::WaitWritable), e.is_a?(Errno::EINPROGRESS), e.message] }
      e = (tcp_server.accept_nonblock rescue $!)
      show { [e.class, e.is_a?(IO::WaitReadable), e.is_a?(Errno::EAGAIN), e.message] }
    RUBY
  end

  def test_recv_nonblock_read_write_nonblock
    same(<<~'RUBY')
      a, b = Socket.pair(:UNIX, :STREAM)
      show { a.recv_nonblock(10) }
      show { a.recv_nonblock(10, 0, nil, exception: false) }
      show { a.recv_nonblock(10, exception: false) }
      show { a.recv_nonblock(0) }
      show { a.recv_nonblock(-1) }
      show { a.recv_nonblock(nil) }
      show { a.recv_nonblock(10, nil) }
      show { a.recv_nonblock(10, "x") }
      show { a.recv_nonblock(10, 0, 5) }
      show { a.recv_nonblock(10, 0, "x".freeze) }
      show { a.recv_nonblock }
      show { a.recv_nonblock(1, 0, nil, 4) }
      show { a.recv_nonblock(1, bad: 1) }
      show { a.read_nonblock(10) }
      show { a.read_nonblock(10, exception: false) }
      show { buf = +"keep"; [a.read_nonblock(10, buf, exception: false), buf] }
      show { buf = +"keep"; [(a.read_nonblock(10, buf) rescue $!.class), buf] }
      show { buf = +"keep"; [a.recv_nonblock(10, 0, buf, exception: false), buf] }
      show { a.read_nonblock(0) }
      show { a.read_nonblock(-1) }
      show { a.read_nonblock(nil) }
      show { a.read_nonblock(10, 5) }
      show { b.write_nonblock("hello world") }
      show { b.write_nonblock(12345) }
      show { b.write_nonblock(nil) }
      show { b.write_nonblock(:sym, exception: false) }
      show { b.write_nonblock("") }
      show { b.write_nonblock }
      show { a.recv_nonblock(5, Socket::MSG_PEEK) }
      show { a.recv_nonblock(5, 0, +"zzzzzzzzzzzz") }
      show { a.read_nonblock(3) }
      show { a.read_nonblock(3, +"qqqqqqqq") }
      show { buf = +"x"; a.read_nonblock(100, buf); [buf, buf.encoding] }
      show { a.read_nonblock(100, exception: false) }
      show { b.write("line\nrest"); a.gets }
      show { a.recv_nonblock(2) }
      show { a.read_nonblock(2) }
      show { a.read_nonblock(10, exception: false) }
      show { b.close_write; a.read_nonblock(10, exception: false) }
      show { a.read_nonblock(10) }
      show { a.recv_nonblock(10) }
      show { b.write_nonblock("x") }
      show { b.close; a.write_nonblock("x") }
      show { a.write_nonblock("x", exception: false) }
      a.close
      show { a.recv_nonblock(1) }
      show { a.read_nonblock(1) }
      show { a.write_nonblock("x") }
      c, d = Socket.pair(:UNIX, :DGRAM)
      n = 0
      r = nil
      loop { r = c.write_nonblock("x" * 1000, exception: false); break if r == :wait_writable; n += 1 }
      show { [r, n > 1] }
      e = (c.write_nonblock("x" * 1000) rescue $!)
      show { [e.class, e.is_a?(IO::WaitWritable), e.message] }
      e = (Socket.pair(:UNIX, :STREAM)[0].read_nonblock(1) rescue $!)
      show { [e.class, e.is_a?(IO::WaitReadable), e.message] }
    RUBY
  end

  def test_shutdown
    code = +"a, b = Socket.pair(:UNIX, :STREAM)\n"
    [nil, ":RD", ":WR", ":RDWR", "'SHUT_RD'", "'SHUT_WR'", ":SHUT_RDWR", "0", "1", "2", "3", "-1",
     ":FOO", "'rd'", "2**40", "1.5", "Object.new", "[]", "'WR\\0x'"].each do |how|
      code << "show(%q{#{how}}) { x, y = Socket.pair(:UNIX, :STREAM); " \
              "#{how.nil? ? 'x.shutdown' : "x.shutdown(#{how})"} }\n"
    end
    code << <<~'RUBY'
      show { a.shutdown(:WR); b.recv(10) }
      show { a.shutdown(:WR) }
      show { b.send("x", 0); a.shutdown(:RD); a.recv(10) }
      show { a.shutdown(1, 2) }
      show { Socket.new(:INET, :STREAM).shutdown }
      show { Socket.new(:INET, :DGRAM).shutdown(:RD) }
      a.close
      show { a.shutdown }
      show { a.shutdown(:FOO) }
    RUBY
    same(code)
  end

  def test_names_and_peereid
    same(<<~'RUBY')
      s = tcp_server
      c = Socket.new(:INET, :STREAM)
      c.connect(s.getsockname)
      show { s.getsockname.unpack("SnC4") }
      show { c.getpeername == s.getsockname }
      show { s.getpeername }
      show { c.getpeereid == [Process.euid, Process.egid] }
      show { s.getpeereid }
      a, b = Socket.pair(:UNIX, :STREAM)
      show { a.getsockname }
      show { a.getpeername }
      show { a.getpeereid == [Process.euid, Process.egid] }
      show { Socket.new(:INET6, :DGRAM).getsockname }
      show { Socket.new(:UNIX, :DGRAM).getsockname }
      show { Socket.new(:INET, :DGRAM).getpeername }
      show { Socket.new(:UNIX, :DGRAM).getpeereid }
      show { s.getsockname(1) }
      a.close
      show { a.getsockname }
      show { a.getpeername }
      show { a.getpeereid }
      show { a.local_address }
      show { a.remote_address }
      show { a.connect_address }
      show { Socket.new(:INET, :STREAM).connect_address }
      show { Socket.new(:INET6, :DGRAM).connect_address }
      show { Socket.pair(:UNIX, :STREAM)[0].connect_address }
    RUBY
  end

  LEVELS = [":SOCKET", "'SOL_SOCKET'", ":SOL_SOCKET", "Socket::SOL_SOCKET", ":TCP", "'IPPROTO_TCP'",
            ":IP", ":IPV6", ":UDP", ":FOO", "'socket'", "nil", "2**40", "255", "-1", "Object.new"].freeze
  OPTNAMES = [":REUSEADDR", "'SO_REUSEADDR'", ":KEEPALIVE", ":TYPE", ":ERROR", ":LINGER", ":RCVBUF",
              ":NODELAY", "'TCP_NODELAY'", ":V6ONLY", ":TTL", ":MULTICAST_TTL", ":MAXSEG", ":CORK",
              ":INFO", ":PEERCRED", ":NOPE", "nil", "9999", "-5", "1.5"].freeze

  def test_getsockopt_table
    code = +"socks = { inet: Socket.new(:INET, :STREAM), inet6: Socket.new(:INET6, :DGRAM), unix: Socket.new(:UNIX, :STREAM) }\n"
    LEVELS.each do |lev|
      OPTNAMES.each do |opt|
        code << "socks.each { |k, s| show(%q{#{lev} #{opt} } + k.to_s) { o = s.getsockopt(#{lev}, #{opt}); " \
                "[o.class, o.family, o.level, o.optname, o.data.bytesize, o.inspect.sub(/INFO .*/, 'INFO')] } }\n"
      end
    end
    code << "socks.each_value(&:close)\nshow { socks[:inet].getsockopt(:SOCKET, :TYPE) }\n"
    code << "show { socks[:inet].getsockopt(:SOCKET) }\nshow { socks[:inet].getsockopt(:SOCKET, :FOO) }\n"
    same(code)
  end

  VALUES = ["1", "0", "true", "false", "nil", "[1].pack('i')", "'x'", "''", "'abcdefgh'", "2**31",
            "2**62", "2**70", "-1", "1.5", ":sym", "Object.new", "[5, 6].pack('ii')"].freeze

  def test_setsockopt_table
    code = +"s = Socket.new(:INET, :STREAM)\nu = Socket.new(:UNIX, :DGRAM)\n"
    [[":SOCKET", ":REUSEADDR"], ["'SOL_SOCKET'", "'SO_KEEPALIVE'"], [":SOCKET", ":LINGER"],
     [":TCP", ":NODELAY"], [":IP", ":TTL"], [":SOCKET", ":RCVBUF"], [":FOO", ":REUSEADDR"],
     [":SOCKET", ":FOO"], [":TCP", ":FOO"], ["Socket::SOL_SOCKET", "Socket::SO_BROADCAST"]].each do |lev, opt|
      VALUES.each do |val|
        code << "show(%q{#{lev} #{opt} #{val}}) { r = s.setsockopt(#{lev}, #{opt}, #{val}); " \
                "[r, s.getsockopt(#{lev}, #{opt}).data] }\n"
        code << "show(%q{unix #{lev} #{opt} #{val}}) { u.setsockopt(#{lev}, #{opt}, #{val}) }\n"
      end
    end
    code << <<~'RUBY'
      show { s.setsockopt(Socket::Option.bool(:INET, :SOCKET, :KEEPALIVE, true)); s.getsockopt(:SOCKET, :KEEPALIVE) }
      show { s.setsockopt(Socket::Option.linger(true, 3)); s.getsockopt(:SOCKET, :LINGER) }
      show { s.setsockopt(Socket::Option.int(:INET, :TCP, :NODELAY, 1)); s.getsockopt(:TCP, :NODELAY).bool }
      show { s.setsockopt(5) }
      show { s.setsockopt(:SOCKET, :REUSEADDR) }
      show { s.setsockopt }
      show { s.setsockopt(1, 2, 3, 4) }
      show { Socket.new(:INET6, :STREAM).ipv6only! }
      show { x = Socket.new(:INET6, :STREAM); x.ipv6only!; x.getsockopt(:IPV6, :V6ONLY).bool }
      show { Socket.new(:INET, :STREAM).ipv6only! }
      show { Socket.new(:UNIX, :STREAM).ipv6only! }
      s.close
      show { s.setsockopt(:SOCKET, :REUSEADDR, 1) }
      show { s.setsockopt(:FOO, :REUSEADDR, 1) }
      show { s.ipv6only! }
    RUBY
    same(code)
  end

  def test_method_lists
    same(<<~'RUBY')
      show { (BasicSocket.instance_methods(false) - %i[sendmsg sendmsg_nonblock recvmsg recvmsg_nonblock]).sort }
      show { Socket.instance_methods(false).sort }
      show { Socket::Option.instance_methods(false).sort }
      show { Socket::Option.methods(false).sort }
      show { %i[accept bind listen connect sysaccept recvfrom].map { |m| Socket.instance_method(m).arity } }
      show { %i[getsockopt getsockname getpeername getpeereid shutdown].map { |m| BasicSocket.instance_method(m).arity } }
    RUBY
  end

  def test_send_and_recv_edge_cases
    same(<<~'RUBY')
      u = Socket.new(:INET, :DGRAM)
      show { u.send("x", 0) }
      show { u.send("x", 0, "") }
      show { u.send("x", 0, "\x02\x00") }
      show { u.send("x", 2**31, sin(9)) }
      show { u.send("x", -1, sin(9)) }
      show { u.send("x" * 70000, 0, sin(9)) }
      show { u.send("x", nil, sin(9)) }
      show { u.send("x", 0, nil) }
      show { u.send("x", 0, sin(9), 5) }
      show { u.send }
      a, b = Socket.pair(:UNIX, :STREAM)
      show { a.send("x", 0, "\x01\x00/tmp/nonexist") }
      show { a.send("x", Socket::MSG_DONTWAIT) }
      show { a.send("\u00e9", 0) }
      show { a.send(Object.new, 0) }
      show { b.recv(10, 2**40) }
      show { b.recv(10, -1) }
      show { b.recv(2**31) }
      show { b.recv(10, Socket::MSG_DONTWAIT) }
      u.close
      show { u.send("x", 0, sin(9)) }
      show { u.send(5, 0, sin(9)) }
      show { u.send("x", "y", sin(9)) }
      show { u.send("x", 0, 5) }
    RUBY
  end

  # The *_nonblock methods parse their arguments by hand (nonblock_args):
  # arity, the exception: keyword, unknown keywords, a positional Hash.
  def test_nonblock_argument_parsing
    same(<<~'RUBY')
      a, b = Socket.pair(:UNIX, :STREAM)
      s = tcp_server
      [
        -> { b.recv_nonblock(10, exception: false) },
        -> { b.recv_nonblock(10, exception: nil) },
        -> { b.recv_nonblock(10, exception: true) },
        -> { b.recv_nonblock(10, 0, exception: false) },
        -> { b.recv_nonblock(10, 0, nil, exception: false) },
        -> { b.recv_nonblock(10, 0, nil, 5, exception: false) },
        -> { b.recv_nonblock(exception: false) },
        -> { b.recv_nonblock },
        -> { b.recv_nonblock(10, 0, {exception: false}) },
        -> { b.recv_nonblock(10, foo: 1) },
        -> { b.recv_nonblock(10, exception: false, foo: 1) },
        -> { b.recv_nonblock(10, "exception" => false) },
        -> { b.recv_nonblock(10, **{}) },
        -> { b.read_nonblock(10, exception: false) },
        -> { b.read_nonblock(10, nil, exception: false) },
        -> { b.read_nonblock(10, nil, 1, exception: false) },
        -> { b.read_nonblock(exception: false) },
        -> { a.write_nonblock("x", exception: false) },
        -> { a.write_nonblock(exception: false) },
        -> { a.write_nonblock("x", "y") },
        -> { b.read_nonblock(10, bar: 2) },
        -> { s.accept_nonblock(exception: false) },
        -> { s.accept_nonblock(1) },
        -> { s.accept_nonblock(exception: false, x: 1) },
        -> { Socket.new(:INET, :STREAM).connect_nonblock(exception: false) },
        -> { Socket.new(:INET, :STREAM).connect_nonblock(sin(1), 2) },
      ].each_with_index { |f, i| show(i) { f.call } }
    RUBY
  end

  # With other threads alive, sends and receives run without the GVL: the
  # bytes must still be the ones of the string at the time of the call, and
  # the string must stay modifiable.
  def test_send_and_recv_with_other_threads
    same(<<~'RUBY')
      a, b = Socket.pair(:UNIX, :STREAM)
      echo = Thread.new { 200.times { b.send(b.recv(100), 0) } }
      out = +""
      msg = +"m"
      200.times do |i|
        msg.replace("m#{i}" * 3)
        a.send(msg, 0)
        msg << "changed"
        out << a.recv(100)
      end
      echo.join
      show { out.bytesize }
      show { out.end_with?("m199m199m199") }
      show { msg.frozen? }
      u1, u2 = UDPSocket.new, UDPSocket.new
      u1.bind("127.0.0.1", 0)
      t = Thread.new { u1.recvfrom(10)[0] }
      sleep 0.05
      u2.send("dgram", 0, "127.0.0.1", u1.local_address.ip_port)
      show { t.value }
      r, w = Socket.pair(:UNIX, :STREAM)
      t = Thread.new { r.recv(5) }
      sleep 0.05
      show { w.write_nonblock("hello") }
      show { t.value }
      s = tcp_server
      port = s.local_address.ip_port
      t = Thread.new { c, = s.accept; c.read }
      sleep 0.05
      c = Socket.new(:INET, :STREAM)
      show { c.connect(sin(port)) }
      c.write("via thread"); c.close
      show { t.value }
      show { s.getsockopt(:SOCKET, :REUSEADDR).bool }
      show { s.getsockopt(:SOCKET, :REUSEADDR).inspect }
      show { r.getsockopt(:SOCKET, :TYPE).inspect }
      show { r.getsockopt(:SOCKET, :TYPE).inspect }
    RUBY
  end
end
