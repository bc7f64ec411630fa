# frozen_string_literal: true

require_relative "reliability_helper"

# Open/close cycles keep the descriptor count and RSS flat.
class LeaksTest < Minitest::Test
  CYCLES = Reliability.pick(20_000, 100_000)

  def cycle(n)
    n.times do
      a, b = Socket.pair(:UNIX, :STREAM)
      a.send("x", 0)
      b.recv(1)
      a.close
      b.close
      begin
        Socket.new(:INET, :STREAM, 9999)
      rescue Errno::EINVAL
        nil
      end
    end
  end

  def test_open_close_cycles_keep_fds_and_rss_flat
    cycle(2_000) # warm up allocators
    GC.start
    fds = open_fds.size
    rss = rss_kib
    cycle(CYCLES)
    GC.start
    assert_equal fds, open_fds.size
    grew = rss_kib - rss
    assert_operator grew, :<, 8 * 1024, "RSS grew by #{grew} KiB over #{CYCLES} cycles"
    report "leaks: #{CYCLES} socketpair cycles and failed Socket.new calls, fds flat, RSS +#{grew} KiB"
  end

  OBJECTS = Reliability.pick(100_000, 1_000_000)

  def churn_objects(n)
    n.times do |i|
      ai = Addrinfo.tcp("127.0.0.1", i & 0xffff)
      ai.ip_port
      opt = Socket::Option.int(:INET, :SOCKET, :KEEPALIVE, i)
      opt.int
      Socket::Option.linger(true, i & 0xff).linger
    end
  end

  def test_addrinfo_and_option_objects_keep_rss_flat
    churn_objects(20_000)
    GC.start
    rss = rss_kib
    t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    churn_objects(OBJECTS)
    took = Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0
    GC.start
    grew = rss_kib - rss
    assert_operator grew, :<, 16 * 1024, "RSS grew by #{grew} KiB over #{OBJECTS} objects of each kind"
    report "leaks: #{OBJECTS} Addrinfo.tcp + #{2 * OBJECTS} Socket::Option objects created and dropped, " \
           "RSS +#{grew} KiB, #{took.round(1)} s"
  end

  def test_tcp_open_close_cycles_keep_fds_flat
    n = Reliability.pick(2_000, 20_000)
    server = TCPServer.new("127.0.0.1", 0)
    port = server.local_address.ip_port
    GC.start
    fds = open_fds.size
    rss = rss_kib
    n.times do
      c = TCPSocket.new("127.0.0.1", port)
      s = server.accept
      c.write("x")
      s.read(1)
      # RST on close: 20,000 TIME_WAIT entries would exhaust ephemeral ports.
      c.setsockopt(Socket::SOL_SOCKET, Socket::SO_LINGER, [1, 0].pack("ii"))
      c.close
      s.close
    end
    server.close
    GC.start
    assert_equal fds - 1, open_fds.size
    report "leaks: #{n} TCP connect/accept/close cycles, fds flat, RSS +#{rss_kib - rss} KiB"
  end
end
