# frozen_string_literal: true

require "test_helper"
require "fcntl"
require "tmpdir"

class SocketTest < Minitest::Test
  def test_new_accepts_integers_symbols_and_strings
    [[Socket::AF_INET, Socket::SOCK_STREAM], [:INET, :STREAM], %w[INET STREAM],
     %i[AF_INET SOCK_STREAM], %w[PF_INET DGRAM], [:INET6, :DGRAM], [:UNIX, :STREAM]].each do |d, t|
      s = Socket.new(d, t)
      assert_kind_of Socket, s
      assert_match(/\A#<Socket:fd \d+>\z/, s.inspect)
      s.close
    end
    s = Socket.new(:INET, :STREAM, 0)
    s.close
    s = Socket.new(:INET, :STREAM, nil)
    s.close
  end

  def test_new_sets_io_up_as_stock
    s = Socket.new(:INET, :STREAM)
    assert s.sync
    assert s.binmode?
    assert s.close_on_exec?
    assert_equal Encoding::ASCII_8BIT, s.external_encoding
    assert_nil s.internal_encoding
    flags = s.fcntl(Fcntl::F_GETFL) if defined?(Fcntl)
    assert flags.nil? || flags.anybits?(File::NONBLOCK)
    assert_same s, s.to_io
    assert_kind_of Integer, s.fileno
    s.close
    assert s.closed?
  end

  def test_bad_arguments_raise_stock_classes
    assert_raises(SocketError) { Socket.new(:FOO, :STREAM) }
    e = assert_raises(SocketError) { Socket.new(:INET, :FOO) }
    assert_equal "unknown socket type: FOO", e.message
    assert_raises(SocketError) { Socket.new(:inet, :STREAM) }
    assert_raises(TypeError) { Socket.new(nil, :STREAM) }
    assert_raises(TypeError) { Socket.new(:INET, :STREAM, :TCP) }
    assert_raises(RangeError) { Socket.new(:INET, 2**40) }
    assert_raises(Errno::EAFNOSUPPORT) { Socket.new(9999, :STREAM) }
    e = assert_raises(Errno::EINVAL) { Socket.new(:INET, :STREAM, 9999) }
    assert_equal "Invalid argument - socket(2)", e.message
    assert_raises(ArgumentError) { Socket.new(:INET) }
    assert_raises(ArgumentError) { Socket.new(:INET, :STREAM, 0, 1) }
  end

  def test_failing_new_leaks_no_fd
    assert_no_fd_leak do
      50.times do
        assert_raises(Errno::EINVAL) { Socket.new(:INET, :STREAM, 9999) }
        assert_raises(SocketError) { Socket.new(:NOPE, :STREAM) }
      end
    end
  end

  def test_pair_and_socketpair
    a, b = Socket.pair(:UNIX, :STREAM)
    assert_instance_of Socket, a
    assert_instance_of Socket, b
    assert_equal 5, a.send("hello", 0)
    assert_equal "hello", b.recv(10)
    a.close
    b.close
    a, b = Socket.socketpair(Socket::AF_UNIX, Socket::SOCK_DGRAM, 0)
    a.send("x", 0)
    assert_equal "x", b.recv(1)
    [a, b].each(&:close)
  end

  def test_pair_block_closes_both_and_returns_block_value
    socks = nil
    r = Socket.pair(:UNIX, :STREAM) do |a, b|
      socks = [a, b]
      a.write("ping")
      assert_equal "ping", b.read(4)
      :done
    end
    assert_equal :done, r
    assert socks.all?(&:closed?)
    assert_raises(RuntimeError) { Socket.pair(:UNIX, :STREAM) { |a, b| socks = [a, b]; raise "boom" } }
    assert socks.all?(&:closed?)
  end

  def test_sockets_are_real_ios
    a, b = Socket.pair(:UNIX, :STREAM)
    a.write("line one\nline two\n")
    assert_equal [[b], [], []], IO.select([b], nil, nil, 1)
    assert_equal "line one\n", b.gets
    assert_equal "line two\n", b.readpartial(100)
    a.puts "copy me"
    a.close_write
    out = StringIO.new
    IO.copy_stream(b, out)
    assert_equal "copy me\n", out.string
    assert_nil IO.select([a], nil, nil, 0) if false
    a.close
    b.close
  end

  def sin(port, ip = [127, 0, 0, 1])
    [Socket::AF_INET].pack("S") + [port].pack("n") + ip.pack("C4") + ("\0" * 8)
  end

  def sin6(port, ip = [0] * 15 + [1])
    [Socket::AF_INET6].pack("S") + [port].pack("n") + ("\0" * 4) + ip.pack("C16") + ("\0" * 4)
  end

  def sun(path)
    [Socket::AF_UNIX].pack("S") + path.b + ("\0" * (108 - path.bytesize))
  end

  def tcp_server(family = :INET)
    s = Socket.new(family, :STREAM)
    s.bind(family == :INET ? sin(0) : sin6(0))
    assert_equal 0, s.listen(5)
    s
  end

  def port_of(sock)
    sock.getsockname.unpack1("x2n")
  end

  def test_bind_listen_connect_tcp_v4_and_v6
    [:INET, :INET6].each do |family|
      serv = tcp_server(family)
      refute_equal 0, port_of(serv)
      c = Socket.new(family, :STREAM)
      assert_equal 0, c.connect(serv.getsockname)
      assert_equal serv.getsockname, c.getpeername
      [serv, c].each(&:close)
    end
  end

  def test_connect_errors_name_the_address
    e = assert_raises(Errno::ECONNREFUSED) { Socket.new(:INET, :STREAM).connect(sin(1)) }
    assert_equal "Connection refused - connect(2) for 127.0.0.1:1", e.message
    e = assert_raises(Errno::ECONNREFUSED) { Socket.new(:INET6, :STREAM).connect(sin6(1)) }
    assert_equal "Connection refused - connect(2) for [::1]:1", e.message
    e = assert_raises(Errno::ENOENT) { Socket.new(:UNIX, :STREAM).connect(sun("/nonexistent/x")) }
    assert_equal "No such file or directory - connect(2) for /nonexistent/x", e.message
    e = assert_raises(Errno::EINVAL) { Socket.new(:INET, :STREAM).bind(sin(0)[0, 6]) }
    assert_equal "Invalid argument - bind(2) for 127.0.?.? (6 bytes for 16 bytes sockaddr_in)", e.message
    assert_raises(TypeError) { Socket.new(:INET, :STREAM).connect(5) }
    assert_raises(ArgumentError) { Socket.new(:INET, :STREAM).listen }
  end

  def test_unix_stream_dgram_seqpacket
    Dir.mktmpdir do |dir|
      %i[STREAM SEQPACKET DGRAM].each do |type|
        path = File.join(dir, type.to_s)
        serv = Socket.new(:UNIX, type)
        assert_equal 0, serv.bind(sun(path))
        serv.listen(1) unless type == :DGRAM
        c = Socket.new(:UNIX, type)
        assert_equal 0, c.connect(sun(path))
        assert_equal path, c.getpeername[2..].delete("\0")
        [serv, c].each(&:close)
      end
    end
  end

  def test_connect_nonblock_and_accept_nonblock_would_block
    serv = tcp_server
    e = assert_raises(IO::EAGAINWaitReadable) { serv.accept_nonblock }
    assert_equal "Resource temporarily unavailable - accept(2) would block", e.message
    assert_equal :wait_readable, serv.accept_nonblock(exception: false)
    c = Socket.new(:INET, :STREAM)
    r = c.connect_nonblock(serv.getsockname, exception: false)
    assert_includes [0, :wait_writable], r
    assert IO.select(nil, [c], nil, 5)
    assert_equal 0, c.connect_nonblock(serv.getsockname, exception: false)
    e = assert_raises(Errno::EISCONN) { c.connect_nonblock(serv.getsockname) }
    assert_match(/connect\(2\) for 127\.0\.0\.1:\d+\z/, e.message)
    c2 = Socket.new(:INET, :STREAM)
    begin
      c2.connect_nonblock(serv.getsockname)
    rescue IO::WaitWritable => e
      assert_instance_of IO::EINPROGRESSWaitWritable, e
      assert_equal "Operation now in progress - connect(2) would block", e.message
    end
    [serv, c, c2].each(&:close)
  end

  def test_nonblock_methods_set_a_blocking_fd_nonblocking
    serv = tcp_server
    serv.fcntl(Fcntl::F_SETFL, serv.fcntl(Fcntl::F_GETFL) & ~File::NONBLOCK)
    assert_equal :wait_readable, serv.accept_nonblock(exception: false)
    assert serv.fcntl(Fcntl::F_GETFL).anybits?(File::NONBLOCK)
    serv.close
  end

  def test_blocking_accept_is_interruptible
    serv = tcp_server
    th, secs = time_to_interrupt(->(t) { t.kill }) { serv.accept }
    refute th.alive?
    assert_operator secs, :<, 1
    assert_raises(Timeout::Error) { Timeout.timeout(0.2) { serv.sysaccept } }
    q = Queue.new
    th = Thread.new do
      serv.accept
    rescue IOError => e
      q << e
    end
    sleep 0.05 until th.status == "sleep"
    serv.close
    assert_equal "stream closed in another thread", q.pop.message
    th.join
  end

  def test_accept_on_a_blocking_descriptor_lets_other_threads_run
    serv = tcp_server
    serv.fcntl(Fcntl::F_SETFL, serv.fcntl(Fcntl::F_GETFL) & ~File::NONBLOCK)
    ticks = 0
    ticker = Thread.new { loop { ticks += 1; sleep 0.01 } }
    assert_raises(Timeout::Error) { Timeout.timeout(0.3) { serv.accept } }
    ticker.kill
    assert_operator ticks, :>, 5
    th, secs = time_to_interrupt(->(t) { t.kill }) { serv.accept }
    refute th.alive?
    assert_operator secs, :<, 1
    serv.close
  end

  def test_recvfrom_blocking_is_interruptible
    a, b = Socket.pair(:UNIX, :DGRAM)
    th, secs = time_to_interrupt(->(t) { t.raise("stop") }) { a.recvfrom(10) }
    refute th.alive?
    assert_operator secs, :<, 1
    [a, b].each(&:close)
  end

  def test_ipv6only
    s = Socket.new(:INET6, :STREAM)
    assert_equal 0, s.ipv6only!
    assert s.getsockopt(:IPV6, :V6ONLY).bool
    s.close
    assert_raises(Errno::ENOPROTOOPT) { Socket.new(:INET, :STREAM).ipv6only! }
  end

  def test_error_paths_leak_no_fd
    serv = tcp_server
    assert_no_fd_leak do
      20.times do
        assert_raises(Errno::ECONNREFUSED) { Socket.new(:INET, :STREAM).tap { |s| s.connect(sin(1)) rescue (s.close; raise) } }
        assert_raises(IO::WaitReadable) { serv.accept_nonblock }
        s = Socket.new(:INET, :STREAM)
        assert_raises(Errno::EINVAL) { s.bind("") }
        s.close
        assert_raises(IOError) { s.connect(sin(1)) }
        assert_raises(IOError) { s.accept }
      end
    end
    serv.close
  end

  def test_closed_socket_raises_ioerror
    s = Socket.new(:INET, :STREAM)
    s.close
    %i[accept sysaccept].each { |m| assert_raises(IOError) { s.public_send(m) } }
    assert_raises(IOError) { s.bind(sin(0)) }
    assert_raises(IOError) { s.listen(1) }
    assert_raises(IOError) { s.connect_nonblock(sin(1)) }
    assert_raises(IOError) { s.accept_nonblock }
    assert_raises(IOError) { s.recvfrom(1) }
    assert_raises(IOError) { s.recvfrom_nonblock(1) }
  end

  # A listener with a zero backlog and one queued connection drops further
  # SYNs: a connect to it stays pending, on loopback only.
  def full_listener
    serv = Socket.new(:INET, :STREAM)
    serv.bind(sin(0))
    serv.listen(0)
    first = Socket.new(:INET, :STREAM)
    first.connect(serv.getsockname)
    [serv, first]
  end

  def test_pending_connect_is_interruptible
    serv, first = full_listener
    c = Socket.new(:INET, :STREAM)
    assert_raises(Timeout::Error) { Timeout.timeout(0.3) { c.connect(serv.getsockname) } }
    c2 = Socket.new(:INET, :STREAM)
    assert_equal :wait_writable, c2.connect_nonblock(serv.getsockname, exception: false)
    c3 = Socket.new(:INET, :STREAM)
    q = Queue.new
    th = Thread.new do
      c3.connect(serv.getsockname)
    rescue IOError => e
      q << e
    end
    sleep 0.05 until th.status == "sleep"
    c3.close
    assert_equal "stream closed in another thread", q.pop.message
    th.join
    [serv, first, c, c2].each(&:close)
  end

  def test_pending_connect_on_a_blocking_descriptor
    serv, first = full_listener
    c = Socket.new(:INET, :STREAM)
    c.fcntl(Fcntl::F_SETFL, c.fcntl(Fcntl::F_GETFL) & ~File::NONBLOCK)
    ticks = 0
    ticker = Thread.new { loop { ticks += 1; sleep 0.01 } }
    assert_raises(Timeout::Error) { Timeout.timeout(0.3) { c.connect(serv.getsockname) } }
    ticker.kill
    assert_operator ticks, :>, 5
    [serv, first, c].each(&:close)
  end
end
