# frozen_string_literal: true

require_relative "reliability_helper"

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
    # Fill @full's send buffer so the next send blocks.
    loop { @full.write_nonblock("x" * 65_536) }
  rescue IO::WaitWritable
    nil
  end

  def teardown
    [@server, @a, @b, @full, @peer].each { |s| s.close unless s.closed? }
    FileUtils.rm_rf(@dir)
  end

  def blocking_calls
    {
      "recv" => -> { @a.recv(10) },
      "UNIXSocket#recvfrom" => -> { UNIXSocket.for_fd(@a.fileno).tap { |s| s.autoclose = false }.recvfrom(10) },
      "accept" => -> { @server.accept },
      "sysaccept" => -> { @server.sysaccept },
      "send into a full buffer" => -> { @full.send("y" * 65_536, 0) }
    }
  end

  def test_kill_raise_and_timeout_end_every_blocking_call
    checked = 0
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
    end
    # The process is healthy afterwards: a round trip still works.
    @b.send("alive", 0)
    assert_equal "alive", @a.recv(10)
    report "interrupts: #{checked} blocking calls x (kill, raise, timeout) each ended < #{(LIMIT * 1000).to_i} ms"
  end

  def test_close_from_another_thread_raises_ioerror
    { "recv" => [@a, -> { @a.recv(10) }], "accept" => [@server, -> { @server.accept }],
      "send" => [@full, -> { @full.send("y" * 65_536, 0) }] }.each do |name, (sock, call)|
      err = nil
      th = Thread.new do
        call.call
      rescue IOError => e
        err = e
      end
      sleep 0.005 until th.status == "sleep"
      sock.close
      th.join(2)
      assert_instance_of IOError, err, name
    end
  end
end
