# frozen_string_literal: true

require "test_helper"

# GC.stress with other threads alive around the calls that release the GVL
# (send/recv family, accept, connect, resolution, sendmsg/recvmsg): buffers
# stay pinned and no Ruby object is lost while the GVL is away.
class GvlSafetyTest < Minitest::Test
  def stressed
    GC.stress = true
    yield
  ensure
    GC.stress = false
  end

  def test_ping_pong_with_an_echo_thread_under_gc_stress
    a, b = Socket.pair(:UNIX, :STREAM)
    echo = Thread.new { 40.times { b.send(b.recv(10), 0) } }
    got = stressed { Array.new(40) { |i| a.send("x#{i}", 0) && a.recv(10) } }
    echo.join
    assert_equal Array.new(40) { |i| "x#{i}" }, got
    [a, b].each(&:close)
  end

  def test_connect_accept_and_resolution_under_gc_stress
    srv = TCPServer.new("127.0.0.1", 0)
    port = srv.addr[1]
    acceptor = Thread.new { Array.new(3) { srv.accept.tap { |c| c.write("hi") }.tap(&:close) } }
    got = stressed do
      [TCPSocket.new("localhost", port), Socket.tcp("127.0.0.1", port), TCPSocket.new("127.0.0.1", port)]
        .map { |s| s.read.tap { s.close } }
    end
    acceptor.join
    assert_equal %w[hi hi hi], got
    ais = stressed { Addrinfo.getaddrinfo("localhost", 80, nil, :STREAM) }
    assert_equal ["127.0.0.1"], ais.map(&:ip_address)
    srv.close
  end

  def test_messages_with_descriptors_under_gc_stress
    x, y = UNIXSocket.pair
    reader = Thread.new { Array.new(5) { y.recvmsg(scm_rights: true) } }
    stressed { 5.times { |i| x.sendmsg("m#{i}", 0, nil, Socket::AncillaryData.unix_rights(STDIN)) } }
    msgs = reader.value
    assert_equal Array.new(5) { |i| "m#{i}" }, msgs.map(&:first)
    msgs.each { |m| m[3].unix_rights.each(&:close) }
    [x, y].each(&:close)
  end
end
