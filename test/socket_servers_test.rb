# frozen_string_literal: true

require "test_helper"
require "tmpdir"
# Under SOCKET_IMPL=stock this loads our pure-Ruby helpers over stock's
# (quietly: they redefine stock's methods of the same names).
verbose, $VERBOSE = $VERBOSE, nil
require "socket_rs/addrinfo"
require "socket_rs/servers"
require "socket_rs/udp"
$VERBOSE = verbose

# Socket's pure-Ruby server helpers: tcp_server_sockets, tcp_server_loop,
# accept_loop, unix, unix_server_socket, unix_server_loop, udp_server_*.
class SocketServersTest < Minitest::Test
  def setup
    @dir = Dir.mktmpdir("socket_rs_servers")
  end

  def teardown
    FileUtils.rm_rf(@dir)
  end

  def test_tcp_server_sockets_port_0_is_one_port_on_both_families
    socks = Socket.tcp_server_sockets(0)
    families = socks.map { |s| s.local_address.afamily }.sort
    assert_equal [Socket::AF_INET, Socket::AF_INET6].sort, families
    assert_equal 1, socks.map { |s| s.local_address.ip_port }.uniq.size
    port = socks.first.local_address.ip_port
    [["127.0.0.1", Socket::AF_INET], ["::1", Socket::AF_INET6]].each do |host, fam|
      c = Socket.tcp(host, port)
      server = socks.find { |s| s.local_address.afamily == fam }
      conn, addr = server.accept
      assert_equal fam, addr.afamily
      [c, conn].each(&:close)
    end
    socks.each(&:close)
  end

  def test_tcp_server_sockets_block_closes_them_all
    kept = nil
    value = Socket.tcp_server_sockets("127.0.0.1", 0) { |socks| kept = socks; :done }
    assert_equal :done, value
    assert kept.all?(&:closed?)
  end

  def test_tcp_server_sockets_failure_closes_everything
    busy = TCPServer.new("127.0.0.1", 0)
    assert_no_fd_leak do
      assert_raises(Errno::EADDRINUSE) { Socket.tcp_server_sockets("127.0.0.1", busy.addr[1]) }
    end
  ensure
    busy&.close
  end

  def test_tcp_server_loop_yields_each_connection
    port = TCPServer.new("127.0.0.1", 0).then { |s| s.addr[1].tap { s.close } }
    got = Queue.new
    server = Thread.new do
      Socket.tcp_server_loop("127.0.0.1", port) do |sock, client|
        got << [sock.gets, client.class]
        sock.close
      end
    end
    3.times do |i|
      c = nil
      20.times do
        c = TCPSocket.new("127.0.0.1", port)
        break
      rescue Errno::ECONNREFUSED
        sleep 0.02
      end
      c.puts "hello #{i}"
      c.close
      assert_equal ["hello #{i}\n", Addrinfo], got.pop
    end
  ensure
    server&.kill&.join
  end

  def test_accept_loop_needs_sockets
    e = assert_raises(ArgumentError) { Socket.accept_loop }
    assert_equal "no sockets", e.message
    assert_raises(ArgumentError) { Socket.accept_loop([]) }
  end

  def test_unix_server_socket_removes_its_file_on_block_exit
    path = File.join(@dir, "s.sock")
    Socket.unix_server_socket(path) do |serv|
      assert File.socket?(path)
      Socket.unix(path) { |c| c.write("x") }
      conn, = serv.accept
      assert_equal "x", conn.read(1)
      conn.close
    end
    refute File.exist?(path)
  end

  def test_unix_server_socket_replaces_a_stale_socket_of_ours
    path = File.join(@dir, "stale.sock")
    UNIXServer.new(path).close # leaves the socket file behind
    assert File.socket?(path)
    serv = Socket.unix_server_socket(path)
    assert_equal path, serv.local_address.unix_path
    serv.close
  end

  def test_unix_server_socket_keeps_a_regular_file
    path = File.join(@dir, "plain")
    File.write(path, "data")
    assert_raises(Errno::EADDRINUSE) { Socket.unix_server_socket(path) }
    assert_equal "data", File.read(path)
  end

  def test_unix_server_socket_keeps_another_users_socket
    skip "needs root to give a socket file to another user" unless Process.euid.zero?

    path = File.join(@dir, "theirs.sock")
    UNIXServer.new(path).close
    File.chown(65_534, 65_534, path)
    assert_raises(Errno::EADDRINUSE) { Socket.unix_server_socket(path) }
    assert File.socket?(path)
  end

  def test_unix_server_socket_abstract_name
    name = "\0socket_rs_servers_#{$$}"
    Socket.unix_server_socket(name) do |serv|
      Socket.unix(name) { |c| c.write("abs") }
      conn, = serv.accept
      assert_equal "abs", conn.read(3)
      conn.close
    end
  end

  def test_unix_server_loop
    path = File.join(@dir, "loop.sock")
    got = Queue.new
    server = Thread.new do
      Socket.unix_server_loop(path) do |sock, client|
        got << [sock.read, client.class]
        sock.close
      end
    end
    sleep 0.01 until File.socket?(path)
    Socket.unix(path) { |c| c.write("over unix") }
    assert_equal ["over unix", Addrinfo], got.pop
  ensure
    server&.kill&.join
  end

  def test_udp_server_loop_echoes_on_ipv4_and_ipv6
    ready = Queue.new
    server = Thread.new do
      Socket.udp_server_sockets(0) do |socks|
        ready << socks.first.local_address.ip_port
        Socket.udp_server_loop_on(socks) { |msg, src| src.reply(msg.upcase) }
      end
    end
    port = ready.pop
    [["127.0.0.1", :INET], ["::1", :INET6]].each do |host, fam|
      u = UDPSocket.new(fam)
      u.send("ping #{host}", 0, host, port)
      assert IO.select([u], nil, nil, 5), "no reply over #{host}"
      msg, from = u.recvfrom(100)
      assert_equal "PING #{host.upcase}", msg
      assert_equal host, from[3]
      u.close
    end
  ensure
    server&.kill&.join
  end

  def test_udp_source
    src = Socket::UDPSource.new(Addrinfo.udp("127.0.0.1", 5), Addrinfo.udp("127.0.0.1", 6)) { |m| m * 2 }
    assert_equal "#<Socket::UDPSource: 127.0.0.1:5 to 127.0.0.1:6>", src.inspect
    assert_equal "xx", src.reply("x")
    assert_equal 5, src.remote_address.ip_port
    assert_equal 6, src.local_address.ip_port
  end
end
