# frozen_string_literal: true

require_relative "reliability_helper"
require "io/wait"

# A thread-per-client echo server under many concurrent clients: every byte
# accounted for by checksum, no deadlock, no descriptor left open.
class LoadTest < Minitest::Test
  CLIENTS = Reliability.pick(50, 200)
  MESSAGES = Reliability.pick(100, 1_000)

  def echo_server(server)
    Thread.new do
      loop do
        conn = server.accept
        Thread.new(conn) do |c|
          while (len = c.read(4))
            c.write(len, c.read(len.unpack1("N")))
          end
          c.close
        end
      rescue IOError
        break
      end
    end
  end

  def run_client(connect, id)
    sock = connect.call
    sent = Zlib.crc32("")
    got = Zlib.crc32("")
    MESSAGES.times do |i|
      msg = payload(id * 1_000_003 + i, 1 + ((id * 31 + i * 17) % 2048))
      sent = Zlib.crc32(msg, sent)
      sock.write([msg.bytesize].pack("N"), msg)
      len = sock.read(4).unpack1("N")
      got = Zlib.crc32(sock.read(len), got)
    end
    sock.close
    [sent, got]
  end

  # Runs CLIENTS concurrent clients against `server` (closed afterwards) and
  # checks every checksum, that the server thread ends and no fd stays open.
  def run_load(kind, before, server, connect)
    threads_before = Thread.list
    srv = echo_server(server)
    t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    threads = Array.new(CLIENTS) { |id| Thread.new { run_client(connect, id) } }
    results = threads.map { |t| t.join(Reliability.pick(60, 300)) ? t.value : flunk("#{kind}: client deadlocked") }
    took = Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0
    results.each { |sent, got| assert_equal sent, got, "#{kind}: echoed bytes differ" }
    server.close
    assert srv.join(5), "#{kind}: accept loop did not end"
    sleep 0.01 while (Thread.list - threads_before).any? && Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0 < took + 5
    assert_empty Thread.list - threads_before, "#{kind}: server threads left"
    GC.start
    assert_equal before, open_fds, "#{kind}: descriptors left open"
    bytes = (0...CLIENTS).sum { |id| (0...MESSAGES).sum { |i| 1 + ((id * 31 + i * 17) % 2048) } }
    report "#{kind} echo: #{CLIENTS} clients x #{MESSAGES} messages (#{(bytes / 1_048_576.0).round(1)} MiB each way), " \
           "all checksums equal, no fd left, #{took.round(2)} s"
  end

  def test_unix_echo_under_concurrent_clients
    dir = Dir.mktmpdir("socket_rs_load")
    path = File.join(dir, "echo.sock")
    before = open_fds
    run_load("UNIX", before, UNIXServer.new(path), -> { UNIXSocket.new(path) })
  ensure
    FileUtils.rm_rf(dir)
  end

  def test_tcp_echo_under_concurrent_clients
    before = open_fds
    server = TCPServer.new("127.0.0.1", 0)
    port = server.local_address.ip_port
    run_load("TCP", before, server, -> { TCPSocket.new("127.0.0.1", port) })
  end

  UDP_COUNT = Reliability.pick(10_000, 100_000)
  WINDOW = 64

  # UDP echo with a window of WINDOW datagrams in flight: each carries its
  # sequence number; every echo is compared byte for byte with what was sent.
  # A datagram the kernel drops would be resent after a 1 s silence and
  # counted, so nothing is lost silently.
  def udp_echo(family, host)
    before = open_fds
    server = UDPSocket.new(family)
    server.bind(host, 0)
    srv = Thread.new do
      loop do
        msg, from = server.recvfrom(2048)
        server.send(msg, 0, from[3], from[1])
      end
    rescue IOError
      nil
    end
    client = UDPSocket.new(family)
    client.connect(host, server.local_address.ip_port)
    outstanding = {}
    next_seq = received = resent = 0
    t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    while received < UDP_COUNT
      while next_seq < UDP_COUNT && outstanding.size < WINDOW
        msg = [next_seq].pack("N") + payload(next_seq, next_seq % 1400)
        outstanding[next_seq] = msg
        client.send(msg, 0)
        next_seq += 1
      end
      if client.wait_readable(1)
        msg = client.recv(2048)
        sent = outstanding.delete(msg.unpack1("N"))
        next unless sent # a duplicate after a resend

        assert_equal sent, msg, "datagram corrupted"
        received += 1
      else
        outstanding.each_value { |m| client.send(m, 0) }
        resent += outstanding.size
      end
      flunk "UDP #{host}: stalled" if Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0 > 300
    end
    took = Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0
    server.close
    client.close
    assert srv.join(5)
    GC.start
    assert_equal before, open_fds
    assert_equal 0, resent, "datagrams dropped by the kernel and resent"
    report "UDP echo on #{host}: #{UDP_COUNT} datagrams (0-1403 bytes, window #{WINDOW}) echoed intact, " \
           "#{resent} lost, #{took.round(2)} s"
  end

  def test_udp_echo_ipv4
    udp_echo(Socket::AF_INET, "127.0.0.1")
  end

  def test_udp_echo_ipv6
    udp_echo(Socket::AF_INET6, "::1")
  end

  def test_socketpair_datagrams
    count = Reliability.pick(20_000, 100_000)
    a, b = Socket.pair(:UNIX, :DGRAM)
    reader = Thread.new do
      crc = Zlib.crc32("")
      count.times { crc = Zlib.crc32(b.recv(2048), crc) }
      crc
    end
    crc = Zlib.crc32("")
    count.times do |i|
      msg = payload(i, 1 + i % 1500)
      crc = Zlib.crc32(msg, crc)
      a.send(msg, 0)
    end
    assert_equal crc, reader.join(60).value
    report "UNIX datagrams: #{count} sent and received in order, checksum equal"
  ensure
    [a, b].each { |s| s&.close }
  end
end
