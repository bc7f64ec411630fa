# frozen_string_literal: true

require_relative "integration_helper"
require "tmpdir"

# dalli (Debian ruby-dalli) against a memcached started on loopback.
class DalliIntegrationTest < Minitest::Test
  def start_memcached(port)
    pid = spawn("memcached", "-l", "127.0.0.1", "-p", port.to_s, "-U", "0", "-u", "root", out: File::NULL,
                                                                                         err: File::NULL)
    wait_for_server("memcached") do
      system(RbConfig.ruby, "-rsocket", "-e", "TCPSocket.new('127.0.0.1', #{port}).close", err: File::NULL)
    end
    pid
  end

  def test_set_get_many_keys_and_reconnect
    port = Integration.free_port
    pid = start_memcached(port)
    dir = Dir.mktmpdir
    watcher = Thread.new do
      sleep 0.05 until File.exist?(File.join(dir, "restart"))
      stop(pid)
      pid = start_memcached(port)
      File.write(File.join(dir, "restarted"), "1")
    end
    run_child(<<~RUBY, timeout: 120)
      require "dalli"
      Dalli.logger.level = Logger::ERROR
      dc = Dalli::Client.new("127.0.0.1:#{port}", socket_timeout: 2, down_retry_delay: 0.1)
      500.times { |i| dc.set("k\#{i}", { "n" => i }) }
      check "get", dc.get("k499"), { "n" => 499 }
      check "get_multi", dc.get_multi("k1", "k2").values, [{ "n" => 1 }, { "n" => 2 }]
      check "incr", (dc.set("c", 0, 0, raw: true); 10.times { dc.incr("c") }; dc.get("c", raw: true).to_i), 10
      File.write(#{File.join(dir, "restart").inspect}, "1")
      sleep 0.05 until File.exist?(#{File.join(dir, "restarted").inspect})
      value = nil
      20.times do
        begin
          dc.set("again", "yes")
          value = dc.get("again")
          break if value
        rescue Dalli::RingError, Dalli::NetworkError
          sleep 0.1
        end
      end
      check "after restart", value, "yes"
      dc.close
    RUBY
    watcher.join(30)
  ensure
    stop(pid) if pid
    FileUtils.rm_rf(dir) if dir
  end
end
