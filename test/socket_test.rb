# frozen_string_literal: true

require "test_helper"

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
end
