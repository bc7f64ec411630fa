# frozen_string_literal: true

require_relative "reliability_helper"

# Faults a server meets: peers that go away, half-closes, fork, running out
# of descriptors. Each becomes the Ruby exception stock raises; nothing dies.
class FaultsTest < Minitest::Test
  # Valgrind keeps descriptors of its own near the limit: setrlimit(64) in
  # the child leaves it unable to run (`rake valgrind` runs this file).
  def skip_under_valgrind
    skip "valgrind keeps descriptors of its own near the limit: a child with RLIMIT_NOFILE 64 cannot start under it" if ENV["LD_PRELOAD"].to_s.include?("vgpreload")
  end

  def test_write_to_a_closed_peer_is_epipe_not_sigpipe
    a, b = Socket.pair(:UNIX, :STREAM)
    b.close
    assert_raises(Errno::EPIPE) { a.send("x", 0) }
    assert_raises(Errno::EPIPE) { a.write("x") }
    a.close
  end

  def test_connect_refused
    dir = Dir.mktmpdir
    path = File.join(dir, "gone.sock")
    UNIXServer.new(path).close
    assert_raises(Errno::ECONNREFUSED) { UNIXSocket.new(path) }
  ensure
    FileUtils.rm_rf(dir)
  end

  def test_half_close_both_ways
    a, b = Socket.pair(:UNIX, :STREAM)
    a.write("to b")
    a.close_write
    assert_equal "to b", b.read
    b.write("to a")
    b.close_write
    assert_equal "to a", a.read
    [a, b].each(&:close)
  end

  def test_fork_with_open_sockets
    a, b = Socket.pair(:UNIX, :STREAM)
    pid = fork do
      b.close
      a.send("from child", 0)
      a.close
      exit!(0)
    end
    a.close
    assert_equal "from child", b.recv(100)
    _, st = Process.wait2(pid)
    assert st.success?
    c, d = Socket.pair(:UNIX, :STREAM)
    c.send("parent ok", 0)
    assert_equal "parent ok", d.recv(100)
    [b, c, d].each(&:close)
  end

  def test_descriptor_exhaustion_is_emfile_and_recoverable
    skip_under_valgrind
    r, w = IO.pipe
    pid = fork do
      r.close
      Process.setrlimit(Process::RLIMIT_NOFILE, 64)
      socks = []
      err = nil
      begin
        200.times { socks.concat(Socket.pair(:UNIX, :STREAM)) }
      rescue SystemCallError => e
        err = e.class
      end
      socks.each(&:close)
      x, y = Socket.pair(:UNIX, :STREAM)
      x.send("recovered", 0)
      w.write("#{err} #{y.recv(20)}")
      exit!(0)
    end
    w.close
    out = r.read
    Process.wait(pid)
    assert_equal "Errno::EMFILE recovered", out
    report "fd exhaustion: Errno::EMFILE at the limit, sockets work again after closing"
  end

  def tcp_pair
    server = TCPServer.new("127.0.0.1", 0)
    client = TCPSocket.new("127.0.0.1", server.local_address.ip_port)
    [client, server.accept]
  ensure
    server&.close
  end

  def test_tcp_peer_reset_is_econnreset
    a, b = tcp_pair
    b.setsockopt(Socket::SOL_SOCKET, Socket::SO_LINGER, [1, 0].pack("ii"))
    b.close # SO_LINGER 0: close sends RST
    sleep 0.01
    assert_raises(Errno::ECONNRESET) { a.recv(10) }
    a.close
    a, b = tcp_pair
    b.setsockopt(Socket::Option.linger(true, 0))
    b.close
    sleep 0.01
    assert_raises(Errno::ECONNRESET) { a.read(10) }
    a.close
    report "TCP peer reset (SO_LINGER 0): Errno::ECONNRESET on recv and read"
  end

  def test_tcp_write_to_a_closed_peer_is_epipe_not_sigpipe
    a, b = tcp_pair
    b.close
    sleep 0.01
    # The first write may be accepted before the peer's RST arrives.
    err = assert_raises(Errno::EPIPE, Errno::ECONNRESET) { 5.times { a.send("x" * 1000, 0); sleep 0.01 } }
    assert_raises(Errno::EPIPE) { a.write("x") }
    assert_raises(Errno::EPIPE) { a.send("x", 0) }
    a.close
    report "TCP write to a closed peer: #{err.class} then Errno::EPIPE, no SIGPIPE"
  end

  def test_tcp_connect_refused
    s = TCPServer.new("127.0.0.1", 0)
    port = s.local_address.ip_port
    s.close
    assert_raises(Errno::ECONNREFUSED) { TCPSocket.new("127.0.0.1", port) }
    assert_raises(Errno::ECONNREFUSED) { Socket.tcp("127.0.0.1", port) }
    sock = Socket.new(:INET, :STREAM)
    assert_raises(Errno::ECONNREFUSED) { sock.connect(Addrinfo.tcp("127.0.0.1", port)) }
    sock.close
    # UDP: a refused datagram reports on the next receive of a connected socket.
    u = UDPSocket.new
    u.connect("127.0.0.1", port)
    u.send("x", 0)
    assert_raises(Errno::ECONNREFUSED) { sleep 0.01; u.recv(10) }
    u.close
  end

  def test_tcp_descriptor_exhaustion_is_emfile_and_recoverable
    skip_under_valgrind
    r, w = IO.pipe
    pid = fork do
      r.close
      server = TCPServer.new("127.0.0.1", 0)
      port = server.local_address.ip_port
      Process.setrlimit(Process::RLIMIT_NOFILE, 64)
      socks = []
      errs = []
      begin
        200.times { socks << TCPSocket.new("127.0.0.1", port) }
      rescue SystemCallError => e
        errs << e.class
      end
      # Pending connections remain; accept now hits the limit.
      begin
        200.times { socks << server.accept }
      rescue SystemCallError => e
        errs << e.class
      end
      socks.each(&:close)
      server.close # its queue still holds connections whose clients closed
      server = TCPServer.new("127.0.0.1", 0)
      c = TCPSocket.new("127.0.0.1", server.local_address.ip_port)
      d = server.accept
      c.write("recovered")
      w.write("#{errs.join(",")} #{d.readpartial(20)}")
      exit!(0)
    end
    w.close
    out = r.read
    Process.wait(pid)
    assert_equal "Errno::EMFILE,Errno::EMFILE recovered", out
    report "TCP fd exhaustion: Errno::EMFILE from TCPSocket.new and TCPServer#accept, sockets work again after closing"
  end
end
