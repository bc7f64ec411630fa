# frozen_string_literal: true

# The benchmark driver (bench/run.rb) in BENCH_QUICK mode on a few cases: the
# output format, the report files, and that its correctness checks and the
# "n/a in socket_rs yet" skipping work. Speed itself is never asserted here.
require "minitest/autorun"
require "open3"
require "rbconfig"
require "tmpdir"
require "rexml/document"
require_relative "support/prerequisite"

class BenchTest < Minitest::Test
  ROOT = File.expand_path("..", __dir__)
  RUN = File.join(ROOT, "bench", "run.rb")

  # Extra cases: one whose expected value is wrong only for socket_rs (what a
  # fast but wrong implementation looks like), one wrong for both (a broken
  # harness), one that dies under socket_rs, one that calls a method
  # socket_rs lacks.
  EXTRA_CASES = <<~RUBY
    module Bench
      bench "bench-test wrong for socket_rs" do
        expect { defined?(SocketRs::NATIVE_LOADED) ? :wrong_on_purpose : nil }
        run { Socket.new(Socket::AF_INET, Socket::SOCK_STREAM, 0).close }
      end

      bench "bench-test wrong for both" do
        expect :wrong_on_purpose
        run { Socket.new(Socket::AF_INET, Socket::SOCK_STREAM, 0).close }
      end

      bench "bench-test crash in socket_rs" do
        expect nil
        run { defined?(SocketRs::NATIVE_LOADED) ? Process.kill(:KILL, Process.pid) : nil }
      end

      bench "bench-test missing in socket_rs" do
        expect 1
        run { defined?(SocketRs::NATIVE_LOADED) ? Socket.no_such_method_for_bench_test : 1 }
      end
    end
  RUBY

  def run_bench(only, extra: nil)
    Dir.mktmpdir("socket_rs_bench_test") do |dir|
      env = { "BENCH_QUICK" => "1", "BENCH_ONLY" => only, "BENCH_OUT" => dir }
      if extra
        File.write(File.join(dir, "extra_cases.rb"), extra)
        env["BENCH_CASES"] = File.join(dir, "extra_cases.rb")
      end
      out, err, status = Open3.capture3(env, RbConfig.ruby, RUN, chdir: ROOT)
      results = File.exist?(File.join(dir, "RESULTS.md")) ? File.read(File.join(dir, "RESULTS.md")) : nil
      svg = File.exist?(File.join(dir, "ratios.svg")) ? File.read(File.join(dir, "ratios.svg")) : nil
      yield out, err, status, results, svg
    end
  end

  def test_measured_case_reports_rates_ratio_raw_and_files
    run_bench('\ASocket\.new\+close\z') do |out, err, status, results, svg|
      assert status.success?, "driver failed:\n#{out}\n#{err}"
      row = out.lines.find { |l| l.start_with?("| Socket.new+close |") }
      refute_nil row, out
      cells = row.split("|").map(&:strip).drop(1)
      assert_equal "ops/s", cells[1]
      assert_match(/\A[\d,]+\z/, cells[2], "stock ops/s")
      assert_match(/\A[\d,]+\z/, cells[3], "socket_rs ops/s")
      assert_match(/\A\*\*\d+\.\d\d\*\*\z/, cells[4], "ratio")
      assert_match(/\A\d+\.\d\d-\d+\.\d\d\z/, cells[5], "pair spread")
      assert_match(/\A[\d,]+\z/, cells[6], "raw ops/s")
      assert_match(/\A\d+\.\d\d\z/, cells[7], "stock/raw")
      assert_match(/\A\d+\.\d\d\z/, cells[8], "socket_rs/raw")
      assert_match(/\Aworst ratio \d+\.\d\d \(Socket\.new\+close\), geometric mean \d+\.\d\d over 1 cases; 0 n\/a in socket_rs yet, 0 failed\n\z/,
                   out.lines.last)

      assert_includes results, row.strip
      assert_includes results, "CPUs, "
      assert_includes results, out.lines.last.strip
      doc = REXML::Document.new(svg)
      assert_equal "svg", doc.root.name
      assert(REXML::XPath.match(doc, "//text").any? { |t| t.text == "Socket.new+close" })
      assert_equal 1, REXML::XPath.match(doc, "//line").size, "the line at 1.0"
    end
  end

  def test_syscall_counts
    require_prerequisite(system("strace", "-V", out: File::NULL, err: File::NULL), "strace is not installed")

    out, err, status = Open3.capture3({ "BENCH_SYSCALLS" => "1", "BENCH_ONLY" => '\ASocket\.new\+close\z',
                                        "BENCH_OUT" => Dir.tmpdir }, RbConfig.ruby, RUN, chdir: ROOT)
    assert status.success?, "#{out}\n#{err}"
    row = out.lines.find { |l| l.start_with?("| Socket.new+close |") }
    _, stock, rs = row.split("|").map(&:strip).drop(1)
    # Both make exactly one socket(2) and one close(2) per operation.
    [stock, rs].each do |cell|
      assert_match(/\A\*\*\d+\.\d\d\*\*: /, cell)
      assert_match(/\bsocket 1\b/, cell)
      assert_match(/\bclose 1\b/, cell)
    end
  end

  def test_checks_fail_loudly_and_missing_methods_are_na
    run_bench("bench-test", extra: EXTRA_CASES) do |out, err, status, results, _svg|
      assert_equal 1, status.exitstatus, "a failed check must fail the run:\n#{out}\n#{err}"
      wrong = out.lines.find { |l| l.start_with?("| bench-test wrong for socket_rs |") }
      assert_match(/\*\*FAIL\*\*: socket_rs check failed: result: expected :wrong_on_purpose, got nil/, wrong)
      both = out.lines.find { |l| l.start_with?("| bench-test wrong for both |") }
      assert_match(/\*\*ERROR\*\*: harness problem, stock fail: result: expected :wrong_on_purpose, got nil/, both)
      missing = out.lines.find { |l| l.start_with?("| bench-test missing in socket_rs |") }
      assert_includes missing, "| n/a in socket_rs yet |"
      crash = out.lines.find { |l| l.start_with?("| bench-test crash in socket_rs |") }
      assert_match(/\*\*FAIL\*\*: socket_rs error: exited without answering/, crash)
      assert_equal "no case measured; 1 n/a in socket_rs yet, 3 failed\n", out.lines.last
      assert_includes results, "**FAIL**"
    end
  end
end
