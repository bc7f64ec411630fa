# frozen_string_literal: true

require "test_helper"

class TCPServerTest < Minitest::Test
  def test_new_forms
    [[0], [nil, 0], ["", 0], ["127.0.0.1", 0], ["localhost", 0], ["::1", 0]].each do |args|
      s = TCPServer.new(*args)
      assert_kind_of Integer, s.addr[1]
      assert_match(/\A#<TCPServer:fd \d+, AF_INET6?, [\d.:]+, \d+>\z/, s.inspect)
      s.close
    end
  end

  def test_service_name_and_errors
    busy = TCPServer.new("127.0.0.1", 0)
    e = assert_raises(Errno::EADDRINUSE) { TCPServer.new("127.0.0.1", busy.addr[1]) }
    assert_equal "Address already in use - bind(2) for \"127.0.0.1\" port #{busy.addr[1]}", e.message
    assert_raises(SocketError) { TCPServer.new("127.0.0.1", "no-such-service") }
    assert_raises(ArgumentError) { TCPServer.new }
    busy.close
  end

  def test_accept_sysaccept_and_nonblock
    s = TCPServer.new("127.0.0.1", 0)
    port = s.addr[1]
    assert_equal :wait_readable, s.accept_nonblock(exception: false)
    assert_raises(IO::WaitReadable) { s.accept_nonblock }
    clients = Array.new(3) { TCPSocket.new("127.0.0.1", port) }
    a = s.accept
    assert_instance_of TCPSocket, a
    fd = s.sysaccept
    assert_kind_of Integer, fd
    IO.select([s], nil, nil, 1)
    b = s.accept_nonblock
    assert_instance_of TCPSocket, b
    [a, b, IO.for_fd(fd), *clients, s].each(&:close)
  end

  def test_blocked_accept_is_interruptible
    s = TCPServer.new("127.0.0.1", 0)
    th, took = time_to_interrupt(->(t) { t.kill }) { s.accept }
    refute th.alive?
    assert_operator took, :<, 0.1
    assert_equal 0, s.listen(5)
    s.close
  end

  def test_no_fd_leak_on_failure
    busy = TCPServer.new("127.0.0.1", 0)
    assert_no_fd_leak do
      20.times { assert_raises(Errno::EADDRINUSE) { TCPServer.new("127.0.0.1", busy.addr[1]) } }
    end
    busy.close
  end
end
