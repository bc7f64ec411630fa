# frozen_string_literal: true

require_relative "differential_helper"

# What each Ruby's stock does that the others don't, for the calls every
# socket class shares: IO#timeout in blocking calls (3.2+: Errno::EAGAIN on
# 3.3, IO::TimeoutError on 3.4), nil at end of stream (3.3+), and connect
# timeouts. Each snippet runs under the running Ruby's stock and socket_rs.
class BasicSocketDifferentialTest < Minitest::Test
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
      c, = UNIXSocket.pair
      with_timeout(c)
      begin
        loop { c.write_nonblock("x" * 65_536) }
      rescue IO::WaitWritable
        nil
      end
      timed("send") { c.send("x" * 100, 0) }
      timed("sendmsg") { c.sendmsg("x" * 100) }
      a.send("late", 0)
      timed("recv after data") { b.recv(10) }
    RUBY
  end

  def test_connect_timeouts
    assert_same_as_stock(TIMEOUT_PRELUDE + <<~'RUBY', normalize: ->(o) { o.gsub(/port \d+/, "port N") })
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
end
