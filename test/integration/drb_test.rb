# frozen_string_literal: true

require_relative "integration_helper"

# DRb, unchanged, over UNIX sockets (drbunix://).
class DrbIntegrationTest < Minitest::Test
  def test_drbunix_round_trips
    out = run_child(<<~'RUBY')
      require "drb/drb"
      require "drb/unix"
      require "tmpdir"
      Dir.mktmpdir do |dir|
        uri = "drbunix:#{dir}/drb.sock"
        front = Object.new
        def front.echo(x) = x
        def front.sum(*xs) = xs.sum
        DRb.start_service(uri, front)
        remote = DRbObject.new_with_uri(uri)
        check "string", remote.echo("héllo"), "héllo"
        check "array", remote.echo([1, { a: :b }, nil]), [1, { a: :b }, nil]
        check "sum", remote.sum(*1..100), 5050
        big = "x" * 1_000_000
        check "1 MB", remote.echo(big).bytesize, big.bytesize
        threads = 8.times.map { |i| Thread.new { remote.echo(i) } }
        check "threads", threads.map(&:value), (0..7).to_a
        DRb.stop_service
      end
    RUBY
    assert_match(/ok threads/, out)
  end
end
