# frozen_string_literal: true

require_relative "reliability_helper"

# Open/close cycles keep the descriptor count and RSS flat.
class LeaksTest < Minitest::Test
  CYCLES = Reliability.pick(20_000, 100_000)

  def cycle(n)
    n.times do
      a, b = Socket.pair(:UNIX, :STREAM)
      a.send("x", 0)
      b.recv(1)
      a.close
      b.close
      begin
        Socket.new(:INET, :STREAM, 9999)
      rescue Errno::EINVAL
        nil
      end
    end
  end

  def test_open_close_cycles_keep_fds_and_rss_flat
    cycle(2_000) # warm up allocators
    GC.start
    fds = open_fds.size
    rss = rss_kib
    cycle(CYCLES)
    GC.start
    assert_equal fds, open_fds.size
    grew = rss_kib - rss
    assert_operator grew, :<, 8 * 1024, "RSS grew by #{grew} KiB over #{CYCLES} cycles"
    report "leaks: #{CYCLES} socketpair cycles and failed Socket.new calls, fds flat, RSS +#{grew} KiB"
  end
end
