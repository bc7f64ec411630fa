# frozen_string_literal: true

require_relative "differential_helper"

# UNIXSocket and UNIXServer against the stock extension.
class UnixDifferentialTest < Minitest::Test
  include Differential::Sockaddrs

  NORMALIZE = lambda do |s|
    s.gsub(/fd \d+/, "fd N").gsub(/rsdiff_(topath_)?\d+/, "rsdiff_PID").gsub(/"\\x00[0-9a-f]{5}"/, '"\\x00AUTO"')
  end

  def test_server_and_client
    assert_same_as_stock(<<~'RUBY', normalize: NORMALIZE)
      dir = "/tmp/rsdiff_#{$$}"
      Dir.mkdir(dir)
      path = "#{dir}/s.sock"
      srv = UNIXServer.new(path)
      show { [srv.inspect, srv.path, srv.addr] }
      show { srv.peeraddr }
      c = UNIXSocket.new(path)
      s = srv.accept
      show { [c.inspect, s.inspect] }
      show { [c.path, c.addr, c.peeraddr, s.path, s.addr, s.peeraddr, c.inspect, s.inspect] }
      show { c.send("hi", 0); s.recvfrom(10) }
      show { s.send("yo", 0); c.recvfrom(10, 0, +"buffer") }
      show { srv.accept_nonblock(exception: false) }
      show { srv.accept_nonblock }
      show { srv.accept_nonblock(1) }
      show { srv.accept_nonblock(foo: 1) }
      show { e = (srv.accept_nonblock rescue $!); [e.is_a?(IO::WaitReadable), e.class.ancestors.include?(Errno::EAGAIN)] }
      show { t = Thread.new { UNIXSocket.new(path) }; fd = srv.sysaccept; IO.for_fd(fd).close; t.value.close; fd.class }
      show { srv.listen(5) }
      show { srv.listen("x") }
      show { UNIXServer.new(path) }
      show { UNIXSocket.new("#{dir}/missing") }
      show { UNIXSocket.new(dir) }
      show { UNIXServer.new("#{dir}/no/such/dir") }
      show { UNIXSocket.new("x" * 108) }
      show { UNIXSocket.new("x" * 109) }
      show { UNIXSocket.new("x" * 200) }
      show { UNIXSocket.new(nil) }
      show { UNIXSocket.new(5) }
      show { UNIXSocket.new(:sym) }
      show { UNIXSocket.new("a\0b") }
      show { UNIXSocket.new("ab\0") }
      show { UNIXSocket.new("\0a\x01b\n\"c\\d") }
      show { UNIXSocket.new("\0hé".b) }
      show { UNIXSocket.new("\0hé") }
      show { UNIXSocket.new("#{dir}/no\ndir/é\x01x") }
      show { UNIXSocket.new("x".encode("UTF-16LE")) }
      show { UNIXSocket.new }
      show { UNIXSocket.new(path, 1) }
      o = Object.new
      def o.to_path = "/tmp/rsdiff_topath_#{$$}.sock"
      show { x = UNIXServer.new(o); [x.inspect, x.path].tap { x.close; File.delete(o.to_path) } }
      show { a = UNIXServer.new("\0rsdiff_#{$$}"); b = UNIXSocket.new("\0rsdiff_#{$$}"); x = a.accept; [a.path, a.addr, b.peeraddr, b.path, x.addr, x.peeraddr, x.path] }
      show { a = UNIXServer.new("\0"); a.addr }
      show { a = UNIXServer.new(""); [a.path, a.inspect] }
      show { c.close; [c.path] }
      show { c.addr }
      show { c.recvfrom(1) }
      File.delete(path)
      Dir.rmdir(dir)
    RUBY
  end

  def test_pair
    assert_same_as_stock(<<~'RUBY', normalize: NORMALIZE)
      show { UNIXSocket.pair.map(&:inspect) }
      show { UNIXSocket.socketpair(:DGRAM).map(&:class) }
      show { UNIXSocket.pair(Socket::SOCK_SEQPACKET, 0).map(&:class) }
      show { UNIXSocket.pair("STREAM") { |a, b| a.write("x"); b.read(1) } }
      show { UNIXSocket.pair(:FOO) }
      show { UNIXSocket.pair(:STREAM, 5) }
      show { UNIXSocket.pair(nil) }
      show { UNIXSocket.pair(:STREAM, 0, 1) }
      show { UNIXServer.pair.map(&:class) }
      show { u1, u2 = UNIXSocket.pair(:DGRAM); u1.send("d", 0); [u2.recvfrom(5), u1.addr, u1.peeraddr, u1.path] }
      show { u1, u2 = UNIXSocket.pair; [u1.recvfrom(-1)] }
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
end
