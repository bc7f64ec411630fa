# frozen_string_literal: true

require "test_helper"

class TCPSocketTest < Minitest::Test
  def setup
    @server = TCPServer.new("127.0.0.1", 0)
    @port = @server.addr[1]
  end

  def teardown
    @server.close unless @server.closed?
  end

  # The reference document's simple server and client, on a free port.
  def test_reference_server_and_client
    t = Thread.new do
      client = @server.accept
      client.puts "Hello !"
      client.puts "Time is #{Time.now}"
      client.close
    end
    s = TCPSocket.new "localhost", @port
    lines = []
    while (line = s.gets)
      lines << line
    end
    s.close
    t.join
    assert_equal "Hello !\n", lines[0]
    assert_match(/\ATime is /, lines[1])
  end

  def test_local_host_and_port
    s = TCPSocket.new("127.0.0.1", @port, "127.0.0.1", 0)
    assert_equal "127.0.0.1", s.addr[3]
    assert_equal @port, s.peeraddr[1]
    s.close
  end

  def test_refused_and_its_message
    port = TCPServer.new("127.0.0.1", 0).then { |x| x.addr[1].tap { x.close } }
    e = assert_raises(Errno::ECONNREFUSED) { TCPSocket.new("127.0.0.1", port) }
    assert_equal "Connection refused - connect(2) for \"127.0.0.1\" port #{port}", e.message
    assert_no_fd_leak { 10.times { assert_raises(Errno::ECONNREFUSED) { TCPSocket.new("127.0.0.1", port) } } }
  end

  def test_open_is_new_and_ipv6
    v6 = TCPServer.new("::1", 0)
    s = TCPSocket.open("::1", v6.addr[1])
    assert_equal "AF_INET6", s.addr[0]
    [s, v6].each(&:close)
  end

  def test_bulk_transfer_in_both_directions
    data = Random.new(7).bytes(1 << 20)
    t = Thread.new do
      c = @server.accept
      got = c.read(data.bytesize)
      c.write(got.reverse)
      c.close
    end
    s = TCPSocket.new("127.0.0.1", @port)
    s.write(data)
    assert_equal data.reverse, s.read(data.bytesize)
    s.close
    t.join
  end
end
