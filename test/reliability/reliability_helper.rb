# frozen_string_literal: true

require "test_helper"
require "zlib"
require "tmpdir"

# Two profiles: quick (bin/test, CI: well under a minute) and long
# (`rake stress`, STRESS=1). Every loop is bounded in count and time.
module Reliability
  LONG = ENV["STRESS"] == "1"

  def self.pick(quick, long)
    LONG ? long : quick
  end

  # Resident set size of this process in KiB.
  def rss_kib
    File.read("/proc/self/status")[/^VmRSS:\s+(\d+)/, 1].to_i
  end

  # A message of `size` deterministic bytes.
  def payload(seed, size)
    Random.new(seed).bytes(size)
  end

  # Prints a figure the README's reliability section quotes.
  def report(line)
    $stdout.puts "  [reliability] #{line}"
  end
end

Minitest::Test.include(Reliability)
