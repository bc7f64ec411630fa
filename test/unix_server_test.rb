# frozen_string_literal: true

require "test_helper"
require "tmpdir"

class UNIXServerTest < Minitest::Test
  def setup
    start_unix_server("srv.sock")
  end

  def teardown
    stop_unix_server
  end

  def test_accept_returns_unix_socket
    c = UNIXSocket.new(@path)
    s = @server.accept
    assert_instance_of UNIXSocket, s
    [c, s].each(&:close)
  end

  def test_accept_nonblock
    assert_equal :wait_readable, @server.accept_nonblock(exception: false)
    e = assert_raises(IO::EAGAINWaitReadable) { @server.accept_nonblock }
    assert_equal "Resource temporarily unavailable - accept(2) would block", e.message
    c = UNIXSocket.new(@path)
    IO.select([@server], nil, nil, 1)
    s = @server.accept_nonblock
    assert_instance_of UNIXSocket, s
    [c, s].each(&:close)
  end

  def test_sysaccept_returns_an_fd
    c = UNIXSocket.new(@path)
    fd = @server.sysaccept
    assert_kind_of Integer, fd
    io = UNIXSocket.for_fd(fd)
    c.write("x")
    assert_equal "x", io.read(1)
    [c, io].each(&:close)
  end

  def test_blocked_accept_is_interruptible
    th, took = time_to_interrupt(->(t) { t.kill }) { @server.accept }
    refute th.alive?
    assert_operator took, :<, 0.1
    assert_raises(Timeout::Error) { Timeout.timeout(0.05) { @server.accept } }
  end

  def test_close_from_another_thread_wakes_accept
    err = nil
    th = Thread.new do
      @server.accept
    rescue IOError => e
      err = e
    end
    sleep 0.01 until th.status == "sleep"
    @server.close
    th.join(2)
    assert_instance_of IOError, err
  end

  def test_listen
    assert_equal 0, @server.listen(16)
  end
end
