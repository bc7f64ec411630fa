# frozen_string_literal: true

require_relative "reliability_helper"
require "open3"
require "rbconfig"

# The safety oracle beside the differential one: lengths_child.rb makes every
# receive call with negative, zero, boundary and huge lengths and every kind
# of outbuf (none, empty, small capacity, frozen, shared, chilled, not a
# String), under stock and under socket_rs. Where stock answers by writing
# past the buffer (CORRUPT: more bytes returned than asked for, Ruby 3.1) or
# by aborting the process ("[BUG] probable buffer overflow", 3.3 and 3.4),
# socket_rs must raise an exception; everywhere else it must end as stock
# does. socket_rs never corrupts and never crashes.
class LengthsTest < Minitest::Test
  CHILD = File.expand_path("lengths_child.rb", __dir__)
  LIB = File.expand_path("../../lib", __dir__)

  # Runs the child from call `first` on, restarting after each call that
  # killed it: idx => outcome.
  def outcomes(impl)
    results = {}
    first = 0
    restarts = 0
    loop do
      cmd = [RbConfig.ruby]
      cmd += ["-I", LIB] unless impl == "stock"
      out, err, status = Open3.capture3({ "SOCKET_IMPL" => impl }, *cmd, CHILD, first.to_s)
      begun = nil
      out.each_line(chomp: true) do |line|
        if (m = line.match(/\Abegin (\d+)\z/))
          begun = Integer(m[1])
        elsif (m = line.match(/\A(\d+) (.*) => (.*)\z/))
          results[Integer(m[1])] = [m[2], m[3]]
          begun = nil
        end
      end
      return [results, restarts] if status.success? && out.end_with?("done\n")

      flunk "#{impl} child failed before any call: #{err[0, 2000]}" if begun.nil?
      bug = err[/\[BUG\][^\n]*/] || "killed by #{status.termsig ? Signal.signame(status.termsig) : status.exitstatus}"
      results[begun] = ["call #{begun}", "CRASH #{bug}"]
      restarts += 1
      flunk "#{impl}: more than 200 crashes" if restarts > 200
      first = begun + 1
    end
  end

  def test_no_length_writes_past_a_buffer
    stock, stock_crashes = outcomes("stock")
    ours, our_crashes = outcomes("socket_rs")
    assert_equal 0, our_crashes, "socket_rs crashed: #{ours.values.grep(/CRASH/).first(3)}"
    assert_equal stock.keys.sort, ours.keys.sort
    unsafe = 0
    mismatches = []
    ours.keys.sort.each do |idx|
      label, rs = ours[idx]
      _, st = stock[idx]
      refute rs.start_with?("CORRUPT"), "socket_rs wrote past a buffer: #{label} => #{rs}"
      if st.start_with?("CORRUPT", "CRASH")
        unsafe += 1
        assert_equal "raise ArgumentError", rs, "#{label}: stock #{st}; socket_rs must raise"
      elsif st != rs
        mismatches << "#{label}: stock #{st}, socket_rs #{rs}"
      end
    end
    assert_empty mismatches.first(20).join("\n"), "differs from stock"
    report "lengths: #{ours.size} receive calls (negative, zero, boundary, huge lengths; none, empty, " \
           "small, frozen, shared, chilled, foreign outbufs): stock wrote past the buffer or aborted " \
           "on #{unsafe} (#{stock_crashes} aborts), socket_rs raised ArgumentError on each and matches " \
           "stock on the other #{ours.size - unsafe}"
  end
end
