# frozen_string_literal: true

require_relative "reliability_helper"

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

  def test_unix_echo_under_concurrent_clients
    dir = Dir.mktmpdir("socket_rs_load")
    path = File.join(dir, "echo.sock")
    before = open_fds
    server = UNIXServer.new(path)
    srv = echo_server(server)
    t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    results = Array.new(CLIENTS) { |id| Thread.new { run_client(-> { UNIXSocket.new(path) }, id) } }.map { |t| t.join(120).value }
    took = Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0
    results.each { |sent, got| assert_equal sent, got, "echoed bytes differ" }
    server.close
    srv.join(5)
    sleep 0.05 while Thread.list.size > 1 && Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0 < took + 5
    GC.start
    assert_equal before, open_fds, "descriptors left open"
    report "UNIX echo: #{CLIENTS} clients x #{MESSAGES} messages, all checksums equal, #{took.round(2)} s"
  ensure
    FileUtils.rm_rf(dir)
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
