# frozen_string_literal: true

require "test_helper"
require "tmpdir"

class UNIXSocketTest < Minitest::Test
  def setup
    start_unix_server("s.sock")
  end

  def teardown
    stop_unix_server
  end

  def test_lines_round_trip_between_threads
    t = Thread.new do
      c = @server.accept
      while (line = c.gets)
        c.puts line.upcase
      end
      c.close
    end
    s = UNIXSocket.new(@path)
    %w[alpha beta gamma].each do |w|
      s.puts w
      assert_equal "#{w.upcase}\n", s.gets
    end
    s.close
    t.join
  end

  def test_path_addr_and_inspect
    c = UNIXSocket.new(@path)
    assert_equal ["AF_UNIX", @path], c.peeraddr
    assert_equal ["AF_UNIX", ""], c.addr
    assert_equal "", c.path
    assert_equal "#<UNIXSocket:>", c.inspect
    assert_equal "#<UNIXServer:#{@path}>", @server.inspect
    c.close
  end

  def test_failed_connect_leaks_no_fd
    missing = File.join(@dir, "missing.sock")
    assert_no_fd_leak do
      20.times { assert_raises(Errno::ENOENT) { UNIXSocket.new(missing) } }
      20.times { assert_raises(Errno::EADDRINUSE) { UNIXServer.new(@path) } }
      20.times { assert_raises(ArgumentError) { UNIXSocket.new("x" * 200) } }
    end
  end

  def test_abstract_namespace
    name = "\0socket_rs_test_#{$$}"
    srv = UNIXServer.new(name)
    c = UNIXSocket.new(name)
    s = srv.accept
    c.write("abstract")
    assert_equal "abstract", s.read(8)
    assert_equal ["AF_UNIX", name], c.peeraddr
    [c, s, srv].each(&:close)
  end

  def test_pair_types
    a, b = UNIXSocket.pair(:DGRAM)
    a.send("one", 0)
    a.send("two", 0)
    assert_equal ["one", ["AF_UNIX", ""]], b.recvfrom(10)
    assert_equal "two", b.recv(10)
    [a, b].each(&:close)
    r = UNIXSocket.pair(:SEQPACKET) { |x, y| x.send("pkt", 0); y.recv(10) }
    assert_equal "pkt", r
  end
end
