# frozen_string_literal: true

require_relative "integration_helper"
require "tmpdir"

# redis-rb (Debian ruby-redis) against a redis-server started on loopback.
class RedisIntegrationTest < Minitest::Test
  def start_redis(port, dir)
    pid = spawn("redis-server", "--port", port.to_s, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", dir, out: File::NULL, err: File::NULL)
    wait_for_server("redis-server") { system("redis-cli", "-p", port.to_s, "ping", out: File::NULL, err: File::NULL) }
    pid
  end

  def test_set_get_pipelining_and_reconnect
    port = Integration.free_port
    Dir.mktmpdir do |dir|
      pid = start_redis(port, dir)
      restart = File.join(dir, "restart")
      watcher = Thread.new do
        sleep 0.05 until File.exist?(restart)
        stop(pid)
        pid = start_redis(port, dir)
        File.write(File.join(dir, "restarted"), "1")
      end
      run_child(<<~RUBY, timeout: 120)
        require "redis"
        r = Redis.new(host: "127.0.0.1", port: #{port}, reconnect_attempts: 10)
        1000.times { |i| r.set("key:\#{i}", "value \#{i}") }
        check "get", r.get("key:999"), "value 999"
        check "mget", r.mget("key:1", "key:2"), ["value 1", "value 2"]
        replies = r.pipelined { |p| 500.times { |i| p.incr("counter") } }
        check "pipelined", replies.last, 500
        big = "b" * 1_000_000
        r.set("big", big)
        check "1 MB value", r.get("big").bytesize, big.bytesize
        File.write(#{File.join(dir, "restart").inspect}, "1")
        sleep 0.05 until File.exist?(#{File.join(dir, "restarted").inspect})
        check "after restart", (r.set("again", "yes"); r.get("again")), "yes"
        r.close
      RUBY
      watcher.join(30)
      stop(pid)
    end
  end
end
