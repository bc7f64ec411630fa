# frozen_string_literal: true

require "test_helper"

class UDPSocketTest < Minitest::Test
  def test_send_and_recvfrom_on_both_families
    [[:INET, "127.0.0.1"], [:INET6, "::1"]].each do |fam, host|
      a = UDPSocket.new(fam)
      a.bind(host, 0)
      b = UDPSocket.new(fam)
      assert_equal 5, b.send("hello", 0, host, a.addr[1])
      msg, from = a.recvfrom(10)
      assert_equal "hello", msg
      assert_equal host, from[3]
      a.send("back", 0, from[3], from[1])
      assert_equal "back", b.recv(10)
      [a, b].each(&:close)
    end
  end

  def test_connect_and_packed_destinations
    a = UDPSocket.new
    a.bind("127.0.0.1", 0)
    b = UDPSocket.new
    b.send("packed", 0, Socket.sockaddr_in(a.addr[1], "127.0.0.1"))
    assert_equal "packed", a.recv(10)
    assert_equal 0, b.connect("127.0.0.1", a.addr[1])
    b.send("connected", 0)
    assert_equal "connected", a.recv(20)
    [a, b].each(&:close)
  end

  def test_recvfrom_nonblock
    a = UDPSocket.new
    a.bind("127.0.0.1", 0)
    assert_equal :wait_readable, a.recvfrom_nonblock(10, exception: false)
    e = assert_raises(IO::EAGAINWaitReadable) { a.recvfrom_nonblock(10) }
    assert_equal "Resource temporarily unavailable - recvfrom(2) would block", e.message
    UDPSocket.new.send("x", 0, "127.0.0.1", a.addr[1])
    IO.select([a], nil, nil, 1)
    assert_equal "x", a.recvfrom_nonblock(10)[0]
    a.close
  end

  def test_errors
    assert_raises(Errno::EDESTADDRREQ) { UDPSocket.new.send("x", 0) }
    e = assert_raises(Errno::EAFNOSUPPORT) { UDPSocket.new(99) }
    assert_equal "Address family not supported by protocol - socket(2) - udp", e.message
    assert_raises(SocketError) { UDPSocket.new(:FOO) }
  end

  def test_multicast_options
    u = UDPSocket.new
    u.setsockopt(:IP, :MULTICAST_TTL, [4].pack("i"))
    assert_equal 4, u.getsockopt(:IP, :MULTICAST_TTL).int
    u.setsockopt(Socket::Option.ipv4_multicast_loop(0))
    assert_equal 0, u.getsockopt(:IP, :MULTICAST_LOOP).ipv4_multicast_loop
    u.close
  end

  def test_blocked_recvfrom_is_interruptible
    u = UDPSocket.new
    u.bind("127.0.0.1", 0)
    th, took = time_to_interrupt(->(t) { t.kill }) { u.recvfrom(10) }
    refute th.alive?
    assert_operator took, :<, 0.1
    u.close
  end
end
