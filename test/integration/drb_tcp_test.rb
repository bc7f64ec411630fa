# frozen_string_literal: true

require_relative "integration_helper"

# DRb, unchanged, over TCP (druby://).
class DrbTcpIntegrationTest < Minitest::Test
  def test_druby_round_trips
    run_child(<<~'RUBY')
      require "drb/drb"
      front = Object.new
      def front.echo(x) = x
      def front.call_back(obj) = obj.value * 2
      server = DRb.start_service("druby://127.0.0.1:0", front)
      remote = DRbObject.new_with_uri(server.uri)
      check "echo", remote.echo({ list: [1, 2.5, "three"] }), { list: [1, 2.5, "three"] }
      cb = Object.new
      cb.extend(DRb::DRbUndumped)
      def cb.value = 21
      check "callback through the client's own service", remote.call_back(cb), 42
      check "threads", 10.times.map { |i| Thread.new { remote.echo(i * i) } }.map(&:value), (0..9).map { |i| i * i }
      DRb.stop_service
    RUBY
  end
end
