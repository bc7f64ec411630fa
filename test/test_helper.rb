# frozen_string_literal: true

# Loads socket_rs (or, with SOCKET_IMPL=stock, the stock extension, so every
# test can be checked against the oracle) and minitest.
if ENV["SOCKET_IMPL"] == "stock"
  require "socket"
else
  require "socket_rs"
end
require "minitest/autorun"
require_relative "support/prerequisite"
require "timeout"
require "tmpdir"
require "fileutils"

module SocketTestHelpers
  # A UNIXServer at @path in a fresh directory (@dir), removed afterwards:
  # call from setup and teardown.
  def start_unix_server(name)
    @dir = Dir.mktmpdir("socket_rs")
    @path = File.join(@dir, name)
    @server = UNIXServer.new(@path)
  end

  def stop_unix_server
    @server.close unless @server.closed?
    FileUtils.rm_rf(@dir)
  end

  # Open descriptors of this process, for leak checks.
  def open_fds
    Dir.children("/proc/self/fd").map(&:to_i).sort
  end

  # Asserts the block leaves the set of open fds unchanged.
  def assert_no_fd_leak
    GC.start
    before = open_fds
    yield
    GC.start
    assert_equal before, open_fds, "descriptors leaked"
  end

  # Runs the block in a thread and returns [thread, seconds it took to end]
  # after `interrupt` is applied to it once it is blocked.
  def time_to_interrupt(interrupt)
    ready = Queue.new
    th = Thread.new do
      ready << true
      yield
    rescue Exception # rubocop:disable Lint/RescueException
      nil
    end
    ready.pop
    # A call that did not block ends the thread: no endless wait then.
    sleep 0.005 until th.status == "sleep" || !th.alive?
    t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    interrupt.call(th)
    th.join(2)
    [th, Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0]
  end
end

Minitest::Test.include(SocketTestHelpers)
