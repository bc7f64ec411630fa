# frozen_string_literal: true

# socket_rs against the stock extension, side by side, in one run.
#
#   rake bench            # or bin/bench, or ruby bench/run.rb
#   BENCH_QUICK=1         fast smoke run (2 short pairs; results go to a temp dir)
#   BENCH_ONLY=regex      only the cases whose name matches (case-insensitive)
#   BENCH_PAIRS=n BENCH_SECONDS=s   paired samples per case, seconds per sample
#   BENCH_OUT=dir         where RESULTS.md and ratios.svg go (default: bench/ for
#                         a full run, a temp dir for a quick or partial one)
#   BENCH_CASES=a.rb:b.rb extra case files (used by test/bench_test.rb)
#   BENCH_SYSCALLS=1      instead of timing, count the system calls per operation
#                         of each case under strace (both implementations) and
#                         write SYSCALLS.md: the "why" behind a ratio
#   BENCH_AA=1            A/A run: the socket_rs column runs stock too, to check
#                         every case against stock and to see the noise floor
#
# Each case runs in two child processes, one per implementation (see
# bench/child.rb); samples are interleaved stock, socket_rs, socket_rs, stock,
# ... so drift of the machine cancels, and the ratio of a case is the median of
# the per-pair ratios socket_rs/stock. Single-threaded cases are pinned to
# CPU 0. A case whose socket_rs side raises NameError/NoMethodError is "n/a in
# socket_rs yet"; a failed correctness check is a failure (exit status 1).

require "fileutils"
require "io/wait"
require "rbconfig"
require "tmpdir"
require "open3"
require "timeout"
require_relative "cases"

module Bench
  ROOT = File.expand_path("..", __dir__)
  BENCH_DIR = __dir__
  RAW_DIR = File.join(__dir__, "raw")
  RAW_BIN = File.join(RAW_DIR, "target", "release", "socket_rs_bench_raw")
  NA = "n/a in socket_rs yet"

  # Everything measured for one case.
  Result = Struct.new(:case, :status, :note, :stock, :rs, :ratio, :ratio_min, :ratio_max, :raw,
                      keyword_init: true)

  class Runner
    def initialize(env = ENV)
      @quick = env["BENCH_QUICK"] == "1"
      # Many short pairs: the median shrugs off bursts from other processes.
      @pairs = Integer(env["BENCH_PAIRS"] || (@quick ? 2 : 12))
      @seconds = Float(env["BENCH_SECONDS"] || (@quick ? 0.05 : 0.15))
      @wrk_seconds = @quick ? 1 : 2
      @only = env["BENCH_ONLY"] && Regexp.new(env["BENCH_ONLY"], Regexp::IGNORECASE)
      (env["BENCH_CASES"] || "").split(File::PATH_SEPARATOR).each { |f| load File.expand_path(f) }
      @cases = CASES.select { |c| !@only || c.name.match?(@only) }
      partial = @quick || @only || env["BENCH_CASES"] || @aa
      @out = env["BENCH_OUT"] || (partial ? File.join(Dir.tmpdir, "socket_rs_bench") : BENCH_DIR)
      @aa = env["BENCH_AA"] == "1"
      @syscalls = env["BENCH_SYSCALLS"] == "1"
      @pin = system("taskset", "-c", "0", "true", out: File::NULL, err: File::NULL)
      @results = []
      @memory = []
    end

    def run
      abort "no case matches BENCH_ONLY=#{@only.source}" if @cases.empty?
      return count_syscalls if @syscalls

      started = Time.now
      puts "A/A run: both columns are stock" if @aa
      puts "socket_rs benchmark: #{@cases.size} cases, #{@pairs} pairs of ~#{@seconds}s samples" \
           "#{@pin ? ", single-threaded cases pinned to CPU 0" : " (taskset missing: not pinned)"}"
      build_raw if @cases.any? { |c| c[:raw] }
      @cases.each do |c|
        case c[:kind]
        when :memory then @memory << measure_memory(c)
        when :wrk then @results << measure_wrk(c)
        else @results << measure(c)
        end
      end
      @elapsed = Time.now - started
      report
      @results.any? { |r| %i[fail error].include?(r.status) } ||
        @memory.any? { |m| %i[fail error].include?(m[:status]) } ? 1 : 0
    end

    # ------------------------------------------------------------------
    # Children

    Child = Struct.new(:impl, :io, :pid, :err_path, :ready, :status, :note, :port)

    def ruby_cmd(impl)
      args = impl == "stock" ? ["-rsocket"] : ["-I", File.join(ROOT, "lib"), "-rsocket_rs"]
      [RbConfig.ruby, *args, File.join(BENCH_DIR, "child.rb"), impl]
    end

    def spawn_child(impl, kase, pin: nil, wrap: [])
      err_path = File.join(Dir.tmpdir, "socket_rs_bench_#{impl}_#{Process.pid}.err")
      pin = kase[:pin].nil? ? !kase[:threads] : kase[:pin] if pin.nil?
      cmd = [*(pin && @pin ? %w[taskset -c 0] : []), *wrap, *ruby_cmd(@aa ? "stock" : impl), kase.name,
             @seconds.to_s]
      io = IO.popen(cmd, "r+", err: [err_path, "w"], chdir: ROOT)
      Child.new(impl, io, io.pid, err_path)
    end

    # One line from the child; nil if it did not answer in time, :eof if it
    # exited (crashed) instead.
    def read_line(child, timeout)
      return nil unless child.io.wait_readable(timeout)

      child.io.gets&.chomp || :eof
    end

    def start(child)
      line = read_line(child, 30)
      if line.nil? || line == :eof
        why = line ? "exited without answering" : "no answer within 30 s"
        line = "error #{why}#{stderr_tail(child)}"
      end
      child.status, rest = line.split(" ", 2)
      child.status = "error" unless %w[ready missing fail error].include?(child.status)
      child.note = rest.to_s
      child.port = rest.to_i if child.status == "ready"
      child.ready = child.status == "ready"
      child.note += stderr_tail(child) if child.status == "error" && child.note.empty?
    end

    def stderr_tail(child)
      text = File.exist?(child.err_path) ? File.read(child.err_path).lines.last(3).join(" ").strip : ""
      text.empty? ? "" : " (stderr: #{text[0, 300]})"
    end

    def stop(child)
      return unless child

      begin
        child.io.puts("quit")
      rescue IOError, SystemCallError
        nil
      end
      child.io.read if child.io.wait_readable(2) # EOF once it has exited
      begin
        Process.kill(:KILL, child.pid)
      rescue Errno::ESRCH
        nil
      end
      child.io.close
      File.delete(child.err_path) if File.exist?(child.err_path)
    end

    def sample(child)
      child.io.puts("sample")
      line = read_line(child, [@seconds * 50, 30].max)
      raise "#{child.impl}: no answer to a sample#{stderr_tail(child)}" unless line
      raise "#{child.impl}: exited during a sample#{stderr_tail(child)}" if line == :eof
      raise "#{child.impl}: #{line.sub(/\Aerror /, "")}" unless line.match?(/\A\d+ [\d.e-]+\z/)

      n, secs = line.split
      n.to_f / secs.to_f
    end

    # Both children started and their correctness checks done; a Result if
    # the case cannot be timed, else nil.
    def prepare(kase, stock, rs)
      start(stock)
      start(rs)
      if stock.status != "ready"
        return Result.new(case: kase, status: :error,
                          note: "harness problem, stock #{stock.status}: #{stock.note}")
      end
      case rs.status
      when "ready" then nil
      when "missing" then Result.new(case: kase, status: :na, note: rs.note)
      when "fail" then Result.new(case: kase, status: :fail, note: "socket_rs check failed: #{rs.note}")
      else Result.new(case: kase, status: :fail, note: "socket_rs #{rs.status}: #{rs.note}")
      end
    end

    # Interleaved pairs: stock, rs | rs, stock | stock, rs ...
    def pairs_of(count = @pairs)
      Array.new(count) do |i|
        order = i.even? ? %i[stock rs] : %i[rs stock]
        got = {}
        order.each { |who| got[who] = yield(who) }
        [got[:stock], got[:rs]]
      end
    end

    def summarize(kase, pairs, note: nil)
      ratios = pairs.map { |s, r| r / s }.sort
      Result.new(case: kase, status: :ok, note: note,
                 stock: median(pairs.map(&:first)) * kase[:scale],
                 rs: median(pairs.map(&:last)) * kase[:scale],
                 ratio: median(ratios), ratio_min: ratios.first, ratio_max: ratios.last,
                 raw: kase[:raw] && raw_rate(kase[:raw], pin: kase[:pin].nil? ? !kase[:threads] : kase[:pin]))
    end

    def median(values)
      v = values.sort
      v.size.odd? ? v[v.size / 2] : (v[v.size / 2 - 1] + v[v.size / 2]) / 2.0
    end

    def measure(kase)
      progress(kase)
      stock = spawn_child("stock", kase)
      rs = spawn_child("socket_rs", kase)
      done = prepare(kase, stock, rs) and return finish(done)

      children = { stock: stock, rs: rs }
      finish(summarize(kase, pairs_of { |who| sample(children[who]) }))
    rescue RuntimeError => e
      finish(Result.new(case: kase, status: e.message.start_with?("stock") ? :error : :fail, note: e.message))
    ensure
      stop(stock)
      stop(rs)
    end

    def progress(kase)
      print format("  %-48s ", kase.name)
      $stdout.flush
    end

    def finish(result)
      puts case result.status
           when :ok
             format("%12s %12s  ratio %.2f", fmt(result.stock), fmt(result.rs), result.ratio)
           when :na then "#{NA} (#{result.note})"
           else "#{result.status.upcase}: #{result.note}"
           end
      result
    end

    # ------------------------------------------------------------------
    # Raw-syscall reference

    def build_raw
      return if @raw_ok == false

      ok = system("cargo", "build", "--release", "--quiet", "--manifest-path", File.join(RAW_DIR, "Cargo.toml"))
      @raw_ok = ok && File.executable?(RAW_BIN)
      warn "bench/raw did not build: no raw column" unless @raw_ok
      @raw_cache = {}
    end

    def raw_rate(name, pin:)
      return nil unless @raw_ok

      @raw_cache[[name, pin]] ||= begin
        cmd = [*(pin && @pin ? %w[taskset -c 0] : []), RAW_BIN, name, @seconds.to_s, [@pairs, 3].max.to_s]
        out, status = Open3.capture2(*cmd)
        status.success? ? median(out.split.map(&:to_f)) : nil
      end
    end

    # ------------------------------------------------------------------
    # wrk

    def wrk_available?
      return @wrk if defined?(@wrk)

      @wrk = system("dpkg", "-s", "wrk", out: File::NULL, err: File::NULL) ||
             system("apt-get", "install", "-y", "-qq", "wrk", out: File::NULL, err: File::NULL) ||
             (system("apt-get", "update", "-qq", out: File::NULL, err: File::NULL) &&
              system("apt-get", "install", "-y", "-qq", "wrk", out: File::NULL, err: File::NULL))
      @wrk &&= system("wrk", "--version", out: File::NULL, err: File::NULL) || File.executable?("/usr/bin/wrk")
    end

    def http_expected(close)
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: #{HELLO.bytesize}\r\n" \
        "#{close ? "Connection: close\r\n" : ""}\r\n#{HELLO}"
    end

    # A request made from this process (stock socket, independent of the
    # server's implementation): the response must match byte for byte.
    def http_check(port, close)
      require "socket"
      want = http_expected(close)
      TCPSocket.open("127.0.0.1", port) do |s|
        Timeout.timeout(5) do
          s.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
          got = close ? s.read : s.readpartial(want.bytesize + 100)
          got += s.readpartial(want.bytesize) while !close && got.bytesize < want.bytesize
          return nil if got == want

          "response #{got.inspect[0, 200]} != #{want.inspect}"
        end
      end
    rescue StandardError => e
      "request failed: #{e.class}: #{e.message}"
    end

    def wrk_rate(port, close)
      cmd = [*(@pin ? %w[taskset -c 1] : []), "wrk", "-t1", "-c8", "-d#{@wrk_seconds}s",
             *(close ? ["-H", "Connection: close"] : []), "http://127.0.0.1:#{port}/"]
      out, status = Open3.capture2e(*cmd)
      raise "wrk failed: #{out.lines.last}" unless status.success?

      bad = out[/Non-2xx or 3xx responses: (\d+)/, 1].to_i
      raise "wrk saw #{bad} non-2xx responses" if bad.positive?

      out[%r{Requests/sec:\s+([\d.]+)}, 1].to_f
    end

    def measure_wrk(kase)
      progress(kase)
      return finish(Result.new(case: kase, status: :skip, note: "wrk not installed")) unless wrk_available?

      close = kase[:close] ? true : false
      # Servers on CPU 0, wrk on CPU 1, so the load generator does not steal
      # the server's CPU.
      stock = spawn_child("stock", kase, pin: true)
      rs = spawn_child("socket_rs", kase, pin: true)
      done = prepare(kase, stock, rs) and return finish(done)

      problem = http_check(stock.port, close)
      return finish(Result.new(case: kase, status: :error, note: "stock server: #{problem}")) if problem

      problem = http_check(rs.port, close)
      return finish(Result.new(case: kase, status: :fail, note: "socket_rs server: #{problem}")) if problem

      children = { stock: stock, rs: rs }
      # wrk samples are longer: at most 6 pairs (the machine is shared and
      # these cases are the noisiest; fewer pairs made the median wander).
      finish(summarize(kase, pairs_of([@pairs, 6].min) { |who| wrk_rate(children[who].port, close) }))
    rescue RuntimeError => e
      finish(Result.new(case: kase, status: :fail, note: e.message))
    ensure
      stop(stock)
      stop(rs)
    end

    # ------------------------------------------------------------------
    # Memory

    def measure_memory(kase)
      progress(kase)
      got = {}
      %w[stock socket_rs].each do |impl|
        child = spawn_child(impl, kase)
        start(child)
        unless child.ready
          got[impl] = [child.status, child.note]
          next
        end
        child.io.puts("memory")
        line = read_line(child, 120)
        got[impl] = line.is_a?(String) && line.match?(/\A\d+ \d+ \d+\z/) ? line.split.map(&:to_i) : ["error", line.to_s + stderr_tail(child)]
      ensure
        stop(child)
      end
      s = got["stock"]
      r = got["socket_rs"]
      m = { case: kase }
      if s.first.is_a?(String)
        m.merge!(status: :error, note: "harness problem, stock #{s.join(": ")}")
      elsif r.first == "missing"
        m.merge!(status: :na, note: r.last, stock_kb: s[0], stock_base: s[1])
      elsif r.first.is_a?(String)
        m.merge!(status: :fail, note: "socket_rs #{r.join(": ")}", stock_kb: s[0])
      else
        m.merge!(status: :ok, stock_kb: s[0], stock_base: s[1], rs_kb: r[0], rs_base: r[1],
                 ratio: r[0].to_f / s[0])
      end
      puts case m[:status]
           when :ok then format("stock %d MB, socket_rs %d MB peak RSS", m[:stock_kb] / 1024, m[:rs_kb] / 1024)
           when :na then "#{NA} (#{m[:note]})"
           else "#{m[:status].upcase}: #{m[:note]}"
           end
      m
    end

    # ------------------------------------------------------------------
    # System calls per operation (BENCH_SYSCALLS=1)

    TRACE_OPS = 200

    def count_syscalls
      abort "BENCH_SYSCALLS needs strace" unless system("strace", "-V", out: File::NULL, err: File::NULL)
      rows = @cases.select { |c| c[:kind] == :ops }.map do |kase|
        progress(kase)
        per = %w[stock socket_rs].to_h { |impl| [impl, trace(impl, kase)] }
        switches = %w[stock socket_rs].to_h { |impl| [impl, per[impl].is_a?(Hash) ? ctx_switches(impl, kase) : nil] }
        puts per.values.map { |v| v.is_a?(Hash) ? format("%.2f", v.values.sum) : v }.join("  |  ")
        [kase, per, switches]
      end
      lines = ["| case | stock syscalls/op | socket_rs syscalls/op | context switches/op stock, socket_rs |",
               "|---|---|---|---|"]
      rows.each do |kase, per, switches|
        sw = switches.values.map { |v| v ? format("%.2f", v) : "-" }.join(", ")
        lines << "| #{kase.name} | #{per.values.map { |v| syscall_cell(v) }.join(" | ")} | #{sw} |"
      end
      FileUtils.mkdir_p(@out)
      path = File.join(@out, "SYSCALLS.md")
      File.write(path, <<~MD)
        # System calls per operation

        Counted with `strace -f` between two markers around #{TRACE_OPS} operations of each
        case (BENCH_SYSCALLS=1 ruby bench/run.rb), #{Time.now.utc.strftime("%Y-%m-%d %H:%M UTC")}.
        Fractions are calls that happen on only some operations. Context switches
        (voluntary and involuntary, all threads, from /proc) are counted without
        strace over #{CTXSW_OPS} operations, pinned as in the timed run.

        #{lines.join("\n")}
      MD
      puts
      puts lines
      puts
      puts "wrote #{path}"
      0
    end

    # {"sendto" => 1.0, ...} per operation, or a String saying why not.
    def trace(impl, kase)
      log = File.join(Dir.tmpdir, "socket_rs_bench_strace_#{impl}_#{Process.pid}.txt")
      child = spawn_child(impl, kase, wrap: ["strace", "-f", "-qq", "-o", log])
      start(child)
      return(child.status == "missing" ? NA : "#{child.status}: #{child.note}") unless child.ready

      child.io.puts("trace #{TRACE_OPS}")
      return "no answer" unless read_line(child, 60) == "traced #{TRACE_OPS}"

      stop(child)
      child = nil
      counts = Hash.new(0)
      inside = false
      File.foreach(log) do |line|
        if line.include?("socket_rs_bench_mark_begin") then inside = true
        elsif line.include?("socket_rs_bench_mark_end") then inside = false
        elsif inside && (name = line[/\A(?:\d+\s+)?(?:<\.\.\. )?(\w+)[( ]/, 1])
          counts[name] += 1 unless line.include?("resumed>") && line.match?(/\A(?:\d+\s+)?<\.\.\./)
        end
      end
      counts.transform_values { |n| n.to_f / TRACE_OPS }
    ensure
      stop(child)
      File.delete(log) if log && File.exist?(log)
    end

    CTXSW_OPS = 5000

    # Context switches per operation in a plain (untraced) child.
    def ctx_switches(impl, kase)
      child = spawn_child(impl, kase)
      start(child)
      return nil unless child.ready

      child.io.puts("ctxsw #{CTXSW_OPS}")
      line = read_line(child, 60)
      line.is_a?(String) && line.start_with?("ctxsw ") ? line.split.last.to_f / CTXSW_OPS : nil
    ensure
      stop(child)
    end

    def syscall_cell(value)
      return value.to_s.gsub("|", "\\|") unless value.is_a?(Hash)

      parts = value.sort_by { |k, v| [-v, k] }.map { |k, v| "#{k} #{format("%.2f", v).sub(/\.?0+\z/, "")}" }
      "**#{format("%.2f", value.values.sum)}**: #{parts.join(", ")}"
    end

    # ------------------------------------------------------------------
    # Report

    def fmt(x)
      return "-" unless x

      digits = x >= 100 ? 0 : (x >= 10 ? 1 : 2)
      int, frac = format("%.#{digits}f", x).split(".")
      int = int.reverse.scan(/\d{1,3}/).join(",").reverse
      frac ? "#{int}.#{frac}" : int
    end

    def frac(part, whole) = part && whole ? format("%.2f", part / whole) : "-"

    def table
      rows = ["| case | unit | stock | socket_rs | ratio | pairs min-max | raw | stock/raw | socket_rs/raw |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
      @results.each do |r|
        c = r.case
        rows << case r.status
                when :ok
                  raw = r.raw && r.raw * c[:scale]
                  "| #{c.name} | #{c[:unit]} | #{fmt(r.stock)} | #{fmt(r.rs)} | **#{format("%.2f", r.ratio)}** | " \
                    "#{format("%.2f-%.2f", r.ratio_min, r.ratio_max)} | #{fmt(raw)} | #{frac(r.stock, raw)} | #{frac(r.rs, raw)} |"
                when :na then "| #{c.name} | #{c[:unit]} | | #{NA} | | | | | |"
                when :skip then "| #{c.name} | #{c[:unit]} | | skipped: #{r.note} | | | | | |"
                else "| #{c.name} | #{c[:unit]} | | **#{r.status.upcase}**: #{r.note.gsub("|", "\\|")[0, 160]} | | | | | |"
                end
      end
      rows
    end

    def memory_table
      return [] if @memory.empty?

      rows = ["", "| memory case (objects kept alive) | stock peak RSS | socket_rs peak RSS | ratio (lower is better) |",
              "|---|---:|---:|---:|"]
      @memory.each do |m|
        name = "#{m[:case].name} (#{fmt(m[:case][:count] / (@quick ? 10.0 : 1))})"
        rows << case m[:status]
                when :ok
                  "| #{name} | #{fmt(m[:stock_kb] / 1024.0)} MB | #{fmt(m[:rs_kb] / 1024.0)} MB | #{format("%.2f", m[:ratio])} |"
                when :na then "| #{name} | #{m[:stock_kb] ? "#{fmt(m[:stock_kb] / 1024.0)} MB" : ""} | #{NA} | |"
                else "| #{name} | | **#{m[:status].upcase}**: #{m[:note].to_s.gsub("|", "\\|")[0, 160]} | |"
                end
      end
      rows
    end

    def summary_line
      ok = @results.select { |r| r.status == :ok }
      na = @results.count { |r| r.status == :na } + @memory.count { |m| m[:status] == :na }
      failed = @results.count { |r| %i[fail error].include?(r.status) } +
               @memory.count { |m| %i[fail error].include?(m[:status]) }
      return "no case measured; #{na} n/a in socket_rs yet, #{failed} failed" if ok.empty?

      worst = ok.min_by(&:ratio)
      geo = Math.exp(ok.sum { |r| Math.log(r.ratio) } / ok.size)
      format("worst ratio %.2f (%s), geometric mean %.2f over %d cases; %d n/a in socket_rs yet, %d failed",
             worst.ratio, worst.case.name, geo, ok.size, na, failed)
    end

    def machine
      cpu = File.read("/proc/cpuinfo")[/^model name\s*:\s*(.*)$/, 1] || "unknown CPU"
      "#{`nproc`.strip} CPUs, #{cpu}, #{RUBY_DESCRIPTION}"
    end

    def report
      FileUtils.mkdir_p(@out)
      md = File.join(@out, "RESULTS.md")
      svg = File.join(@out, "ratios.svg")
      lines = table + memory_table
      File.write(md, <<~MD)
        # socket_rs benchmark results

        Generated by `rake bench` (bench/run.rb) on #{Time.now.utc.strftime("%Y-%m-%d %H:%M UTC")}#{@quick ? " (BENCH_QUICK smoke run)" : ""}.

        - Machine: #{machine}.
        - Method: each case runs in two processes, `ruby -rsocket` (stock) and
          `ruby -Ilib -rsocket_rs` (socket_rs), #{@pairs} interleaved pairs of ~#{@seconds} s samples
          (stock, socket_rs, socket_rs, stock, ...); single-threaded cases
          #{@pin ? "pinned to CPU 0 with taskset" : "not pinned (taskset missing)"}. ratio = median of the
          per-pair ratios socket_rs/stock (above 1: socket_rs is faster); the
          min-max column shows their spread. Every case first checks its result
          against independently computed values.
        - raw: bench/raw, the same exchange with direct libc calls (the limit);
          stock/raw and socket_rs/raw are the fractions of it each reaches.
        - The HTTP cases run the server on CPU 0 and `wrk -t1 -c8` on CPU 1.
        - Noise: this machine is shared (2 CPUs, other developers compiling at
          the same time): the pairs min-max spread shows how much; an A/A run
          (`BENCH_AA=1`, stock against stock) gives medians within about ±5% on
          most cases, so treat smaller differences as noise.
        - "#{NA}": socket_rs raised NameError/NoMethodError for that case; it
          lights up with no harness change once the feature lands.

        #{lines.join("\n")}

        #{summary_line}

        ![ratios](ratios.svg)
      MD
      File.write(svg, svg_chart)
      puts
      puts table
      puts memory_table
      puts
      puts "wrote #{md} and #{svg} in #{@elapsed.round(1)} s"
      puts summary_line
    end

    def esc(s) = s.to_s.gsub("&", "&amp;").gsub("<", "&lt;").gsub(">", "&gt;").gsub('"', "&quot;")

    # A horizontal bar per case, ratio socket_rs/stock, a line at 1.0.
    def svg_chart
      rows = @results
      label_w = 330
      plot_w = 440
      row_h = 20
      top = 40
      max = [2.0, *rows.select { |r| r.status == :ok }.map(&:ratio)].max.ceil(1)
      x = ->(v) { label_w + v / max * plot_w }
      height = top + rows.size * row_h + 30
      out = [%(<svg xmlns="http://www.w3.org/2000/svg" width="#{label_w + plot_w + 70}" height="#{height}" ) +
             %(font-family="sans-serif" font-size="12">),
             %(<rect width="100%" height="100%" fill="white"/>),
             %(<text x="10" y="20" font-size="14" font-weight="bold">socket_rs / stock ops/s (above 1.0: socket_rs faster)</text>)]
      bottom = top + rows.size * row_h
      # The 1.0 line first, so bars and labels are drawn over it.
      out << %(<line x1="#{x.call(1.0)}" y1="#{top - 4}" x2="#{x.call(1.0)}" y2="#{bottom}" ) +
             %(stroke="black" stroke-width="1.5" stroke-dasharray="4 3"/>)
      rows.each_with_index do |r, i|
        y = top + i * row_h
        out << %(<text x="#{label_w - 6}" y="#{y + 14}" text-anchor="end">#{esc(r.case.name)}</text>)
        case r.status
        when :ok
          # Green at or above stock, amber within the 0.95 target, red below.
          color = if r.ratio >= 1.0 then "#3a7d44"
                  elsif r.ratio >= 0.95 then "#e0a800"
                  else "#c0392b"
                  end
          out << %(<rect x="#{label_w}" y="#{y + 3}" width="#{(x.call(r.ratio) - label_w).round(1)}" ) +
                 %(height="#{row_h - 6}" fill="#{color}"/>)
          out << %(<text x="#{(x.call(r.ratio) + 4).round(1)}" y="#{y + 14}" stroke="white" stroke-width="3" ) +
                 %(paint-order="stroke">#{format("%.2f", r.ratio)}</text>)
        when :na
          out << %(<text x="#{label_w + 4}" y="#{y + 14}" fill="#888">#{NA}</text>)
        else
          out << %(<text x="#{label_w + 4}" y="#{y + 14}" fill="#c0392b">#{esc(r.status.to_s.upcase)}</text>)
        end
      end
      (0..(max * 2).to_i).each do |k|
        v = k / 2.0
        out << %(<text x="#{x.call(v).round(1)}" y="#{bottom + 16}" text-anchor="middle" fill="#555">#{v}</text>)
      end
      out << "</svg>"
      "#{out.join("\n")}\n"
    end
  end
end

if $PROGRAM_NAME == __FILE__
  exit Bench::Runner.new.run
end
