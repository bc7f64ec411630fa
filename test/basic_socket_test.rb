# frozen_string_literal: true

require "test_helper"

class BasicSocketTest < Minitest::Test
  def setup
    @a, @b = Socket.pair(:UNIX, :STREAM)
  end

  def teardown
    [@a, @b].each { |s| s.close unless s.closed? }
  end

  def test_cannot_instantiate_directly
    assert_raises(NoMethodError) { BasicSocket.new }
  end

  def test_for_fd
    s = BasicSocket.for_fd(@a.fileno)
    assert_instance_of BasicSocket, s
    assert_equal @a.fileno, s.fileno
    s.autoclose = false
    r, w = IO.pipe
    e = assert_raises(Errno::EBADF) { BasicSocket.for_fd(r.fileno) }
    assert_equal "Bad file descriptor - not a socket file descriptor", e.message
    e = assert_raises(Errno::EBADF) { BasicSocket.for_fd(9999) }
    assert_equal "Bad file descriptor - fstat(2)", e.message
    [r, w].each(&:close)
  end

  def test_recv_with_flags_and_outbuf
    @a.send("hello world", 0)
    assert_equal "hello", @b.recv(5, Socket::MSG_PEEK)
    buf = +"previous contents that are long"
    r = @b.recv(100, 0, buf)
    assert_same buf, r
    assert_equal "hello world", buf
    @a.send("z", 0)
    assert_equal Encoding::ASCII_8BIT, @b.recv(1).encoding
  end

  def test_recv_keeps_outbuf_encoding
    @a.send("héllo", 0)
    buf = "xyz".encode("UTF-8")
    assert_equal "héllo", @b.recv(100, 0, buf)
    assert_equal Encoding::UTF_8, buf.encoding
  end

  def test_recv_at_end_of_stream_returns_empty_string
    @a.close
    assert_equal "", @b.recv(10)
  end

  def test_recv_refuses_buffered_io
    @a.write("abc")
    assert_equal "ab", @b.gets(2)
    e = assert_raises(IOError) { @b.recv(1) }
    assert_equal "recv for buffered IO", e.message
  end

  def test_bad_arguments
    assert_raises(TypeError) { @a.send(12, 0) }
    assert_raises(TypeError) { @a.send("x", "y") }
    assert_raises(ArgumentError) { @a.send("x") }
    assert_raises(TypeError) { @a.recv(nil) }
    assert_raises(ArgumentError) { @a.recv(-1) }
    assert_raises(FrozenError) { @a.recv(1, 0, "x".freeze) }
    assert_raises(TypeError) { @a.recv(1, 0, 5) }
  end

  def test_closed_socket
    @a.close
    e = assert_raises(IOError) { @a.recv(1) }
    assert_equal "closed stream", e.message
    assert_raises(IOError) { @a.send("x", 0) }
    assert_raises(IOError) { @a.close_write }
    assert_raises(IOError) { @a.close_read }
  end

  def test_send_to_a_closed_peer_is_epipe
    @b.close
    assert_raises(Errno::EPIPE) { @a.send("x", 0) }
  end

  def test_close_read_and_close_write
    assert_nil @a.close_write
    refute @a.closed?
    assert_equal "", @b.recv(10)
    assert_nil @a.close_read
    assert @a.closed?
    assert_nil @b.close_read
    assert_nil @b.close_write
    assert @b.closed?
  end

  def test_do_not_reverse_lookup
    assert_equal true, BasicSocket.do_not_reverse_lookup
    assert_equal true, @a.do_not_reverse_lookup
    assert_equal false, (@a.do_not_reverse_lookup = false)
    assert_equal false, @a.do_not_reverse_lookup
    begin
      BasicSocket.do_not_reverse_lookup = false
      x, y = Socket.pair(:UNIX, :STREAM)
      assert_equal false, x.do_not_reverse_lookup
      [x, y].each(&:close)
    ensure
      BasicSocket.do_not_reverse_lookup = true
    end
  end
end
