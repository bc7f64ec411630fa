# frozen_string_literal: true

require_relative "differential_helper"

# BasicSocket (the calls every socket class shares) against the stock
# extension: send/recv and their *_nonblock forms, shutdown, names,
# getsockopt/setsockopt, for_fd; and what each Ruby's stock does that the
# others don't: IO#timeout in blocking calls (3.2+: Errno::EAGAIN on
# 3.3, IO::TimeoutError on 3.4), nil at end of stream (3.3+), and connect
# timeouts. Each snippet runs under the running Ruby's stock and socket_rs.
class BasicSocketDifferentialTest < Minitest::Test
  include Differential::Sockaddrs

  TIMEOUT_PRELUDE = <<~'RUBY'
    require "timeout"
    # A call that ignores IO#timeout (as stock 3.3 does for connect) is
    # stopped here and shows as Timeout::Error.
    def timed(label, &block)
      t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      show(label) { Timeout.timeout(1.5, &block) }
      took = Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0
      puts "#{label}: late (#{took.round(2)} s)" if took > 1.5 + 0.3
    end
    def with_timeout(sock)
      sock.timeout = 0.1 if sock.respond_to?(:timeout=)
      sock
    end
  RUBY

  def test_io_timeout_in_blocking_calls
    assert_same_as_stock(TIMEOUT_PRELUDE + <<~'RUBY')
      a, b = UNIXSocket.pair
      with_timeout(b)
      timed("recv") { b.recv(10) }
      timed("recv outbuf") { b.recv(10, 0, String.new) }
      timed("recvfrom") { b.recvfrom(10) }
      timed("recvmsg") { b.recvmsg(10) }
      timed("recv_nonblock") { b.recv_nonblock(10) }
      server = with_timeout(TCPServer.new("127.0.0.1", 0))
      timed("accept") { server.accept }
      timed("sysaccept") { server.sysaccept }
      sock = Socket.new(:INET, :STREAM)
      sock.bind(Addrinfo.tcp("127.0.0.1", 0))
      sock.listen(1)
      with_timeout(sock)
      timed("Socket#accept") { sock.accept }
      timed("accept_nonblock") { sock.accept_nonblock }
      udp = UDPSocket.new
      udp.bind("127.0.0.1", 0)
      with_timeout(udp)
      timed("udp recvfrom") { udp.recvfrom(10) }
      # The peer stays referenced: collected, it would close (EPIPE).
      c, peer = UNIXSocket.pair
      with_timeout(c)
      begin
        loop { c.write_nonblock("x" * 65_536) }
      rescue IO::WaitWritable
        nil
      end
      timed("send") { c.send("x" * 100, 0) }
      timed("sendmsg") { c.sendmsg("x" * 100) }
      peer.close
      a.send("late", 0)
      timed("recv after data") { b.recv(10) }
    RUBY
  end

  def test_connect_timeouts
    assert_same_as_stock(TIMEOUT_PRELUDE + <<~'RUBY', normalize: ->(o) { o.gsub(/port \d+|:\d+$/, "port N") })
      # A peer that never answers, on loopback: a listener whose backlog is
      # full drops further SYNs, so a connect stays pending.
      srv = Socket.new(:INET, :STREAM)
      srv.bind(Addrinfo.tcp("127.0.0.1", 0))
      srv.listen(0)
      port = srv.local_address.ip_port
      held = Array.new(4) do
        s = Socket.new(:INET, :STREAM)
        s.connect_nonblock(Socket.sockaddr_in(port, "127.0.0.1"), exception: false)
        s
      end
      sleep 0.1
      timed("TCPSocket.new numeric") { TCPSocket.new("127.0.0.1", port, connect_timeout: 0.2) }
      timed("TCPSocket.new name") { TCPSocket.new("localhost", port, connect_timeout: 0.2) }
      timed("Socket.tcp") { Socket.tcp("127.0.0.1", port, connect_timeout: 0.2) }
      timed("Socket#connect") { with_timeout(Socket.new(:INET, :STREAM)).connect(Socket.sockaddr_in(port, "127.0.0.1")) }
      held.each(&:close)
    RUBY
  end

  def test_end_of_stream
    assert_same_as_stock(<<~'RUBY')
      [[:UNIX, :STREAM], [:UNIX, :SEQPACKET], [:UNIX, :DGRAM]].each do |family, type|
        a, b = Socket.pair(family, type)
        a.send("", 0) if type == :DGRAM
        a.close unless type == :DGRAM
        buf = String.new("kept")
        show("#{type} recv") { b.recv(10) }
        a.send("", 0) if type == :DGRAM
        show("#{type} recv outbuf") { [b.recv(10, 0, buf), buf] }
        a.send("", 0) if type == :DGRAM
        show("#{type} recvfrom") { b.recvfrom(10) }
        a.send("", 0) if type == :DGRAM
        show("#{type} recvmsg") { b.recvmsg(10)&.first }
        a.send("", 0) if type == :DGRAM
        show("#{type} recv_nonblock") { b.recv_nonblock(10) }
        a.send("", 0) if type == :DGRAM
        show("#{type} recvmsg_nonblock") { b.recvmsg_nonblock(10)&.first }
        show("#{type} read_nonblock") { b.read_nonblock(10, exception: false) }
      end
      server = TCPServer.new("127.0.0.1", 0)
      c = TCPSocket.new("127.0.0.1", server.addr[1])
      s = server.accept
      c.close
      show("tcp recv") { s.recv(10) }
      show("tcp recvfrom") { s.recvfrom(10) }
      x, y = UNIXSocket.pair
      x.send("z", 0)
      show("recv 0 with data") { y.recv(0) }
      x.close
      show("unix recvfrom") { y.recvfrom(10) }
    RUBY
  end

  def test_pair_send_recv_table
    assert_same_as_stock(<<~'RUBY', normalize: ->(s) { s.gsub(/fd \d+/, "fd N") })
      show { Socket.pair(:UNIX, :STREAM).map(&:class) }
      show { Socket.socketpair(:UNIX, :DGRAM, 0).map(&:inspect) }
      show { Socket.pair(:INET, :STREAM) }
      show { Socket.pair(:UNIX, :FOO) }
      show { Socket.pair(:UNIX) }
      show { Socket.pair(:UNIX, :STREAM) { |a, b| [a.class, b.class, 7] } }
      a, b = Socket.pair(:UNIX, :STREAM)
      show { a.send("abc", 0) }
      show { b.recv(2) }
      show { b.recv(5, 0, +"zzzzzzzz") }
      show { a.send("x", Socket::MSG_OOB) }
      show { a.send(:sym, 0) }
      show { a.send("x", nil) }
      show { a.send("x", 0, "not a sockaddr") }
      show { a.send("q", 0); b.recv(0) }
      show { b.recv(-5) }
      show { b.recv(1.9, nil) }
      show { b.recv("1") }
      show { b.recv(1, 0, "f".freeze) }
      show { b.recv(1, 0, nil, 4) }
      show { a.close_write; a.close_write }
      show { b.recv(100) }
      show { [a.closed?, a.close_read, a.closed?] }
      show { a.recv(1) }
      show { [b.sync, b.binmode?, b.close_on_exec?, b.external_encoding, b.do_not_reverse_lookup] }
      # autoclose off: a collected wrapper must not close b's fd under the
      # lines that follow (that made this snippet depend on GC timing).
      show { BasicSocket.for_fd(b.fileno).tap { |s| s.autoclose = false }.class }
      show { Socket.for_fd("x") }
      show { BasicSocket.for_fd(-1) }
      show { UNIXSocket.for_fd(b.fileno).tap { |s| s.autoclose = false }.class }
      show { BasicSocket.new }
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
