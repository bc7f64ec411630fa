# frozen_string_literal: true

require_relative "reliability_helper"
require "open3"
require "rbconfig"
require_relative "../support/prerequisite"

# Every blocking method ends within 100 ms on Thread#kill, Thread#raise and
# Timeout, and a close from another thread raises IOError in the waiter.
class InterruptsTest < Minitest::Test
  LIMIT = 0.1

  def setup
    @dir = Dir.mktmpdir("socket_rs_int")
    @path = File.join(@dir, "s.sock")
    @server = UNIXServer.new(@path)
    @a, @b = Socket.pair(:UNIX, :STREAM)
    @full, @peer = Socket.pair(:UNIX, :STREAM)
    fill(@full)
    @tcp_server = TCPServer.new("127.0.0.1", 0)
    @port = @tcp_server.local_address.ip_port
    @tcp = TCPSocket.new("127.0.0.1", @port)
    @tcp_peer = @tcp_server.accept
    @tcp_full = TCPSocket.new("127.0.0.1", @port)
    @tcp_full_peer = @tcp_server.accept
    fill(@tcp_full)
    @sock_server = Socket.new(:INET, :STREAM)
    @sock_server.bind(Addrinfo.tcp("127.0.0.1", 0))
    @sock_server.listen(5)
    @udp = UDPSocket.new
    @udp.bind("127.0.0.1", 0)
    @dgram = Socket.new(:INET6, :DGRAM)
    @dgram.bind(Addrinfo.udp("::1", 0))
    @blackhole, @fillers = blackhole_listener
  end

  def teardown
    [@server, @a, @b, @full, @peer, @tcp_server, @tcp, @tcp_peer, @tcp_full, @tcp_full_peer,
     @sock_server, @udp, @dgram, @blackhole, *@fillers].each { |s| s.close if s && !s.closed? }
    FileUtils.rm_rf(@dir)
  end

  # Writes without blocking until the send buffer (and the peer's receive
  # buffer) is full, so the next blocking send waits.
  def fill(sock)
    loop { sock.write_nonblock("x" * 65_536) }
  rescue IO::WaitWritable
    nil
  end

  # A local TCP peer that never answers: a listener on 127.0.0.1 with backlog
  # 0 whose accept queue is filled first, so the kernel drops further SYNs
  # and a connect hangs. Checked, not assumed: the last filler must hang.
  def blackhole_listener
    lst = Socket.new(:INET, :STREAM)
    lst.bind(Addrinfo.tcp("127.0.0.1", 0))
    lst.listen(0)
    fillers = []
    10.times do
      s = Socket.new(:INET, :STREAM)
      fillers << s
      begin
        s.connect_nonblock(lst.local_address)
      rescue IO::WaitWritable
        return [lst, fillers] unless s.wait_writable(0.2)
      end
    end
    flunk "could not build a blackholed listener: connects keep completing"
  end

  def blocking_calls
    {
      "UNIX recv" => -> { @a.recv(10) },
      "UNIXSocket#recvfrom" => -> { UNIXSocket.for_fd(@a.fileno).tap { |s| s.autoclose = false }.recvfrom(10) },
      "UNIXServer#accept" => -> { @server.accept },
      "UNIXServer#sysaccept" => -> { @server.sysaccept },
      "UNIX send into a full buffer" => -> { @full.send("y" * 65_536, 0) },
      "TCPServer#accept" => -> { @tcp_server.accept },
      "TCPServer#sysaccept" => -> { @tcp_server.sysaccept },
      "Socket#accept" => -> { @sock_server.accept },
      "Socket#sysaccept" => -> { @sock_server.sysaccept },
      "TCP recv" => -> { @tcp.recv(10) },
      "IPSocket#recvfrom (TCP)" => -> { @tcp.recvfrom(10) },
      "UDPSocket#recvfrom" => -> { @udp.recvfrom(10) },
      "Socket#recvfrom (UDP ::1)" => -> { @dgram.recvfrom(10) },
      # TCP send buffers grow (autotuning) and send may write part: loop.
      "TCP send into a full buffer" => -> { loop { @tcp_full.send("y" * 65_536, 0) } },
      "TCP write into a full buffer" => -> { @tcp_full.write("y" * 8_000_000) },
      "Socket#connect to a peer that never answers" => lambda {
        s = Socket.new(:INET, :STREAM)
        begin
          s.connect(@blackhole.local_address)
        ensure
          s.close
        end
      },
      "TCPSocket.new to a peer that never answers" => -> { TCPSocket.new("127.0.0.1", @blackhole.local_address.ip_port).close }
    }
  end

  def test_kill_raise_and_timeout_end_every_blocking_call
    checked = 0
    before = nil
    blocking_calls.each do |name, call|
      th, took = time_to_interrupt(->(t) { t.kill }) { call.call }
      refute th.alive?, "#{name}: still alive after kill"
      assert_operator took, :<, LIMIT, "#{name}: kill took #{took}"

      th, took = time_to_interrupt(->(t) { t.raise(ArgumentError) }) { call.call }
      refute th.alive?, "#{name}: still alive after raise"
      assert_operator took, :<, LIMIT, "#{name}: raise took #{took}"

      t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      assert_raises(Timeout::Error, name) { Timeout.timeout(0.03) { call.call } }
      took = Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0
      assert_operator took, :<, 0.03 + LIMIT, "#{name}: timeout took #{took}"
      checked += 1
      GC.start
      before ||= open_fds.size
    end
    # Interrupted calls leave nothing behind (accept/connect close what they
    # opened) and the process is healthy afterwards: round trips still work.
    GC.start
    assert_equal before, open_fds.size, "descriptors left by interrupted calls"
    @b.send("alive", 0)
    assert_equal "alive", @a.recv(10)
    @tcp_peer.write("tcp alive")
    assert_equal "tcp alive", @tcp.readpartial(20)
    report "interrupts: #{checked} blocking calls x (kill, raise, timeout) each ended < #{(LIMIT * 1000).to_i} ms"
  end

  def test_close_from_another_thread_raises_ioerror
    cases = {
      "UNIX recv" => [@a, -> { @a.recv(10) }], "UNIXServer#accept" => [@server, -> { @server.accept }],
      "UNIX send" => [@full, -> { @full.send("y" * 65_536, 0) }],
      "TCPServer#accept" => [@tcp_server, -> { @tcp_server.accept }],
      "Socket#accept" => [@sock_server, -> { @sock_server.accept }],
      "TCP recvfrom" => [@tcp, -> { @tcp.recvfrom(10) }],
      "TCP send" => [@tcp_full, -> { loop { @tcp_full.send("y" * 65_536, 0) } }],
      "UDPSocket#recvfrom" => [@udp, -> { @udp.recvfrom(10) }],
      "Socket#recvfrom" => [@dgram, -> { @dgram.recvfrom(10) }]
    }
    connecting = Socket.new(:INET, :STREAM)
    cases["Socket#connect"] = [connecting, -> { connecting.connect(@blackhole.local_address) }]
    cases.each do |name, (sock, call)|
      err = nil
      th = Thread.new do
        call.call
      rescue IOError => e
        err = e
      end
      sleep 0.005 until th.status == "sleep" || !th.alive?
      sock.close
      assert th.join(2), "#{name}: waiter still blocked after close"
      assert_instance_of IOError, err, name
    end
    report "close from another thread: #{cases.size} waiters got IOError"
  end

  # getaddrinfo(3) held for 3 s by the LD_PRELOAD shim of
  # test/support/slow_getaddrinfo.c, in a child process.
  # Nothing the kernel handed over is lost to an interrupt: a receiver that
  # lets Thread#raise in only at the blocking call (Thread.handle_interrupt
  # :on_blocking) sees every connection, message and descriptor under a
  # storm of raises (stock drops some: the call completed, then the
  # interrupt check after it raised). Bytes of a stream and accepted
  # descriptors (sysaccept) too.
  def test_interrupt_storm_loses_nothing
    child = File.expand_path("interrupt_storm_child.rb", __dir__)
    lib = File.expand_path("../../lib", __dir__)
    out, err, status = Open3.capture3(RbConfig.ruby, "-I", lib, child, "500")
    assert status.success?, err
    assert_equal "accept lost 0\nrecvmsg lost 0\nrecv lost 0\nsysaccept lost 0\nrecv_io lost 0\n", out
  end

  def test_slow_getaddrinfo_is_interruptible
    skip "socket_rs behaviour beyond stock: stock 3.1 cannot interrupt a getaddrinfo in progress" if ENV["SOCKET_IMPL"] == "stock"
    shim = build_preload_shim("slow_getaddrinfo", @dir)
    script = <<~'RUBY'
      require "timeout"
      now = -> { Process.clock_gettime(Process::CLOCK_MONOTONIC) }
      calls = {
        "Addrinfo.getaddrinfo" => -> { Addrinfo.getaddrinfo("slow.test", 80) },
        "Socket.getaddrinfo" => -> { Socket.getaddrinfo("slow.test", 80) },
        "Addrinfo.tcp" => -> { Addrinfo.tcp("slow.test", 80) },
        "TCPSocket.new" => -> { TCPSocket.new("slow.test", 9) }
      }
      calls.each do |name, call|
        { "kill" => ->(t) { t.kill }, "raise" => ->(t) { t.raise(ArgumentError) } }.each do |how, interrupt|
          th = Thread.new { call.call rescue ArgumentError }
          sleep 0.1
          t0 = now.call
          interrupt.call(th)
          th.join(2)
          puts "#{name} #{how} #{now.call - t0 < 0.1 && !th.alive?}"
        end
        t0 = now.call
        begin
          Timeout.timeout(0.05) { call.call }
        rescue Timeout::Error
          puts "#{name} timeout #{now.call - t0 < 0.15}"
        end
      end
      puts "still works #{Addrinfo.tcp("127.0.0.1", 80).inspect}"
    RUBY
    lib = File.expand_path("../../lib", __dir__)
    out, err, status = Open3.capture3({ "LD_PRELOAD" => shim }, RbConfig.ruby, "-I", lib, "-rsocket_rs", "-e", script)
    assert status.success?, err
    lines = out.lines.map(&:chomp)
    assert_equal 13, lines.size, out
    lines[0, 12].each { |l| assert l.end_with?(" true"), l }
    assert_equal "still works #<Addrinfo: 127.0.0.1:80 TCP>", lines.last
    report "interrupts: 4 resolver calls held in getaddrinfo(3) x (kill, raise, timeout) each ended < 100 ms"
  end
end
