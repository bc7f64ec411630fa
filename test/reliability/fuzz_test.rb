# frozen_string_literal: true

require_relative "reliability_helper"
require "open3"
require "rbconfig"
require_relative "../support/prerequisite"

# Differential bad-input fuzz: fuzz_child.rb calls every public method of
# every class with random arguments from a seeded generator (part of the
# calls under GC.stress), once under stock and once under socket_rs with the
# same seed, each in a child process under the no_dns shim (nothing resolved
# off the host). No crash, no panic, no hang, and each call ends the same way
# (exception class, or result class and, when deterministic, value).
class FuzzTest < Minitest::Test
  PER_METHOD = Reliability.pick(40, 400)
  SEED = Integer(ENV.fetch("FUZZ_SEED", "20261125"))
  CHILD = File.expand_path("fuzz_child.rb", __dir__)
  LIB = File.expand_path("../../lib", __dir__)

  def child(impl, dir, env, *args)
    cmd = [RbConfig.ruby]
    cmd += ["-I", LIB] unless impl == "stock"
    Open3.capture3(env.merge("SOCKET_IMPL" => impl), *cmd, CHILD, *args, chdir: dir)
  end

  def test_random_arguments_end_the_same_way_as_stock
    Dir.mktmpdir("socket_rs_fuzz") do |dir|
      shim = build_preload_shim("no_dns", dir)
      env = { "LD_PRELOAD" => shim }
      list, err, st = child("stock", dir, env, "list")
      assert st.success?, err
      methods_file = File.join(dir, "methods.txt")
      File.write(methods_file, list)
      t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      outs = %w[stock rs].map do |impl|
        wd = File.join(dir, impl)
        Dir.mkdir(wd)
        out, err, st = child(impl, wd, env, "run", SEED.to_s, PER_METHOD.to_s, methods_file)
        unless st.success?
          # Keep what tells the crash apart: the last call completed and the
          # VM's report without its memory map.
          report_lines = err.lines.reject { |l| l.match?(/\A\h+-\h+ |deprecated/) }.join
          flunk "#{impl} child died: #{st.inspect}, after: #{out.lines.last&.slice(0, 300)}\n#{report_lines[0, 6000]}"
        end
        refute_match(/panicked|\[BUG\]/, err, "#{impl}: panic or VM bug")
        out.lines(chomp: true)
      end
      took = Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0
      stock, ours = outs
      assert_equal stock.size, ours.size, "children made different numbers of calls"
      hangs = ours.count { |l| l.end_with?("=> HANG") }
      assert_equal 0, hangs, "calls that hung: #{ours.grep(/=> HANG/).first(5)}"
      mismatches = stock.zip(ours).reject { |a, b| a == b }
      assert_empty mismatches.first(20).map { |a, b| "stock: #{a}\n   rs: #{b}" }.join("\n"), "mismatches with stock"
      methods = list.lines.size
      raised = ours.count { |l| l.include?("=> raise ") }
      report "fuzz: #{ours.size} random calls over #{methods} public methods (#{raised} raised, " \
             "1 in 40 under GC.stress), same outcome as stock for all, no crash, no panic, no hang, " \
             "#{took.round(1)} s for both children"
    end
  end
end
