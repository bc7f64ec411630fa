# frozen_string_literal: true

require "test_helper"
require "open3"
require "rbconfig"
if ENV["SOCKET_IMPL"] == "stock" && RUBY_VERSION < "3.4"
  # Stock 3.1 and 3.3 have no Happy Eyeballs: under SOCKET_IMPL=stock there
  # our pure-Ruby helpers run on stock's classes (quietly: they redefine
  # stock's methods of the same names). Stock 3.4 runs as it is.
  verbose, $VERBOSE = $VERBOSE, nil
  require "socket_rs/tcp"
  require "socket_rs/addrinfo"
  $VERBOSE = verbose
end

# Happy Eyeballs v2 as Ruby 3.4 does it, and Ruby 4.0's open_timeout.
#
# Socket.tcp resolves each family with its own Addrinfo.getaddrinfo call, so
# these tests steer it the way Ruby 3.4's own tests do: by redefining
# Addrinfo.getaddrinfo (a name that resolves to ::1 and 127.0.0.1, one
# family late or failing). TCPSocket.new resolves natively; its cases run in
# test/support/netns --dual-stack, where localhost is 127.0.0.1 and ::1 and nothing
# leaves the machine.
class HappyEyeballsTest < Minitest::Test
  NETNS = File.expand_path("support/netns", __dir__)
  LIB = File.expand_path("../lib", __dir__)
  # Wide enough for a loaded 2-core machine.
  SLACK = 0.5

  def setup
    @v4 = TCPServer.new("127.0.0.1", 0)
    @port = @v4.addr[1]
    @v6 = TCPServer.new("::1", @port)
    # A port nothing listens on, on both loopbacks.
    probe = TCPServer.new("127.0.0.1", 0)
    @closed_port = probe.addr[1]
    probe.close
    @lingering = []
  end

  def teardown
    restore_resolver
    [@v4, @v6, *@lingering].each { |s| s.close unless s.closed? }
  end

  def now
    Process.clock_gettime(Process::CLOCK_MONOTONIC)
  end

  # Redefines Addrinfo.getaddrinfo as Ruby 3.4's tests do: each family
  # answers after its delay with its addresses, or raises them. Records the
  # families asked for in @asked. With meet: true neither family answers
  # before both were asked (Socket.tcp ends the lookup it no longer needs,
  # which may not have started yet on a slow machine).
  def stub_resolver(v6:, v4:, v6_delay: 0, v4_delay: 0, meet: false)
    asked = @asked = Queue.new
    met = Queue.new
    Addrinfo.singleton_class.alias_method(:__he_test_getaddrinfo, :getaddrinfo)
    @stubbed = true
    Addrinfo.define_singleton_method(:getaddrinfo) do |host, port, family = nil, *rest, **opts|
      next __he_test_getaddrinfo(host, port, family, *rest, **opts) unless host == "dual.test"

      asked << family
      if meet
        met << family
        Timeout.timeout(10) { sleep 0.01 until met.size >= 2 }
      end
      delay, answer = family == Socket::AF_INET6 ? [v6_delay, v6] : [v4_delay, v4]
      sleep delay
      raise answer if answer.is_a?(Exception)

      answer
    end
  end

  def restore_resolver
    return unless @stubbed

    Addrinfo.singleton_class.remove_method(:getaddrinfo)
    Addrinfo.singleton_class.alias_method(:getaddrinfo, :__he_test_getaddrinfo)
    Addrinfo.singleton_class.remove_method(:__he_test_getaddrinfo)
    @stubbed = false
  end

  def both(port = @port)
    { v6: [Addrinfo.tcp("::1", port)], v4: [Addrinfo.tcp("127.0.0.1", port)] }
  end

  def timed
    t0 = now
    result = yield
    [result, now - t0]
  end

  def resolution_error(message)
    Socket.const_defined?(:ResolutionError) ? Socket::ResolutionError.new(message) : SocketError.new(message)
  end

  # What an open_timeout raises on this Ruby (Ruby 4.0's IO::TimeoutError
  # where it exists).
  def open_timeout_error
    defined?(IO::TimeoutError) ? IO::TimeoutError : Errno::ETIMEDOUT
  end

  # A port on `host` whose connects never complete: a listener with a full
  # backlog drops further SYNs, so a connect stays pending.
  def unanswered_port(host = "127.0.0.1")
    blackhole = Socket.new(host.include?(":") ? :INET6 : :INET, :STREAM)
    blackhole.bind(Addrinfo.tcp(host, 0))
    blackhole.listen(0)
    port = blackhole.local_address.ip_port
    @lingering << blackhole
    4.times do
      filler = Socket.new(blackhole.local_address.afamily, :STREAM)
      filler.connect_nonblock(Addrinfo.tcp(host, port), exception: false)
      @lingering << filler
    end
    port
  end

  def test_each_family_is_resolved_by_its_own_addrinfo_getaddrinfo_call
    stub_resolver(**both, meet: true)
    Socket.tcp("dual.test", @port).close
    asked = [@asked.pop, @asked.pop].sort
    assert_equal [Socket::AF_INET, Socket::AF_INET6].sort, asked
  end

  def test_ipv6_answering_first_connects_over_ipv6
    stub_resolver(**both, v4_delay: 0.01)
    sock = Socket.tcp("dual.test", @port)
    assert sock.remote_address.ipv6?
    sock.close
  end

  def test_ipv6_answering_within_the_resolution_delay_wins
    stub_resolver(**both, v6_delay: 0.02)
    sock = Socket.tcp("dual.test", @port)
    assert sock.remote_address.ipv6?, "IPv6 answered within the 50 ms resolution delay"
    sock.close
  end

  def test_slow_ipv6_falls_back_to_ipv4_after_the_resolution_delay
    stub_resolver(**both, v6_delay: 2)
    sock, took = timed { Socket.tcp("dual.test", @port) }
    assert sock.remote_address.ipv4?
    assert_operator took, :>=, 0.045
    assert_operator took, :<, 0.05 + SLACK
    sock.close
  end

  def test_ipv6_resolution_failure_uses_ipv4_at_once
    stub_resolver(v6: resolution_error("getaddrinfo: Name or service not known"),
                  v4: [Addrinfo.tcp("127.0.0.1", @port)], v4_delay: 0.01)
    sock, took = timed { Socket.tcp("dual.test", @port) }
    assert sock.remote_address.ipv4?
    assert_operator took, :<, SLACK
    sock.close
  end

  def test_both_resolutions_failing_raise_the_last_resolution_error
    stub_resolver(v6: resolution_error("v6 failed"), v4: resolution_error("v4 failed"), v4_delay: 0.05)
    e = assert_raises(SocketError) { Socket.tcp("dual.test", @port) }
    assert_equal "v4 failed", e.message
    assert_equal "v4 failed", e.cause&.message, "re-raised with the resolver's error as its cause"
  end

  def test_refused_ipv6_falls_back_to_ipv4_without_waiting
    stub_resolver(v6: [Addrinfo.tcp("::1", @closed_port)], v4: [Addrinfo.tcp("127.0.0.1", @port)])
    sock, took = timed { Socket.tcp("dual.test", @port) }
    assert sock.remote_address.ipv4?
    assert_operator took, :<, 0.25, "a refused attempt does not wait the attempt delay"
    sock.close
  end

  def test_everything_refused_raises_the_last_connect_error
    stub_resolver(**both(@closed_port))
    e = assert_raises(Errno::ECONNREFUSED) { Socket.tcp("dual.test", @closed_port) }
    assert_match(/connect\(2\) for (127\.0\.0\.1|\[::1\]):#{@closed_port}\z/, e.message)
  end

  def test_an_attempt_that_hangs_gets_a_second_after_the_connection_attempt_delay
    hanging = unanswered_port("::1")
    stub_resolver(v6: [Addrinfo.tcp("::1", hanging)], v4: [Addrinfo.tcp("127.0.0.1", @port)])
    sock, took = timed { Socket.tcp("dual.test", @port) }
    assert sock.remote_address.ipv4?
    assert_operator took, :>=, 0.24
    assert_operator took, :<, 0.25 + SLACK
    sock.close
  end

  # What a resolv_timeout or connect_timeout that passed raises: Errno::ETIMEDOUT
  # "user specified timeout", from Ruby 4.0 IO::TimeoutError naming the host.
  def resolv_timeout_error
    RUBY_VERSION >= "4.0" ? IO::TimeoutError : Errno::ETIMEDOUT
  end

  def test_resolv_timeout
    stub_resolver(v6: [], v4: [], v6_delay: 2, v4_delay: 2)
    e, took = timed { assert_raises(resolv_timeout_error) { Socket.tcp("dual.test", @port, resolv_timeout: 0.1) } }
    assert_match(RUBY_VERSION >= "4.0" ? /\Auser specified timeout for dual.test:\d+\z/ : /user specified timeout/, e.message)
    assert_operator took, :<, 0.1 + SLACK
  end

  def test_resolv_timeout_after_a_connection_failure_is_a_timeout
    stub_resolver(v6: [Addrinfo.tcp("::1", @closed_port)], v4: [], v4_delay: 2)
    assert_raises(resolv_timeout_error) { Socket.tcp("dual.test", @closed_port, resolv_timeout: 0.1) }
  end

  def test_connect_timeout_against_a_peer_that_never_answers
    port = unanswered_port
    stub_resolver(v6: [], v4: [Addrinfo.tcp("127.0.0.1", port)])
    [-> { Socket.tcp("127.0.0.1", port, connect_timeout: 0.2) },
     -> { Socket.tcp("127.0.0.1", port, connect_timeout: 0.2, fast_fallback: false) },
     -> { Socket.tcp("dual.test", port, connect_timeout: 0.2) }].each do |connect|
      e, took = timed { assert_raises(Errno::ETIMEDOUT) { connect.call } }
      assert_match(/user specified timeout/, e.message)
      assert_operator took, :<, 0.2 + SLACK
    end
  end

  def test_block_form_closes_the_socket
    stub_resolver(**both)
    kept = nil
    assert_equal(:value, Socket.tcp("dual.test", @port) { |s| kept = s; :value })
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

  def test_local_host_resolves_only_its_family
    skip "stock 3.4.5 passes the family as :ipv4, which Addrinfo.getaddrinfo rejects" if stock_34?
    stub_resolver(**both)
    sock = Socket.tcp("dual.test", @port, "127.0.0.1", 0)
    assert_equal "127.0.0.1", sock.local_address.ip_address
    assert_equal [Socket::AF_INET], [@asked.pop]
    sock.close
  end

  # -- Ruby 4.0's open_timeout ---------------------------------------------

  def stock_34?
    ENV["SOCKET_IMPL"] == "stock" && RUBY_VERSION >= "3.4"
  end

  def skip_open_timeout_on_stock
    skip "open_timeout is Ruby 4.0's; socket_rs offers it on every Ruby" if ENV["SOCKET_IMPL"] == "stock"
  end

  def test_open_timeout_is_a_keyword_of_socket_tcp
    skip_open_timeout_on_stock
    assert_includes Socket.method(:tcp).parameters, %i[key open_timeout]
  end

  def test_open_timeout_against_a_peer_that_never_answers
    skip_open_timeout_on_stock

    port = unanswered_port
    stub_resolver(v6: [], v4: [Addrinfo.tcp("127.0.0.1", port)])
    [-> { Socket.tcp("127.0.0.1", port, open_timeout: 0.1) },
     -> { Socket.tcp("127.0.0.1", port, open_timeout: 0.1, fast_fallback: false) },
     -> { Socket.tcp("dual.test", port, open_timeout: 0.1) },
     -> { TCPSocket.new("127.0.0.1", port, open_timeout: 0.1) }].each do |connect|
      e, took = timed { assert_raises(open_timeout_error) { connect.call } }
      assert_equal "user specified timeout for 127.0.0.1:#{port}", e.message.delete_prefix("Connection timed out - ")
      assert_operator took, :>=, 0.09
      assert_operator took, :<, 0.1 + SLACK
    end
  end

  def test_open_timeout_covers_resolution
    skip_open_timeout_on_stock

    stub_resolver(v6: [], v4: [], v6_delay: 2, v4_delay: 2)
    _, took = timed { assert_raises(open_timeout_error) { Socket.tcp("dual.test", @port, open_timeout: 0.1) } }
    assert_operator took, :<, 0.1 + SLACK
  end

  def test_open_timeout_with_an_answering_peer_connects
    skip_open_timeout_on_stock
    stub_resolver(**both)
    Socket.tcp("dual.test", @port, open_timeout: 1).close
    Socket.tcp("127.0.0.1", @port, open_timeout: 1).close
    TCPSocket.new("127.0.0.1", @port, open_timeout: 1).close
  end

  def test_open_timeout_with_another_timeout_is_an_argument_error
    skip_open_timeout_on_stock
    message = "Cannot specify open_timeout along with connect_timeout or resolv_timeout"
    e = assert_raises(ArgumentError) { Socket.tcp("127.0.0.1", @port, open_timeout: 1, connect_timeout: 1) }
    assert_equal message, e.message
    assert_raises(ArgumentError) { Socket.tcp("127.0.0.1", @port, open_timeout: 1, resolv_timeout: 1) }
    e = assert_raises(ArgumentError) { TCPSocket.new("127.0.0.1", @port, open_timeout: 1, resolv_timeout: 1) }
    assert_equal message, e.message
  end

  # -- TCPSocket.new, in a namespace where localhost is dual-stack ----------

  # Runs `code` under socket_rs in test/support/netns --dual-stack; its output.
  def in_dual_stack(code)
    skip "TCPSocket.new's Happy Eyeballs is socket_rs's on this Ruby" if ENV["SOCKET_IMPL"] == "stock"

    out, err, status = Open3.capture3(NETNS, "--dual-stack", RbConfig.ruby, "-I", LIB, "-rsocket_rs", "-e", code)
    skip "needs root and unshare(1) for test/support/netns --dual-stack" if status.exitstatus == 97
    assert status.success?, "child failed: #{err}"
    out
  end

  PRELUDE = <<~'RUBY'
    $stdout.sync = true
    v4 = TCPServer.new("127.0.0.1", 0)
    port = v4.addr[1]
    v6 = TCPServer.new("::1", port)
    probe = TCPServer.new("127.0.0.1", 0)
    closed = probe.addr[1]
    probe.close
    def family_of(sock) = sock.remote_address.ipv6? ? :ipv6 : :ipv4
    def outcome
      r = yield
      r.is_a?(TCPSocket) ? "#{r.remote_address.ipv6? ? :ipv6 : :ipv4}" : r.inspect
    rescue Exception => e
      "#{e.class}: #{e.message}"
    end
  RUBY

  def test_tcpsocket_new_test_mode_settings_delay_each_family
    out = in_dual_stack(PRELUDE + <<~'RUBY')
      puts outcome { TCPSocket.new("localhost", port) }
      puts outcome { TCPSocket.new("localhost", port, test_mode_settings: { delay: { ipv6: 1000 } }) }
      puts outcome { TCPSocket.new("localhost", port, test_mode_settings: { delay: { ipv4: 1000 } }) }
      puts outcome { TCPSocket.new("localhost", port, test_mode_settings: { delay: { ipv6: 25 } }) }
      t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      TCPSocket.new("localhost", port, test_mode_settings: { delay: { ipv6: 1000 } }).close
      puts Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0 < 0.5 ? "no wait for ipv6" : "waited"
    RUBY
    assert_equal "ipv6\nipv4\nipv6\nipv6\nno wait for ipv6\n", out
  end

  def test_tcpsocket_new_test_mode_settings_errors_and_the_error_raised
    out = in_dual_stack(PRELUDE + <<~'RUBY')
      fail_code = Socket::EAI_FAIL
      puts outcome { TCPSocket.new("localhost", port, test_mode_settings: { delay: { ipv4: 10 }, error: { ipv6: fail_code } }) }
      puts outcome { TCPSocket.new("localhost", port, test_mode_settings: { error: { ipv6: fail_code, ipv4: fail_code } }) }
      # A resolution error after the other family connected and was refused
      # does not replace the connect error (Ruby 3.4.5)...
      puts outcome { TCPSocket.new("localhost", closed, test_mode_settings: { delay: { ipv4: 100 }, error: { ipv4: fail_code } }) }
      # ...and a refused connect after a resolution error.
      puts outcome { TCPSocket.new("localhost", closed, test_mode_settings: { delay: { ipv4: 100 }, error: { ipv6: fail_code } }) }
      puts outcome { TCPSocket.new("localhost", closed, resolv_timeout: 0.01, test_mode_settings: { delay: { ipv4: 1000 } }) }
    RUBY
    reason = RUBY_VERSION >= "3.4" ? "getaddrinfo(3)" : "getaddrinfo"
    resolution_error = Socket.const_defined?(:ResolutionError) ? "Socket::ResolutionError" : "SocketError"
    lines = out.lines(chomp: true)
    assert_equal "ipv4", lines[0]
    assert_equal "#{resolution_error}: #{reason}: Non-recoverable failure in name resolution", lines[1]
    refused = /\AErrno::ECONNREFUSED: Connection refused - connect\(2\) for "localhost" port \d+\z/
    assert_match refused, lines[2]
    assert_match refused, lines[3]
    if RUBY_VERSION >= "4.0"
      assert_match(/\AIO::TimeoutError: user specified timeout for localhost port \d+\z/, lines[4])
    else
      assert_equal "Errno::ETIMEDOUT: Connection timed out - user specified timeout", lines[4]
    end
  end

  def test_tcpsocket_new_resolves_natively_not_through_addrinfo_getaddrinfo
    out = in_dual_stack(PRELUDE + <<~'RUBY')
      Addrinfo.define_singleton_method(:getaddrinfo) { |*| raise "redefined resolver used" }
      puts outcome { TCPSocket.new("localhost", port) }
      puts outcome { TCPSocket.new("localhost", port, fast_fallback: false) }
      puts outcome { TCPSocket.new(nil, port) }
    RUBY
    assert_equal "ipv6\nipv6\nipv6\n", out
  end

  def test_tcpsocket_new_open_timeout_and_local_addresses
    out = in_dual_stack(PRELUDE + <<~'RUBY')
      puts outcome { TCPSocket.new("localhost", port, "127.0.0.1", 0) }
      puts outcome { TCPSocket.new("localhost", port, "::1", 0) }
      puts outcome { TCPSocket.new("localhost", port, open_timeout: 1) }
      puts outcome { TCPSocket.new("localhost", port, test_mode_settings: { delay: 5 }) }
    RUBY
    assert_equal "ipv4\nipv6\nipv6\nTypeError: no implicit conversion of Integer into Hash\n", out
  end

  # Threads started while the block runs.
  def threads_started
    started = 0
    trace = TracePoint.new(:thread_begin) { started += 1 }
    trace.enable
    yield
    started
  ensure
    trace.disable
  end

  # A name /etc/hosts answers cannot hang: it is resolved in the caller's
  # thread, in either environment of localhost, and in each a server on one
  # loopback only is still reached.
  def test_hosts_file_names_start_no_thread
    %w[v4 dual].each do |hosts|
      out, err, status = Open3.capture3(NETNS, "--hosts", hosts, RbConfig.ruby, "-I", LIB, "-I", __dir__,
                                        "-rsocket_rs", "-e", <<~'RUBY')
                                          started = 0
                                          TracePoint.new(:thread_begin) { started += 1 }.enable
                                          v4 = TCPServer.new("127.0.0.1", 0)
                                          a = TCPSocket.new("localhost", v4.addr[1]).remote_address.ip_address
                                          b = Socket.tcp("localhost", v4.addr[1]).remote_address.ip_address
                                          puts [a, b, started].inspect
                                        RUBY
      skip "needs root and unshare(1) for test/support/netns" if status.exitstatus == 97
      assert status.success?, err
      assert_equal %(["127.0.0.1", "127.0.0.1", 0]\n), out, "with /etc/hosts #{hosts}"
    end
  end

  # A name /etc/hosts does not answer (here nsswitch asks DNS first, which
  # fails at once in the namespace, then the file) is looked up on the
  # resolver pool: no thread either, and no descriptor left behind.
  def test_names_that_may_hang_are_looked_up_on_the_pool
    Dir.mktmpdir do |dir|
      nss = File.join(dir, "nsswitch.conf")
      File.write(nss, "hosts: dns files\n")
      out, err, status = Open3.capture3(NETNS, "--hosts", "dual", "sh", "-c",
                                        'mount --bind "$0" /etc/nsswitch.conf && exec "$@"', nss,
                                        RbConfig.ruby, "-I", LIB, "-rsocket_rs", "-e", <<~'RUBY')
                                          started = 0
                                          TracePoint.new(:thread_begin) { started += 1 }.enable
                                          v4 = TCPServer.new("127.0.0.1", 0)
                                          fds = Dir.children("/proc/self/fd").size
                                          a = TCPSocket.open("localhost", v4.addr[1]) { |s| s.remote_address.ip_address }
                                          b = Socket.tcp("localhost", v4.addr[1]) { |s| s.remote_address.ip_address }
                                          c = begin
                                            TCPSocket.new("nosuch.invalid", v4.addr[1])
                                          rescue SocketError => e
                                            e.class.ancestors.include?(SocketError)
                                          end
                                          v4.accept.close
                                          v4.accept.close
                                          # A lookup abandoned in flight keeps its eventfd until its
                                          # pool thread is done (at once here: DNS is unreachable).
                                          left = -> { Dir.children("/proc/self/fd").size - fds }
                                          20.times { left.call.zero? || sleep(0.05) }
                                          puts [a, b, c, started, left.call].inspect
                                        RUBY
      skip "needs root and unshare(1) for test/support/netns" if status.exitstatus == 97
      assert status.success?, err
      assert_equal %(["127.0.0.1", "127.0.0.1", true, 0, 0]\n), out
    end
  end

  # A redefined Addrinfo.getaddrinfo may sleep: Socket.tcp keeps resolving
  # on threads then, as Ruby 3.4's own tests need.
  def test_redefined_resolver_keeps_its_threads
    stub_resolver(**both) # localhost passes through it to the native one
    started = threads_started { Socket.tcp("localhost", @port).close }
    assert_operator started, :>=, 2
  end
end
