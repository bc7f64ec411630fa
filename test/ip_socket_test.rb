# frozen_string_literal: true

require "test_helper"

class IPSocketTest < Minitest::Test
  def setup
    @server = TCPServer.new("127.0.0.1", 0)
    @client = TCPSocket.new("127.0.0.1", @server.addr[1])
    @peer = @server.accept
  end

  def teardown
    [@server, @client, @peer].each { |s| s.close unless s.closed? }
  end

  def test_addr_and_peeraddr
    assert_equal ["AF_INET", @client.addr[1], "127.0.0.1", "127.0.0.1"], @client.addr
    assert_equal ["AF_INET", @server.addr[1], "127.0.0.1", "127.0.0.1"], @client.peeraddr
    assert_equal "localhost", @client.peeraddr(true)[2]
    assert_equal "localhost", @client.peeraddr(:hostname)[2]
    assert_equal "127.0.0.1", @client.peeraddr(:numeric)[2]
    assert_raises(ArgumentError) { @client.addr(:bogus) }
    assert_raises(TypeError) { @client.addr(1) }
  end

  def test_do_not_reverse_lookup_changes_the_default
    @client.do_not_reverse_lookup = false
    assert_equal "localhost", @client.peeraddr[2]
  end

  def test_inspect
    assert_equal "#<TCPSocket:fd #{@client.fileno}, AF_INET, 127.0.0.1, #{@client.addr[1]}>", @client.inspect
    @client.close
    assert_equal "#<TCPSocket:(closed)>", @client.inspect
  end

  def test_recvfrom_on_a_stream_gives_no_address
    @peer.write("data")
    assert_equal ["data", nil], @client.recvfrom(10)
  end

  def test_getaddress
    assert_equal "127.0.0.1", IPSocket.getaddress("localhost")
    assert_equal "::1", IPSocket.getaddress("::1")
  end
end
