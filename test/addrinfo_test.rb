# frozen_string_literal: true

require_relative "test_helper"
require "open3"
require "rbconfig"
require "tmpdir"
require_relative "support/prerequisite"

# Addrinfo and the resolution class methods: behaviour worth pinning beyond
# the differential corpus (Marshal, GC safety, threads, interrupts).
class AddrinfoTest < Minitest::Test
  def test_tcp_numeric
    ai = Addrinfo.tcp("127.0.0.1", 80)
    assert_equal "#<Addrinfo: 127.0.0.1:80 TCP>", ai.inspect
    assert_equal [Socket::AF_INET, Socket::PF_INET, Socket::SOCK_STREAM, Socket::IPPROTO_TCP],
                 [ai.afamily, ai.pfamily, ai.socktype, ai.protocol]
    assert_equal ["127.0.0.1", 80], ai.ip_unpack
    assert_equal Socket.sockaddr_in(80, "127.0.0.1"), ai.to_sockaddr
    assert ai.ipv4_loopback?
    refute ai.ipv6?
  end

  def test_ipv6_and_scope
    ai = Addrinfo.udp("::1", 53)
    assert_equal "#<Addrinfo: [::1]:53 UDP>", ai.inspect
    assert ai.ipv6_loopback?
    scoped = Addrinfo.ip("fe80::1%1")
    assert_equal "#<Addrinfo: fe80::1%lo (fe80::1%1)>", scoped.inspect
    assert scoped.ipv6_linklocal?
    assert_equal "10.1.2.3", Addrinfo.ip("::ffff:10.1.2.3").ipv6_to_ipv4.ip_address
    assert_nil Addrinfo.ip("::1").ipv6_to_ipv4
  end

  def test_localhost_inspectname_and_canonname
    ai = Addrinfo.tcp("localhost", "http")
    assert_equal "#<Addrinfo: 127.0.0.1:80 TCP (localhost:http)>", ai.inspect
    list = Addrinfo.getaddrinfo("localhost", 80, :INET, :STREAM, nil, Socket::AI_CANONNAME)
    assert_equal "localhost", list.first.canonname
    assert_predicate list.first.canonname, :frozen?
  end

  def test_unix
    ai = Addrinfo.unix("/tmp/sock", :DGRAM)
    assert_equal "#<Addrinfo: /tmp/sock SOCK_DGRAM>", ai.inspect
    assert_equal "/tmp/sock", ai.unix_path
    assert_equal 2, Addrinfo.unix("").to_sockaddr.bytesize
    assert_equal "\0abs", Addrinfo.unix("\0abs").unix_path
    assert_raises(ArgumentError) { Addrinfo.unix("a" * 109) }
  end

  def test_marshal_round_trip
    [Addrinfo.tcp("127.0.0.1", 80), Addrinfo.udp("::1", 53), Addrinfo.unix("/tmp/x"),
     Addrinfo.tcp("localhost", 80)].each do |ai|
      back = Marshal.load(Marshal.dump(ai))
      assert_equal ai.inspect, back.inspect
      assert_equal ai.to_sockaddr, back.to_sockaddr
      assert_equal [ai.pfamily, ai.socktype, ai.protocol], [back.pfamily, back.socktype, back.protocol]
    end
  end

  # The dump format stock writes (recorded from the stock extension).
  def test_loads_stock_dump
    dump = "\x04\bU:\rAddrinfo[\fI\"\fAF_INET\x06:\x06EF[\a\"\x0E127.0.0.1\"\a80I\"\fPF_INET\x06;\x06FI\"\x10SOCK_STREAM\x06;\x06FI\"\x10IPPROTO_TCP\x06;\x06F00".b
    assert_equal "#<Addrinfo: 127.0.0.1:80 TCP>", Marshal.load(dump).inspect
    assert_equal dump, Marshal.dump(Addrinfo.tcp("127.0.0.1", 80))
  end

  def test_errors
    e = assert_raises(SocketError) { Addrinfo.getaddrinfo("nonexistent.invalid", 80, nil, nil, nil, Socket::AI_NUMERICHOST) }
    assert_match(/getaddrinfo: /, e.message)
    if defined?(Socket::ResolutionError) && ENV["SOCKET_IMPL"] != "stock"
      assert_kind_of Socket::ResolutionError, e
      assert_equal Socket::EAI_NONAME, e.error_code
    end
    assert_raises(TypeError) { Addrinfo.allocate.inspect }
    assert_raises(TypeError) { Addrinfo.tcp("127.0.0.1", 1).send(:initialize, "") }
    assert_raises(SocketError) { Addrinfo.tcp("127.0.0.1", 1).unix_path }
    assert_raises(ArgumentError) { Addrinfo.new("x" * 2049) }
  end

  def test_timeout_keyword
    skip "timeout: is Ruby 3.3+ API" if ENV["SOCKET_IMPL"] == "stock" && RUBY_VERSION < "3.3"
    assert_equal 1, Addrinfo.getaddrinfo("localhost", 80, :INET, :STREAM, timeout: 5).size
    assert_equal 1, Addrinfo.getaddrinfo("127.0.0.1", 80, nil, :STREAM, timeout: 0).size
  end

  def test_resolution_from_many_threads_under_gc_stress
    threads = 4.times.map do
      Thread.new { 20.times.map { Addrinfo.getaddrinfo("localhost", "http", :INET, :STREAM).first.inspect } }
    end
    assert_equal ["#<Addrinfo: 127.0.0.1:80 TCP (localhost:http)>"], threads.flat_map(&:value).uniq
    GC.stress = true
    begin
      ai = Addrinfo.tcp("localhost", 80)
      list = Socket.getaddrinfo("localhost", 80, :INET)
    ensure
      GC.stress = false
    end
    assert_equal "#<Addrinfo: 127.0.0.1:80 TCP (localhost)>", ai.inspect
    assert_equal 3, list.size
  end

  def test_ifaddrs_under_gc_stress
    GC.stress = true
    begin
      rows = Socket.getifaddrs.map { |i| [i.name, i.addr&.inspect, i.netmask&.inspect, i.inspect] }
      list = Socket.ip_address_list.map(&:inspect)
    ensure
      GC.stress = false
    end
    assert_includes rows.map(&:first), "lo"
    assert_includes list, "#<Addrinfo: 127.0.0.1>"
    assert(rows.any? { |r| r[1] == "#<Addrinfo: 127.0.0.1>" && r[2] == "#<Addrinfo: 255.0.0.0>" })
  end

  # A thread killed while it waits for the resolver ends promptly, and the
  # abandoned worker releases its descriptor when it finishes.
  def test_kill_during_resolution_leaks_nothing
    assert_no_fd_leak do
      20.times do
        th = Thread.new { loop { Addrinfo.getaddrinfo("localhost", 80, :INET) } }
        sleep 0.005
        th.kill
        assert th.join(2), "resolving thread did not die"
      end
      sleep 0.2 # abandoned workers finish and close their eventfds
    end
  end

  # The resolver pool's threads do not survive fork(2); the child starts
  # its own.
  def test_resolution_after_fork
    skip "no fork" unless Process.respond_to?(:fork)
    Addrinfo.getaddrinfo("localhost", 80, :INET)
    reader, writer = IO.pipe
    pid = fork do
      reader.close
      writer.write(Addrinfo.tcp("localhost", 80).inspect)
      writer.close
      exit!(0)
    end
    writer.close
    Timeout.timeout(10) { Process.wait(pid) }
    assert_equal "#<Addrinfo: 127.0.0.1:80 TCP (localhost)>", reader.read
    reader.close
  end

  def test_socket_class_methods
    assert_equal [80, "127.0.0.1"], Socket.unpack_sockaddr_in(Socket.sockaddr_in("80", "127.0.0.1"))
    assert_equal "/tmp/s", Socket.unpack_sockaddr_un(Socket.sockaddr_un("/tmp/s"))
    assert_equal ["localhost", "http"], Socket.getnameinfo(Socket.sockaddr_in(80, "127.0.0.1"))
    assert_equal 80, Socket.getservbyname("http")
    assert_equal "http", Socket.getservbyport(80)
    assert_raises(RangeError) { Socket.getservbyport(65_536) }
    assert_equal "127.0.0.1", IPSocket.getaddress("localhost")
    assert_kind_of String, Socket.gethostname
    lo = Socket.getifaddrs.find { |i| i.addr&.ipv4_loopback? }
    assert_equal "lo", lo.name
    assert_equal 0, lo.flags & Socket::IFF_BROADCAST
    assert_includes Socket.ip_address_list.map(&:ip_address), "127.0.0.1"
    rows = Socket.getaddrinfo("127.0.0.1", 80, :INET, :STREAM, nil, nil, true)
    assert_equal [["AF_INET", 80, "localhost", "127.0.0.1", 2, 1, 6]], rows
  end

  # A lookup stuck in getaddrinfo(3) (held for 3 s by an LD_PRELOAD shim)
  # gives way to Timeout, Thread#kill and `timeout:`, and other threads keep
  # running meanwhile. Stock 3.1 cannot do this, so it runs on socket_rs only.
  def test_slow_lookup_is_interruptible
    skip "socket_rs behaviour beyond stock: stock 3.1 cannot interrupt a getaddrinfo in progress" if ENV["SOCKET_IMPL"] == "stock"
    Dir.mktmpdir do |dir|
      shim = build_preload_shim("slow_getaddrinfo", dir)
      script = <<~'RUBY'
        require "timeout"
        t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
        elapsed = -> { (Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0).round(1) }
        ticks = 0
        ticker = Thread.new { loop { ticks += 1; sleep 0.01 } }
        begin
          Timeout.timeout(0.3) { Addrinfo.getaddrinfo("slow.test", 80) }
        rescue Timeout::Error
          puts "timeout #{elapsed.call < 1}"
        end
        puts "ticked #{ticks > 10}"
        begin
          Addrinfo.getaddrinfo("slow.test", 80, timeout: 0.2)
        rescue Socket::ResolutionError => e
          puts "kw #{e.error_code == Socket::EAI_AGAIN} #{e.message}"
        rescue IO::TimeoutError => e # Ruby 4.0
          puts "kw #{e.message}"
        end
        th = Thread.new { Addrinfo.tcp("slow.test", 80) }
        sleep 0.2
        th.kill
        puts "killed #{!th.join(1).nil?}"
        puts "still works #{Addrinfo.tcp("localhost", 80).inspect}"
        puts "total #{elapsed.call < 2.5}"
      RUBY
      lib = File.expand_path("../lib", __dir__)
      out, err, status = Open3.capture3({ "LD_PRELOAD" => shim }, RbConfig.ruby, "-I", lib, "-rsocket_rs", "-e", script)
      assert status.success?, err
      assert_equal <<~OUT, out
        timeout true
        ticked true
        #{RUBY_VERSION >= "4.0" ? "kw user specified timeout for slow.test port 80" : "kw true getaddrinfo: Temporary failure in name resolution"}
        killed true
        still works #<Addrinfo: 127.0.0.1:80 TCP (localhost)>
        total true
      OUT
    end
  end
end
