# frozen_string_literal: true

require "test_helper"
# Under SOCKET_IMPL=stock this loads our pure-Ruby helpers over stock's
# (quietly: they redefine stock's methods of the same names).
verbose, $VERBOSE = $VERBOSE, nil
require "socket_rs/tcp"
require "socket_rs/addrinfo"
$VERBOSE = verbose

# Socket.tcp's Happy Eyeballs v2 with a controllable resolver: a name that
# resolves to ::1 and 127.0.0.1, one family delayed or unreachable.
class HappyEyeballsTest < Minitest::Test
  HE = SocketRs::HappyEyeballs

  def setup
    @v4 = TCPServer.new("127.0.0.1", 0)
    @port = @v4.addr[1]
    @v6 = TCPServer.new("::1", @port)
    # A port nothing listens on, on both loopbacks.
    probe = TCPServer.new("127.0.0.1", 0)
    @closed_port = probe.addr[1]
    probe.close
  end

  def teardown
    HE.resolver = nil
    [@v4, @v6].each { |s| s.close unless s.closed? }
  end

  def now
    Process.clock_gettime(Process::CLOCK_MONOTONIC)
  end

  # A resolver answering each family after a delay with the given addresses.
  def resolver(v6:, v4:, v6_delay: 0, v4_delay: 0)
    lambda do |_host, _port, family, _timeout|
      delay, addrs = family == Socket::AF_INET6 ? [v6_delay, v6] : [v4_delay, v4]
      sleep delay
      raise addrs if addrs.is_a?(Exception)

      addrs
    end
  end

  def connect_and_time(**opts)
    t0 = now
    sock = Socket.tcp("dual.test", @port, **opts)
    [sock, now - t0]
  end

  def test_ipv6_answering_first_connects_over_ipv6
    HE.resolver = resolver(v6: [Addrinfo.tcp("::1", @port)], v4: [Addrinfo.tcp("127.0.0.1", @port)], v4_delay: 0.01)
    sock, = connect_and_time
    assert sock.remote_address.ipv6?
    sock.close
  end

  def test_ipv4_first_waits_the_resolution_delay_for_ipv6
    HE.resolver = resolver(v6: [Addrinfo.tcp("::1", @port)], v4: [Addrinfo.tcp("127.0.0.1", @port)], v6_delay: 0.02)
    sock, = connect_and_time
    assert sock.remote_address.ipv6?, "IPv6 answered within the 50 ms resolution delay"
    sock.close
  end

  def test_ipv6_too_late_falls_back_to_ipv4_after_the_delay
    HE.resolver = resolver(v6: [Addrinfo.tcp("::1", @port)], v4: [Addrinfo.tcp("127.0.0.1", @port)], v6_delay: 0.5)
    sock, took = connect_and_time
    assert sock.remote_address.ipv4?
    assert_operator took, :>=, 0.045
    assert_operator took, :<, 0.4
    sock.close
  end

  def test_unreachable_ipv6_falls_back_to_ipv4
    refused = Addrinfo.tcp("::1", @closed_port)
    HE.resolver = resolver(v6: [refused], v4: [Addrinfo.tcp("127.0.0.1", @port)])
    sock, took = connect_and_time
    assert sock.remote_address.ipv4?
    assert_operator took, :<, 0.3, "a refused attempt does not wait the attempt delay"
    sock.close
  end

  def test_ipv6_resolution_failure_uses_ipv4
    HE.resolver = resolver(v6: SocketError.new("getaddrinfo: Address family for hostname not supported"),
                           v4: [Addrinfo.tcp("127.0.0.1", @port)])
    sock, = connect_and_time
    assert sock.remote_address.ipv4?
    sock.close
  end

  def test_everything_refused_raises_the_last_connect_error
    HE.resolver = resolver(v6: [Addrinfo.tcp("::1", @closed_port)], v4: [Addrinfo.tcp("127.0.0.1", @closed_port)])
    assert_raises(Errno::ECONNREFUSED) { Socket.tcp("dual.test", @port) }
  end

  def test_both_resolutions_failing_raises_the_resolution_error
    err = SocketError.new("getaddrinfo: Name or service not known")
    HE.resolver = resolver(v6: err, v4: err)
    e = assert_raises(SocketError) { Socket.tcp("dual.test", @port) }
    assert_equal "getaddrinfo: Name or service not known", e.message
  end

  def test_resolv_timeout
    HE.resolver = resolver(v6: [], v4: [], v6_delay: 2, v4_delay: 2)
    t0 = now
    e = assert_raises(Errno::ETIMEDOUT) { Socket.tcp("dual.test", @port, resolv_timeout: 0.1) }
    assert_match(/user specified timeout/, e.message)
    assert_operator now - t0, :<, 1
  end

  def test_block_form_closes_the_socket
    HE.resolver = resolver(v6: [Addrinfo.tcp("::1", @port)], v4: [Addrinfo.tcp("127.0.0.1", @port)])
    kept = nil
    r = Socket.tcp("dual.test", @port) { |s| kept = s; :value }
    assert_equal :value, r
    assert kept.closed?
  end

  def test_fast_fallback_false_and_numeric_hosts_connect_directly
    sock = Socket.tcp("127.0.0.1", @port, fast_fallback: false)
    assert sock.remote_address.ipv4?
    sock.close
    sock = Socket.tcp("::1", @port)
    assert sock.remote_address.ipv6?
    sock.close
    assert_equal true, Socket.tcp_fast_fallback
  end

  def test_local_host_binds_the_family_it_names
    sock = Socket.tcp("localhost", @port, "127.0.0.1", 0)
    assert_equal "127.0.0.1", sock.local_address.ip_address
    sock.close
  end

  # TCPSocket.new shares the engine for host names (Ruby 3.4), with its own
  # wording of errors.
  def test_tcpsocket_new_uses_happy_eyeballs_for_names
    skip "TCPSocket.new has no Happy Eyeballs in stock 3.1" if ENV["SOCKET_IMPL"] == "stock"

    HE.resolver = resolver(v6: [Addrinfo.tcp("::1", @closed_port)], v4: [Addrinfo.tcp("127.0.0.1", @port)])
    sock = TCPSocket.new("dual.test", @port)
    assert_equal "127.0.0.1", sock.peeraddr[3]
    sock.close
    HE.resolver = resolver(v6: [Addrinfo.tcp("::1", @closed_port)], v4: [Addrinfo.tcp("127.0.0.1", @closed_port)])
    e = assert_raises(Errno::ECONNREFUSED) { TCPSocket.new("dual.test", @port) }
    assert_equal "Connection refused - connect(2) for \"dual.test\" port #{@port}", e.message
  end

  def test_tcpsocket_new_fast_fallback_false_is_sequential
    skip "fast_fallback: is Ruby 3.4 API" if ENV["SOCKET_IMPL"] == "stock"

    HE.resolver = ->(*) { raise "the Happy Eyeballs resolver must not be used" }
    sock = TCPSocket.new("localhost", @port, fast_fallback: false)
    assert_equal "127.0.0.1", sock.peeraddr[3]
    sock.close
  end

  # A peer that never answers, on loopback: a listener whose backlog is full
  # drops further SYNs, so a connect stays pending.
  def unanswered_port
    @blackhole = Socket.new(:INET, :STREAM)
    @blackhole.bind(Addrinfo.tcp("127.0.0.1", 0))
    @blackhole.listen(0)
    port = @blackhole.local_address.ip_port
    @fillers = Array.new(4) do
      Socket.new(:INET, :STREAM).tap { |c| c.connect_nonblock(Addrinfo.tcp("127.0.0.1", port), exception: false) }
    end
    port
  end

  def test_connect_timeout_against_a_peer_that_never_answers
    port = unanswered_port
    [-> { Socket.tcp("127.0.0.1", port, connect_timeout: 0.2) },
     -> { Socket.tcp("127.0.0.1", port, connect_timeout: 0.2, fast_fallback: false) }].each do |connect|
      t0 = now
      e = assert_raises(Errno::ETIMEDOUT) { connect.call }
      assert_match(/user specified timeout/, e.message)
      assert_operator now - t0, :<, 1.5
    end
  ensure
    [@blackhole, *@fillers].compact.each(&:close)
  end
end

