# frozen_string_literal: true

require_relative "integration_helper"
require_relative "../support/prerequisite"

# async (Debian ruby-async): a fiber-scheduler echo server and clients, so
# every wait goes through the scheduler. Debian's async needs nio4r, a C
# extension Debian builds for its system Ruby only; on the Rubies bin/rubies
# builds, the same echo runs on the fiber scheduler of that Ruby's own test
# suite (test/fiber/scheduler.rb of its source tree).
class AsyncIntegrationTest < Minitest::Test
  ROOT = File.expand_path("../..", __dir__)

  def async_loads?
    _, _, st = Open3.capture3(RbConfig.ruby, "-e", 'require "async"')
    st.success?
  end

  def test_echo_server_and_clients_on_the_fiber_scheduler
    return echo_on_rubys_test_scheduler unless async_loads?

    run_child(<<~'RUBY', timeout: 60)
      require "async"
      server = TCPServer.new("127.0.0.1", 0)
      port = server.addr[1]
      results = nil
      Async do |task|
        acceptor = task.async do
          loop do
            client = server.accept
            task.async do
              while (line = client.gets)
                client.write(line)
              end
              client.close
            end
          end
        end
        clients = 20.times.map do |i|
          task.async do
            s = TCPSocket.new("127.0.0.1", port)
            got = 10.times.map { |j| s.puts("#{i}-#{j}"); s.gets.chomp }
            s.close
            got
          end
        end
        results = clients.map(&:wait)
        acceptor.stop
      end
      check "all echoed", results, 20.times.map { |i| 10.times.map { |j| "#{i}-#{j}" } }
      server.close
    RUBY
  end

  def echo_on_rubys_test_scheduler
    tree, st = Open3.capture2(File.join(ROOT, "bin", "rubies"), "source", RUBY_VERSION[/\A\d+\.\d+/])
    scheduler = File.join(tree.strip, "test", "fiber", "scheduler.rb")
    require_prerequisite(st.success? && File.exist?(scheduler),
                         "neither async nor a source tree with Ruby's test scheduler for #{RUBY_VERSION}")

    # One scheduler thread per connection: Ruby's test scheduler serves a
    # client and its accepted peer at a time.
    run_child(<<~RUBY, timeout: 60)
      require #{scheduler.inspect}
      server = TCPServer.new("127.0.0.1", 0)
      port = server.addr[1]
      results = Array.new(5)
      5.times do |i|
        Thread.new do
          Fiber.set_scheduler(Scheduler.new)
          Fiber.schedule do
            client = server.accept
            while (line = client.gets)
              client.write(line)
            end
            client.close
          end
          Fiber.schedule do
            s = TCPSocket.new("127.0.0.1", port)
            results[i] = 10.times.map { |j| s.puts("\#{i}-\#{j}"); s.gets.chomp }
            s.close
          end
        end.join
      end
      check "all echoed", results, 5.times.map { |i| 10.times.map { |j| "\#{i}-\#{j}" } }
      server.close
    RUBY
  end
end
