# frozen_string_literal: true

require_relative "differential_helper"
require "test_helper"

# Socket/BasicSocket methods that return an Addrinfo (accept, sysaccept,
# recvfrom, recvfrom_nonblock, accept_nonblock, local_address,
# remote_address, connect_address). They need the Addrinfo class, which is
# built on another branch: these tests pass once both are merged.
class SocketAddrinfoDifferentialTest < Minitest::Test
  PRELUDE = <<~'RUBY'
    def sin(port, ip = [127, 0, 0, 1]) = [Socket::AF_INET].pack("S") + [port].pack("n") + ip.pack("C4") + "\0" * 8
    def sin6(port, ip = [0] * 15 + [1]) = [Socket::AF_INET6].pack("S") + [port].pack("n") + "\0" * 4 + ip.pack("C16") + "\0" * 4
    def tcp_server(family = :INET, ip = nil)
      s = Socket.new(family, :STREAM)
      s.bind(family == :INET ? sin(0, ip || [127, 0, 0, 1]) : sin6(0, ip || [0] * 15 + [1]))
      s.listen(5)
      s
    end
    # Each Addrinfo is shown twice: its fields, and its inspect string.
    def ai(label, a)
      # The sockaddr without its port bytes, which differ between runs.
      show(label + " fields") do
        sa = a.to_sockaddr
        [a.class, sa.bytesize, sa.unpack1("S"), sa.byteslice(4..), a.pfamily, a.socktype, a.protocol]
      end
      show(label + " inspect") { a.inspect }
    end
  RUBY

  NORMALIZE = ->(s) { s.gsub(/:\d{4,5}\b/, ":PORT").gsub(/fd \d+/, "fd N") }

  def same(code)
    assert_same_as_stock(PRELUDE + code, normalize: NORMALIZE)
  end

  def test_accept_family
    same(<<~'RUBY')
      [:INET, :INET6].each do |fam|
        s = tcp_server(fam)
        c = Socket.new(fam, :STREAM)
        c.connect(s.getsockname)
        a, addr = s.accept
        show("#{fam} accepted") { [a.class, a.getpeername == c.getsockname, addr.to_sockaddr == c.getsockname] }
        ai("#{fam} accept", addr)
        ai("#{fam} local", a.local_address)
        ai("#{fam} remote", a.remote_address)
        ai("#{fam} connect_address", s.connect_address)
        c2 = Socket.new(fam, :STREAM)
        c2.connect(s.getsockname)
        fd, addr2 = s.sysaccept
        show("#{fam} sysaccept") { [fd.class, IO.for_fd(fd, autoclose: false).close_on_exec?] }
        ai("#{fam} sysaccept", addr2)
        IO.for_fd(fd).close
        c3 = Socket.new(fam, :STREAM)
        c3.connect(s.getsockname)
        IO.select([s], nil, nil, 5)
        a3, addr3 = s.accept_nonblock
        show("#{fam} accept_nonblock") { [a3.class, a3.getpeername == c3.getsockname] }
        ai("#{fam} accept_nonblock", addr3)
        show { s.accept_nonblock(exception: false) }
        [s, c, a, c2, c3, a3].each(&:close)
      end
      any = tcp_server(:INET, [0, 0, 0, 0])
      ai("any4 connect_address", any.connect_address)
      ai("any4 local_address", any.local_address)
      any6 = tcp_server(:INET6, [0] * 16)
      ai("any6 connect_address", any6.connect_address)
      show { Socket.new(:INET, :STREAM).local_address.inspect }
      show { Socket.new(:INET, :STREAM).connect_address }
    RUBY
  end

  def test_recvfrom_family
    same(<<~'RUBY')
      r = Socket.new(:INET, :DGRAM)
      r.bind(sin(0))
      w = Socket.new(:INET, :DGRAM)
      w.bind(sin(0))
      w.send("hello", 0, r.getsockname)
      mesg, from = r.recvfrom(100)
      show { [mesg, from.to_sockaddr == w.getsockname] }
      ai("udp recvfrom", from)
      show { r.recvfrom_nonblock(10) }
      show { r.recvfrom_nonblock(10, 0, nil, exception: false) }
      w.send("again", 0, r.getsockname)
      IO.select([r], nil, nil, 5)
      buf = +"zzzzzzzzzzzzzzzz"
      mesg, from = r.recvfrom_nonblock(3, 0, buf)
      show { [mesg, mesg.equal?(buf)] }
      ai("udp recvfrom_nonblock", from)
      a, b = Socket.pair(:UNIX, :DGRAM)
      a.send("x", 0)
      m, from = b.recvfrom(10)
      show { m }
      ai("unix dgram recvfrom", from)
      ai("unix local", b.local_address)
      ai("unix remote", b.remote_address)
      show { b.connect_address }
      s, t = Socket.pair(:UNIX, :STREAM)
      s.send("abc", 0)
      m, from = t.recvfrom(2)
      show { m }
      ai("unix stream recvfrom", from)
      s.close
      m, from = t.recvfrom(10)
      show { m }
      m, from = t.recvfrom(10)
      show { m }
      ai("eof recvfrom", from)
      show { t.recvfrom_nonblock(10) }
      show { t.recvfrom(-1) }
      show { t.recvfrom }
      show { t.recvfrom_nonblock(1, nil) }
      show { t.recvfrom(1, 0, "x".freeze) }
      t.close
      show { t.recvfrom(1) }
      show { t.recvfrom_nonblock(1) }
    RUBY
  end
end

# The same methods over real sockets, with minitest.
class SocketAddrinfoTest < Minitest::Test
  def sin(port, ip = [127, 0, 0, 1])
    [Socket::AF_INET].pack("S") + [port].pack("n") + ip.pack("C4") + ("\0" * 8)
  end

  def sin6(port)
    [Socket::AF_INET6].pack("S") + [port].pack("n") + ("\0" * 4) + ([0] * 15 + [1]).pack("C16") + ("\0" * 4)
  end

  def server(family)
    s = Socket.new(family, :STREAM)
    s.bind(family == :INET ? sin(0) : sin6(0))
    s.listen(5)
    s
  end

  def test_accept_round_trip_v4_and_v6
    [:INET, :INET6].each do |fam|
      s = server(fam)
      c = Socket.new(fam, :STREAM)
      c.connect(s.getsockname)
      a, addr = s.accept
      assert_instance_of Socket, a
      assert_instance_of Addrinfo, addr
      assert_equal c.getsockname, addr.to_sockaddr
      assert_equal Socket::SOCK_STREAM, addr.socktype
      assert a.close_on_exec?
      c.write("ping")
      assert_equal "ping", a.read(4)
      assert_equal s.getsockname, a.local_address.to_sockaddr
      [s, c, a].each(&:close)
    end
  end

  def test_sysaccept_returns_fd
    s = server(:INET)
    c = Socket.new(:INET, :STREAM)
    c.connect(s.getsockname)
    fd, addr = s.sysaccept
    assert_kind_of Integer, fd
    assert_equal c.getsockname, addr.to_sockaddr
    io = Socket.for_fd(fd)
    c.write("x")
    assert_equal "x", io.recv(1)
    [s, c, io].each(&:close)
  end

  def test_accept_waits_for_a_client_in_another_thread
    s = server(:INET)
    th = Thread.new { s.accept }
    sleep 0.1
    c = Socket.new(:INET, :STREAM)
    c.connect(s.getsockname)
    a, = th.value
    assert_equal c.getsockname, a.getpeername
    [s, c, a].each(&:close)
  end

  def test_accept_on_blocking_descriptor
    s = server(:INET)
    s.fcntl(4, s.fcntl(3) & ~File::NONBLOCK) # F_SETFL, F_GETFL
    th = Thread.new { s.accept }
    sleep 0.1
    c = Socket.new(:INET, :STREAM)
    c.connect(s.getsockname)
    a, addr = th.value
    assert_equal c.getsockname, addr.to_sockaddr
    [s, c, a].each(&:close)
  end

  def test_udp_recvfrom
    r = Socket.new(:INET, :DGRAM)
    r.bind(sin(0))
    w = Socket.new(:INET, :DGRAM)
    w.bind(sin(0))
    w.send("hi", 0, r.getsockname)
    mesg, from = r.recvfrom(10)
    assert_equal "hi", mesg
    assert_equal w.getsockname, from.to_sockaddr
    assert_equal :wait_readable, r.recvfrom_nonblock(10, exception: false)
    [r, w].each(&:close)
  end

  def test_accept_leaks_no_fd
    s = server(:INET)
    assert_no_fd_leak do
      10.times do
        c = Socket.new(:INET, :STREAM)
        c.connect(s.getsockname)
        a, = s.accept
        [a, c].each(&:close)
        assert_raises(IO::WaitReadable) { s.accept_nonblock }
      end
    end
    s.close
  end
end
