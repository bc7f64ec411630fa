# frozen_string_literal: true

require_relative "integration_helper"

# async (Debian ruby-async): a fiber-scheduler echo server and clients, so
# every wait goes through the scheduler.
class AsyncIntegrationTest < Minitest::Test
  def test_echo_server_and_clients_on_the_fiber_scheduler
    # Debian's async needs nio4r, a C extension built for the system Ruby only.
    _, _, st = Open3.capture3(RbConfig.ruby, "-e", 'require "async"')
    skip "async (nio4r) is not built for Ruby #{RUBY_VERSION} here" unless st.success?

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
end
