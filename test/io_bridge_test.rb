# frozen_string_literal: true

require "test_helper"

# The IO bridge: waits release the GVL, are interruptible, notice a close
# from another thread, and go through a fiber scheduler when one is set.
class IoBridgeTest < Minitest::Test
  def setup
    @a, @b = Socket.pair(:UNIX, :STREAM)
  end

  def teardown
    [@a, @b].each { |s| s.close unless s.closed? }
  end

  def test_other_threads_run_while_recv_waits
    counter = 0
    waiter = Thread.new { @a.recv(10) }
    worker = Thread.new { 200.times { counter += 1; Thread.pass } }
    worker.join(5)
    assert_equal 200, counter
    @b.send("done", 0)
    assert_equal "done", waiter.value
  end

  def test_thread_kill_ends_a_blocked_recv_quickly
    th, took = time_to_interrupt(->(t) { t.kill }) { @a.recv(10) }
    refute th.alive?
    assert_operator took, :<, 0.1
  end

  def test_thread_raise_ends_a_blocked_recv_quickly
    err = nil
    ready = Queue.new
    th = Thread.new do
      ready << 1
      @a.recv(10)
    rescue => e
      err = e
    end
    ready.pop
    sleep 0.01 until th.status == "sleep"
    t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    th.raise(ArgumentError, "wake up")
    th.join(2)
    assert_operator Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0, :<, 0.1
    assert_instance_of ArgumentError, err
    assert_equal "wake up", err.message
  end

  def test_timeout_interrupts_a_blocked_recv
    t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    assert_raises(Timeout::Error) { Timeout.timeout(0.05) { @a.recv(10) } }
    assert_operator Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0, :<, 0.15
    # The socket still works afterwards.
    @b.send("ok", 0)
    assert_equal "ok", @a.recv(10)
  end

  def test_close_from_another_thread_raises_ioerror_in_the_waiter
    err = nil
    th = Thread.new do
      @a.recv(10)
    rescue IOError => e
      err = e
    end
    sleep 0.01 until th.status == "sleep"
    @a.close
    th.join(2)
    assert_instance_of IOError, err
    assert_equal "stream closed in another thread", err.message
  end

  def test_send_into_a_full_buffer_waits_then_finishes
    @a.setsockopt(Socket::SOL_SOCKET, Socket::SO_SNDBUF, [4096].pack("i")) if @a.respond_to?(:setsockopt)
    chunk = "x" * 65_536
    sent = 0
    writer = Thread.new { 20.times { sent += @a.send(chunk, 0) } }
    received = 0
    received += @b.recv(1 << 20).bytesize while received < 20 * 65_536 && (writer.alive? || received < sent)
    writer.join
    assert_equal sent, received
  end

  # A minimal fiber scheduler that records io_wait calls.
  class RecordingScheduler
    attr_reader :io_waits

    def initialize
      @io_waits = 0
      @readable = {}
      @writable = {}
      @blocked = {}
      @ready = []
    end

    def io_wait(io, events, _timeout)
      @io_waits += 1
      fiber = Fiber.current
      @readable[io] = fiber if events.anybits?(IO::READABLE)
      @writable[io] = fiber if events.anybits?(IO::WRITABLE)
      Fiber.yield
      events
    end

    def kernel_sleep(duration = nil)
      @ready << Fiber.current
      Fiber.yield
      duration
    end

    def block(_blocker, _timeout = nil)
      @blocked[Fiber.current] = true
      Fiber.yield
    end

    def unblock(_blocker, fiber)
      @blocked.delete(fiber)
      @ready << fiber
    end

    def fiber(&block)
      f = Fiber.new(blocking: false, &block)
      f.resume
      f
    end

    def close
      run
    end

    def run
      until @readable.empty? && @writable.empty? && @ready.empty?
        ready, = @ready.shift(@ready.size)
        Array(ready).each(&:resume)
        next if @readable.empty? && @writable.empty?

        r, w, = IO.select(@readable.keys, @writable.keys, nil, 1)
        Array(r).each { |io| @readable.delete(io).resume }
        Array(w).each { |io| @writable.delete(io)&.resume }
      end
    end
  end

  def test_waits_go_through_the_fiber_scheduler
    scheduler = RecordingScheduler.new
    got = nil
    Thread.new do
      Fiber.set_scheduler(scheduler)
      Fiber.schedule { got = @a.recv(10) }
      Fiber.schedule { @b.send("fiber", 0) }
    end.join(5)
    assert_equal "fiber", got
    assert_operator scheduler.io_waits, :>=, 1
  end
end
