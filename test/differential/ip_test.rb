# frozen_string_literal: true

require_relative "differential_helper"

# IPSocket, TCPSocket, TCPServer and UDPSocket against the stock extension.
class IpDifferentialTest < Minitest::Test
  NORMALIZE = lambda do |s|
    s.gsub(/fd \d+/, "fd N").gsub(/\b(?:[1-9]\d{3,4})\b/, "PORT")
  end

  def test_tcp
    assert_same_as_stock(<<~'RUBY', normalize: NORMALIZE)
      show { s = TCPServer.new(0); [s.addr, s.inspect].tap { s.close } }
      show { s = TCPServer.new(nil, 0); s.addr.tap { s.close } }
      show { s = TCPServer.new("", 0); s.addr.tap { s.close } }
      show { s = TCPServer.new("::1", 0); [s.addr, s.inspect].tap { s.close } }
      s = TCPServer.new("localhost", 0)
      port = s.addr[1]
      c = TCPSocket.new("localhost", port)
      a = s.accept
      show { [c.class, a.class] }
      show { [c.inspect, a.inspect] }
      show { [c.addr, c.peeraddr, a.addr, a.peeraddr] }
      show { [c.addr(true), c.addr(:hostname), c.addr(:numeric), c.addr(false), c.addr(nil)] }
      show { c.addr(:foo) }
      show { c.addr(1) }
      show { c.addr("x") }
      show { c.addr(true, 1) }
      show { c.write("hey"); a.recvfrom(10) }
      show { c.write("hey"); a.recvfrom(10, 0, +"buffer") }
      show { c.do_not_reverse_lookup = false; c.peeraddr }
      show { TCPSocket.new("localhost", "http") }
      show { TCPSocket.new("localhost", nil) }
      show { TCPSocket.new("127.0.0.1", 1) }
      show { TCPSocket.new("::1", 1) }
      show { TCPSocket.new(nil, 1) }
      show { TCPSocket.new("127.0.0.1", 1, "127.0.0.1") }
      show { TCPSocket.new("127.0.0.1", 1, nil, 0) }
      show { TCPSocket.new("127.0.0.1", 1, "::1", 0) }
      show { TCPSocket.new(:sym, 1) }
      show { TCPSocket.new("127.0.0.1", 1.5) }
      show { TCPSocket.new("127.0.0.1", 1, nil, nil, foo: 1) }
      show { TCPSocket.new("127.0.0.1") }
      show { TCPSocket.new(2130706433, 1) }
      show { TCPSocket.new("localhost", -1) }
      show { TCPSocket.new("localhost", 70000) }
      show { TCPServer.new("localhost", port) }
      show { TCPServer.new(1, 2, 3) }
      show { TCPServer.new }
      show { TCPServer.new(nil, "nosuch") }
      show { TCPServer.new("localhost", "nosuchservice") }
      show { s.accept_nonblock(exception: false) }
      show { s.accept_nonblock }
      show { s.accept_nonblock(1) }
      show { t = [TCPSocket.new("127.0.0.1", port), TCPSocket.new("127.0.0.1", port)]; [s.accept.class, s.sysaccept.class, t.map(&:class)] }
      show { s.listen(10) }
      show { [TCPSocket.instance_method(:initialize).arity, TCPServer.instance_method(:initialize).arity, UDPSocket.instance_method(:initialize).arity] }
      show { [IPSocket.instance_methods(false).sort, TCPServer.instance_methods(false).sort, UDPSocket.instance_methods(false).sort] }
      c.close
      show { c.inspect }
      show { c.addr }
    RUBY
  end

  def test_udp
    assert_same_as_stock(<<~'RUBY', normalize: NORMALIZE)
      u = UDPSocket.new
      show { [u.inspect, u.addr] }
      show { u.bind("127.0.0.1", 0); [u.addr, u.inspect] }
      v = UDPSocket.new(:INET6)
      show { v.inspect }
      show { UDPSocket.new(:FOO) }
      show { UDPSocket.new(99) }
      show { UDPSocket.new("INET6").addr }
      show { UDPSocket.new(Socket::AF_INET, 1) }
      w = UDPSocket.new
      show { w.send("hi", 0, "127.0.0.1", u.addr[1]) }
      show { u.recvfrom(10) }
      show { w.send("x", 0, [2, u.addr[1], 127, 0, 0, 1].pack("SnC4x8")) }
      show { u.recvfrom_nonblock(10) }
      show { u.recvfrom_nonblock(10, exception: false) }
      show { u.recvfrom_nonblock(10) }
      show { u.recvfrom_nonblock(1, 0, nil, 5) }
      show { w.send("x", 0) }
      show { w.send("x") }
      show { w.send("x", 0, "127.0.0.1") }
      show { w.send("x", 0, "127.0.0.1", u.addr[1], 5) }
      show { w.send("x", 0, "127.0.0.1", "nosuchservice") }
      show { v.send("x", 0, "127.0.0.1", 9) }
      show { w.connect("127.0.0.1", u.addr[1]) }
      show { w.send("c", 0) }
      show { u.recv(5) }
      show { w.connect("localhost", "nosuchservice") }
      show { u.bind("127.0.0.1", u.addr[1]) }
      show { u.bind("127.0.0.1", "nosuchservice") }
      show { x = UDPSocket.new; [x.bind(nil, 0), x.addr[0], x.addr[2]] }
      show { x = UDPSocket.new; x.connect("::1", 9) }
      show { x = UDPSocket.new(:INET6); x.bind("::1", 0); y = UDPSocket.new(:INET6); y.send("six", 0, "::1", x.addr[1]); x.recvfrom(10) }
      show { w.send("z", 0); u.recvfrom_nonblock(10, 0, +"outbuf") }
    RUBY
  end
end
