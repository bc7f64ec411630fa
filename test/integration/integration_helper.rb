# frozen_string_literal: true

require "minitest/autorun"
require "open3"
require "rbconfig"

# Integration tests run real libraries in a child Ruby process that requires
# socket_rs first (SOCKET_IMPL=stock: the stock extension, to show the same
# test passes there) and checks that the stock socket.so was never loaded.
module Integration
  LIB = File.expand_path("../../lib", __dir__)

  CHILD_PRELUDE = <<~'RUBY'
    $stdout.sync = true
    if ENV["SOCKET_IMPL"] == "stock"
      require "socket"
    else
      require "socket_rs"
      at_exit do
        stock = $LOADED_FEATURES.select { |f| f.end_with?("/socket.so") }
        abort "stock socket.so was loaded: #{stock.inspect}" unless stock.empty?
      end
    end
    def check(label, got, want)
      if got == want
        puts "ok #{label}"
      else
        puts "FAIL #{label}: expected #{want.inspect}, got #{got.inspect}"
      end
    end
  RUBY

  # Runs `code` in a child; returns its stdout. Fails the test on a non-zero
  # exit or any "FAIL" line. `timeout` bounds a hang.
  def run_child(code, timeout: 60)
    out, err, st = Open3.capture3("timeout", timeout.to_s, RbConfig.ruby, "-I", LIB, "-e", CHILD_PRELUDE + code)
    assert st.success?, "child failed (#{st.exitstatus}):\n#{out}\n#{err}"
    fails = out.lines.grep(/\AFAIL /)
    assert_empty fails, fails.join
    out
  end

  # Waits up to 10 s for a server process to answer (the block is true).
  def wait_for_server(name)
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + 10
    until yield
      raise "#{name} did not start" if Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline

      sleep 0.05
    end
  end

  # Stops a server process started by a test (gone already is fine).
  def stop(pid)
    Process.kill(:TERM, pid)
    Process.wait(pid)
  rescue Errno::ESRCH, Errno::ECHILD
    nil
  end

  # A free TCP port on 127.0.0.1 (bound and closed again by the stock-free child).
  def self.free_port
    out, = Open3.capture3(RbConfig.ruby, "-rsocket", "-e", "s = TCPServer.new('127.0.0.1', 0); print s.addr[1]; s.close")
    Integer(out)
  end
end

Minitest::Test.include(Integration)
