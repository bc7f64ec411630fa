# frozen_string_literal: true
#
# Conformance run: Ruby's own socket test suites, stock extension vs socket_rs.
#
#   ruby test/conformance/run.rb [options]
#
# For the Ruby running this file it runs, from that Ruby's source tree
# (bin/rubies source X.Y):
#
#   spec  ruby/spec's library/socket with mspec
#   test  test/socket with tool/lib's test/unit (what `make test-all
#         TESTS=socket` runs), from the installed ruby with -I tool/lib, test/lib
#
# each once with the stock extension and once with socket_rs loaded first
# (-I <snapshot of lib/> -r socket_rs, also put in RUBYOPT so the
# subprocesses the suites spawn get it too), then compares per example/test
# and lists every one that passes on stock but fails, errors or does not run
# (crash, hang) on socket_rs.  Exit status: 0 when there is none, 1 when
# there are some, 2 when a run could not be carried out at all.
#
# The system Ruby 3.1 has no source tree: its specs come from the 3.3 tree
# (ruby/spec guards by ruby_version_is) and test/socket is skipped (3.3's
# tests would test 3.3 behaviour).
#
# Loopback only.  Examples that reach outside the host (TCP connects to
# TEST-NET 192.0.2.1, which here is on-link; resolving names that are not in
# /etc/hosts) are excluded by name.  On top of that, when run as root and
# namespaces can be made, every run happens in test/support/netns --dual-stack: a
# fresh network namespace whose only interface is lo (nothing can leave the
# machine, DNS fails at once) and an /etc/hosts where localhost is 127.0.0.1
# and ::1, as the Happy Eyeballs tests of test/socket expect.  --host-net runs on the host's network instead (exclusions
# still apply).
#
# lib/ is snapshot into a temporary directory at start, so a concurrent
# rebuild of lib/socket_rs/X.Y/socket_rs.so cannot crash a run.
#
# Options:
#   --suite spec|test|all   which suites (default all)
#   --tree DIR              source tree to take the suites from
#   --timeout SECS          bound on each invocation (`timeout`, default 600)
#   --test-timeout SECS     a test/example without a result after SECS is a
#                           hang (default 30): reported, killed, and the run
#                           resumed without it
#   --max-resumes N         resumes after hangs/crashes per run (default 10)
#   --json FILE             write per-test results (both modes) as JSON
#   --list-only             print every test with its stock and socket_rs
#                           status instead of only the regressions
#   --cross                 with --tree of another Ruby: test/socket of that
#                           tree, its stock extension run by that Ruby (from
#                           bin/rubies) as the oracle, socket_rs by this one;
#                           e.g. Ruby 3.4's Happy Eyeballs tests on 3.1
#   --only REGEX            only the test/socket tests whose name matches
#   --host-net              do not isolate the runs in a network namespace
#   --keep                  keep the temporary directory (logs, raw results)
#   -v, --verbose           print the commands and log tails

require "optparse"
require "rbconfig"
require "tmpdir"
require "fileutils"
require "json"
require "shellwords"

module SocketRsConformance
  ROOT = File.expand_path("../..", __dir__)
  RUBY = RbConfig.ruby
  MINOR = RUBY_VERSION[/\A\d+\.\d+/]

  NETNS = File.expand_path("../support/netns", __dir__)

  # Examples that would send packets off the host, or DNS queries for names
  # not in /etc/hosts.  Never run; they count for nothing.
  SPEC_EXCLUDES = [
    # TCPSocket.new/open("192.0.2.1", 80, connect_timeout: 0)
    "with :connect_timeout when no server is listening on the given address",
    # Socket#connect to 192.0.2.1:1 with timeout = 0 (3.4)
    "Socket#connect fails with timeout",
    # IPSocket.getaddress("rubyspecdoesntexist.ruby-lang.org")
    "IPSocket.getaddress raises an error on unknown hostnames",
  ].freeze
  # Only with --host-net: reverse lookups of ::1 (not in /etc/hosts here), which
  # go to the DNS server.  In the network namespace they fail at once, alike.
  SPEC_HOST_NET_EXCLUDES = [
    "Addrinfo#getnameinfo using an IP Addrinfo using IPv6",
    "Socket.gethostbyaddr using an IPv6 address",
    "Socket.getnameinfo using IPv6 using a 4 element Array as the first argument without custom flags",
  ].freeze
  TEST_EXCLUDES = [
    "test_initialize_connect_timeout", # TCPSocket.new("192.0.2.1", 80, connect_timeout: 0)
  ].freeze

  # Loaded inside mspec's child (mspec run -f FILE): records each example as
  # it runs, one line per record, fields tab-separated and String#dump'ed.
  MSPEC_FORMATTER = <<~'RUBY'
    class SocketRsConformanceFormatter < DottedFormatter
      def initialize(out = nil)
        super
        @rec = File.open(ENV.fetch("SOCKET_RS_CONFORMANCE_OUT"), "a")
        @rec.sync = true
        @root = ENV.fetch("SOCKET_RS_CONFORMANCE_ROOT")
        @seen = Hash.new(0)
        @excs = []
      end

      def emit(*fields)
        @rec.puts(fields.map { |f| f.to_s.dump }.join("\t"))
      end

      def ident(desc)
        file = MSpec.retrieve(:file).to_s.delete_prefix(@root)
        id = "#{file}: #{desc}"
        n = (@seen[id] += 1)
        n > 1 ? "#{id} ##{n}" : id
      end

      def detail(exc)
        bt = exc.backtrace.to_s.lines.first.to_s.strip
        [exc.message.to_s.strip, bt].reject(&:empty?).join("\n  at ")
      end

      def before(state = nil)
        super
        @excs = []
        emit "start", "#{MSpec.retrieve(:file).to_s.delete_prefix(@root)}: #{state.description}" if state
      end

      def exception(exc)
        super
        if @current_state
          @excs << [exc.failure? ? "fail" : "error", detail(exc)]
        else
          emit "result", ident(exc.description), "error", detail(exc)
        end
      end

      def after(state = nil)
        if state
          status = @excs.empty? ? "pass" : (@excs.all? { |s, _| s == "fail" } ? "fail" : "error")
          emit "result", ident(state.description), status, @excs.map(&:last).join("\n")
        end
        @excs = []
        super
      end

      def finish
        super
        emit "meta", "socket_rs", defined?(::SocketRs::NATIVE_LOADED) ? "yes" : "no"
        emit "meta", "stock_socket_so", $LOADED_FEATURES.grep(%r{/socket\.so\z}).join(" ")
        emit "meta", "socket_rs_so", $LOADED_FEATURES.grep(/socket_rs\.so\z/).join(" ")
        emit "done"
      end
    end
    CUSTOM_MSPEC_FORMATTER = SocketRsConformanceFormatter
  RUBY

  # The test/unit driver: tool/test/runner.rb's job, plus a recorder.
  TESTUNIT_DRIVER = <<~'RUBY'
    tree = ARGV.shift
    require File.join(tree, "tool/test/init")
    # A newer tree's harness (--cross) gives its subprocesses --parser=,
    # which Rubies before 3.3 do not know.
    if RUBY_VERSION < "3.3" && defined?(EnvUtil)
      def EnvUtil.spawn(*args)
        Process.spawn(*args.reject { |a| a.is_a?(String) && a.start_with?("--parser=") })
      end
    end
    $socket_rs_conformance = File.open(ENV.fetch("SOCKET_RS_CONFORMANCE_OUT"), "a")
    $socket_rs_conformance.sync = true
    def socket_rs_conformance_emit(*fields)
      $socket_rs_conformance.puts(fields.map { |f| f.to_s.dump }.join("\t"))
    end

    module SocketRsConformanceRecord
      def record(suite, method, assertions, time, error, *rest)
        status =
          case error
          when nil then "pass"
          when Test::Unit::PendedError then "skip"
          when Test::Unit::AssertionFailedError then "fail"
          else "error"
          end
        msg = ""
        if error
          bt = (error.backtrace || []).find { |l| !l.include?("/tool/lib/") } || ""
          msg = "#{error.class}: #{error.message}".strip
          msg += "\n  at #{bt}" unless bt.empty?
        end
        socket_rs_conformance_emit "result", "#{suite.name}##{method}", status, msg
        super
      end
    end
    Test::Unit::AutoRunner::Runner.prepend(SocketRsConformanceRecord)

    module SocketRsConformanceStart
      def run(runner)
        socket_rs_conformance_emit "start", "#{self.class.name}##{__name__}"
        super
      end
    end
    Test::Unit::TestCase.prepend(SocketRsConformanceStart)

    at_exit do
      socket_rs_conformance_emit "meta", "socket_rs", defined?(::SocketRs::NATIVE_LOADED) ? "yes" : "no"
      socket_rs_conformance_emit "meta", "stock_socket_so", $LOADED_FEATURES.grep(%r{/socket\.so\z}).join(" ")
      socket_rs_conformance_emit "meta", "socket_rs_so", $LOADED_FEATURES.grep(/socket_rs\.so\z/).join(" ")
      socket_rs_conformance_emit "done"
    end
    exit Test::Unit::AutoRunner.run(true, File.join(tree, "test"))
  RUBY

  Run = Struct.new(:suite, :mode, :command, :status, :seconds, :results, :meta,
                   :started, :timed_out, :done, :log, :problems)

  class Runner
    def initialize(argv)
      @suites = %w[spec test]
      @tree = nil
      @timeout = 600
      @test_timeout = 30
      @max_resumes = 10
      @json = nil
      @list_only = false
      @netns = nil
      @cross = false
      @keep = false
      @verbose = false
      OptionParser.new do |o|
        o.banner = "usage: ruby #{File.basename(__FILE__)} [options]"
        o.on("--suite NAME", %w[spec test all]) { |s| @suites = s == "all" ? %w[spec test] : [s] }
        o.on("--tree DIR") { |d| @tree = File.expand_path(d) }
        o.on("--timeout SECS", Integer) { |t| @timeout = t }
        o.on("--test-timeout SECS", Integer) { |t| @test_timeout = t }
        o.on("--max-resumes N", Integer) { |n| @max_resumes = n }
        o.on("--json FILE") { |f| @json = File.expand_path(f) }
        o.on("--list-only") { @list_only = true }
        o.on("--cross") { @cross = true }
        o.on("--only REGEX") { |r| @only = r }
        o.on("--host-net") { @netns = false }
        o.on("--keep") { @keep = true }
        o.on("-v", "--verbose") { @verbose = true }
      end.parse!(argv)
    end

    def main
      t0 = now
      @tmp = Dir.mktmpdir("socket_rs-conformance-")
      @workdirs = []
      find_tree
      @netns = netns_works? if @netns.nil?
      snapshot_lib
      say "ruby #{RUBY_VERSION} (#{RUBY}), tree #{@tree}, " \
          "network: #{@netns ? 'own namespace, lo only' : 'host (exclusions only)'}"
      runs = []
      @suites.each do |suite|
        if suite == "test" && !@test_ok
          say "test/socket: skipped (#{@test_skip_reason})"
          next
        end
        %w[stock socket_rs].each { |mode| runs << execute(suite, mode) }
      end
      code = report(runs)
      say format("total %.1fs", now - t0)
      code
    ensure
      @workdirs&.each { |d| FileUtils.rm_rf(d) }
      if @tmp
        if @keep then say "kept #{@tmp}" else FileUtils.rm_rf(@tmp) end
      end
    end

    private

    def now = Process.clock_gettime(Process::CLOCK_MONOTONIC)

    def say(msg)
      $stdout.puts "conformance: #{msg}"
      $stdout.flush
    end

    def find_tree
      if @tree.nil?
        src = `#{File.join(ROOT, "bin/rubies").shellescape} source #{MINOR} 2>/dev/null`.strip
        if $?.success? && File.directory?(src)
          @tree = src
        else
          # The system Ruby has no tree: ruby/spec from the 3.3 tree (it guards
          # by version); test/socket would be 3.3's, so none.
          src = `#{File.join(ROOT, "bin/rubies").shellescape} source 3.3 2>/dev/null`.strip
          abort "conformance: no source tree for Ruby #{MINOR} (try --tree DIR)" unless $?.success? && File.directory?(src)
          @tree = src
          @test_skip_reason = "no #{MINOR} source tree; #{File.basename(src)}'s test/socket would test another Ruby"
        end
      end
      tree_ver = File.basename(@tree)[/\d+\.\d+/]
      if @cross && tree_ver != MINOR
        bindir = `#{File.join(ROOT, "bin/rubies").shellescape} bindir #{tree_ver} 2>/dev/null`.strip
        abort "conformance: --cross needs Ruby #{tree_ver} from bin/rubies" unless $?.success?
        @oracle_ruby = File.join(bindir, "ruby")
      end
      @test_ok = @test_skip_reason.nil? && (tree_ver == MINOR || @oracle_ruby)
      @test_skip_reason ||= "tree #{File.basename(@tree)} is not Ruby #{MINOR}'s" unless @test_ok
      %w[spec/mspec/bin/mspec spec/ruby/library/socket].each do |p|
        abort "conformance: #{@tree} has no #{p}" unless File.exist?(File.join(@tree, p))
      end
      if @test_ok && !File.directory?(File.join(@tree, "test/socket"))
        @test_ok = false
        @test_skip_reason = "#{@tree} has no test/socket"
      end
    end

    def netns_works?
      return false unless Process.uid.zero?
      system(NETNS, "--dual-stack", "true", out: File::NULL, err: File::NULL)
    end

    # Copy lib/ so that a rebuild during the run cannot swap the .so under us;
    # retried when the copy does not load (caught mid-write).
    def snapshot_lib
      so = File.join(ROOT, "lib/socket_rs", MINOR, "socket_rs.so")
      abort "conformance: #{so} is missing (build socket_rs for Ruby #{MINOR} first)" unless File.exist?(so)
      @lib = File.join(@tmp, "lib")
      5.times do |i|
        FileUtils.rm_rf(@lib)
        before = File.stat(so).then { |s| [s.size, s.mtime] }
        FileUtils.cp_r(File.join(ROOT, "lib"), @lib)
        after = File.stat(so).then { |s| [s.size, s.mtime] }
        ok = before == after &&
             system({ "RUBYOPT" => nil }, RUBY, "-I", @lib, "-r", "socket_rs", "-e",
                    "exit(defined?(SocketRs::NATIVE_LOADED) && !$LOADED_FEATURES.grep(%r{/socket\\.so\\z}).any? ? 0 : 1)",
                    out: File::NULL, err: File::NULL)
        if ok
          @shim = File.join(@tmp, "shim")
          FileUtils.mkdir_p(@shim)
          File.write(File.join(@shim, "socket.rb"), "require \"socket_rs\"\n")
          return
        end
        sleep 2 * (i + 1)
      end
      abort "conformance: could not take a loadable snapshot of #{File.join(ROOT, 'lib')}"
    end

    def env_for(mode, out)
      opt = (ENV["RUBYOPT"] || "").split.reject { |w| w =~ /socket_rs|\A-w\z|\A-W/ }
      # Subprocesses (assert_separately, assert_no_memory_leak) put their own
      # -rsocket on the command line, which Ruby requires before RUBYOPT's
      # -r: the shim dir first on the load path makes that `require "socket"`
      # load socket_rs instead of the stock extension.
      opt += ["-I#{@shim}", "-I#{@lib}", "-rsocket_rs"] if mode == "socket_rs"
      {
        "RUBYOPT" => opt.empty? ? nil : opt.join(" "),
        "SOCKET_RS_CONFORMANCE_OUT" => out,
        "SOCKET_RS_CONFORMANCE_ROOT" => File.join(@tree, "spec/ruby/library/socket/"),
        "MSPEC_RUNNER" => nil,
      }
    end

    # The command for one invocation; on a resume (done = ids that already
    # have a result, hung = ids that hung or crashed) only what is left.
    def command_for(suite, mode, done = nil, hung = [])
      pre = mode == "socket_rs" ? ["-I", @lib, "-r", "socket_rs"] : []
      case suite
      when "spec"
        fmt = File.join(@tmp, "mspec_formatter.rb")
        File.write(fmt, MSPEC_FORMATTER)
        cmd = [RUBY, File.join(@tree, "spec/mspec/bin/mspec"), "run", "-t", RUBY]
        pre.each { |a| cmd << "-T" << a }
        cmd += ["-f", fmt]
        excludes = SPEC_EXCLUDES.dup
        excludes += SPEC_HOST_NET_EXCLUDES unless @netns
        dir = File.join(@tree, "spec/ruby/library/socket")
        if done
          files = Dir["#{dir}/**/*_spec.rb"].sort
          rel = ->(id) { id[/\A[^:]+_spec\.rb(?=: )/] }
          done_files = done.map(&rel).compact.uniq
          hung_files = hung.map(&rel).compact.uniq
          files = files.select { |f| r = f.delete_prefix("#{dir}/"); hung_files.include?(r) || !done_files.include?(r) }
          (done + hung).each do |id|
            r = rel[id]
            excludes << id.delete_prefix("#{r}: ").sub(/ #\d+\z/, "") if r && hung_files.include?(r)
          end
          targets = files
        else
          targets = [dir]
        end
        excludes.uniq.each { |e| cmd << "-E" << e }
        cmd.concat(targets)
      when "test"
        drv = File.join(@tmp, "testunit_driver.rb")
        File.write(drv, TESTUNIT_DRIVER)
        ruby = mode == "stock" && @oracle_ruby ? @oracle_ruby : RUBY
        cmd = [ruby, *pre, "-I", File.join(@tree, "tool/lib"), "-I", File.join(@tree, "test/lib"),
               drv, @tree, "-v", "--name=!/#(?:#{TEST_EXCLUDES.join('|')})\\z/"]
        cmd << "--name=/#{@only}/" if @only
        if done && !(done + hung).empty?
          ids = (done + hung).uniq.map { |id| Regexp.escape(id) }
          cmd << "--name=!/(?<![\\w:])(?:#{ids.join('|')})\\z/"
        end
        cmd << File.join(@tree, "test/socket")
      end
      cmd
    end

    # One suite in one mode.  The child writes a "start" record before each
    # test and a "result" record after it; a test that gives no result within
    # --test-timeout seconds is a hang: the run is killed, the test recorded
    # as "hang", and the run resumed without the tests already done (so one
    # hang loses one test, not the rest of the suite).  A crash is handled
    # the same way.  Each invocation is bounded by `timeout --timeout`.
    def execute(suite, mode)
      label = "#{suite}/#{mode}"
      run = Run.new(suite, mode, nil, nil, 0.0, {}, {}, nil, false, false, nil, [])
      hung = []
      attempt = 0
      loop do
        attempt += 1
        out = File.join(@tmp, "#{suite}-#{mode}-#{attempt}.rec")
        log = File.join(@tmp, "#{suite}-#{mode}-#{attempt}.log")
        cmd = command_for(suite, mode, attempt == 1 ? nil : run.results.keys - hung, hung)
        run.command ||= cmd
        run.log = log
        say "#{label}: #{attempt == 1 ? '' : "resume #{attempt - 1}: "}#{cmd.shelljoin}" if @verbose
        part = invoke(cmd, mode, out, log)
        run.seconds += part[:seconds]
        run.status = part[:status]
        part[:results].each { |id, r| run.results[id] ||= r }
        run.meta = part[:meta] unless part[:meta].empty?
        run.done = part[:done]
        stuck = part[:started]
        if part[:done] && !part[:killed]
          break
        end
        what = part[:killed] == :test ? "HANG: no result for #{@test_timeout}s" :
               part[:killed] == :run ? "HANG: run exceeded #{@timeout}s" :
               "CRASH: ended without finishing (#{part[:status].inspect})"
        run.timed_out = true if part[:killed]
        run.problems << "#{what}#{stuck ? "; in: #{stuck}" : ''}"
        tail = File.exist?(log) ? File.readlines(log, chomp: true).last(8) : []
        run.problems.last << "\n" << tail.map { |l| "      | #{l.scrub[0, 200]}" }.join("\n") unless tail.empty?
        if stuck.nil? || hung.include?(stuck) || attempt >= @max_resumes + 1
          run.problems << "giving up on resuming"
          break
        end
        hung << stuck
        run.results[stuck] ||= { status: part[:killed] ? "hang" : "crash",
                                 message: "#{what} (run killed; resumed without it)" }
      end
      verify_loaded(run)
      counts = run.results.values.group_by { |r| r[:status] }.transform_values(&:size)
      say format("%s: %.1fs, %d invocation(s), exit %s, %s", label, run.seconds, attempt,
                 run.status.exitstatus || run.status.inspect,
                 counts.sort.map { |k, v| "#{v} #{k}" }.join(", "))
      run.problems.each { |p| say "#{label}: #{p}" }
      if @verbose
        File.readlines(run.log, chomp: true).last(6).each { |l| $stdout.puts "    | #{l.scrub}" } if File.exist?(run.log)
      end
      run
    end

    def invoke(cmd, mode, out, log)
      wrapped = ["timeout", "-k", "15", @timeout.to_s]
      wrapped.push(NETNS, "--dual-stack") if @netns
      wrapped += cmd
      # Short, outside @tmp: ruby/spec's UNIX socket paths live under the cwd
      # (rubyspec_temp/PID/...), and sun_path holds only 107 bytes.
      workdir = Dir.mktmpdir("scf")
      @workdirs << workdir
      t = now
      File.write(out, "")
      pid = Process.spawn(env_for(mode, out), *wrapped, chdir: workdir, in: File::NULL,
                          out: log, err: [:child, :out], pgroup: true)
      part = { results: {}, meta: {}, done: false, started: nil, killed: nil }
      offset = 0
      started_at = nil
      status = nil
      loop do
        _, status = Process.wait2(pid, Process::WNOHANG)
        File.open(out) do |f|
          f.seek(offset)
          while (line = f.gets)
            break unless line.end_with?("\n")
            offset += line.bytesize
            kind = record(part, line.chomp)
            started_at = now if kind == "start"
          end
        end
        break if status
        if part[:started] && started_at && now - started_at > @test_timeout
          part[:killed] = :test
          status = kill_group(pid)
          break
        end
        sleep 0.2
      end
      part[:killed] ||= :run if status.exitstatus == 124 || status.exitstatus == 137
      part[:status] = status
      part[:seconds] = now - t
      part
    end

    # TERM, then KILL, the whole process group; returns the wait status.
    def kill_group(pid)
      [:TERM, :KILL].each do |sig|
        begin
          Process.kill(sig, -pid)
        rescue Errno::ESRCH
          nil
        end
        20.times do
          _, st = Process.wait2(pid, Process::WNOHANG)
          return st if st
          sleep 0.25
        end
      end
      Process.wait2(pid)[1]
    end

    RANK = { "pass" => 0, "skip" => 1, "fail" => 2, "error" => 3 }.freeze

    def record(part, line)
      f = line.split("\t").map { |x| x.undump rescue x }
      case f[0]
      when "start" then part[:started] = f[1]
      when "result"
        prev = part[:results][f[1]]
        # test/unit may record one test twice (teardown error): keep the worst
        if prev.nil? || RANK.fetch(f[2], 3) > RANK.fetch(prev[:status], 3)
          part[:results][f[1]] = { status: f[2], message: f[3].to_s }
        end
        part[:started] = nil
      when "meta" then part[:meta][f[1]] = f[2].to_s
      when "done" then part[:done] = true
      end
      f[0]
    end

    def verify_loaded(run)
      return unless run.done
      rs = run.meta["socket_rs"] == "yes"
      stock_so = run.meta["stock_socket_so"].to_s
      if run.mode == "socket_rs"
        run.problems << "NOT socket_rs: SocketRs is not defined in the run" unless rs
        run.problems << "stock socket.so was loaded too: #{stock_so}" unless stock_so.empty?
      elsif rs
        run.problems << "stock run has SocketRs loaded (RUBYOPT?)"
      end
    end

    def report(runs)
      failed = []
      passed = 0
      listing = []
      bad_run = false
      runs.group_by(&:suite).each do |suite, pair|
        stock = pair.find { |r| r.mode == "stock" }
        rs = pair.find { |r| r.mode == "socket_rs" }
        bad_run ||= stock.problems.any? || rs.problems.grep(/\ANOT socket_rs|stock socket\.so/).any?
        (stock.results.keys | rs.results.keys).each do |id|
          s = stock.results[id]
          r = rs.results[id]
          listing << [suite, id, s ? s[:status] : "-", r ? r[:status] : "not-run"]
          next unless s && s[:status] == "pass"
          if r && %w[pass skip].include?(r[:status])
            passed += 1
          else
            why = if r
                    r[:message]
                  elsif rs.timed_out then "not run: socket_rs run hung (#{rs.problems.first})"
                  elsif !rs.done then "not run: socket_rs run crashed (#{rs.problems.first})"
                  else "not run under socket_rs"
                  end
            failed << [suite, id, r ? r[:status] : "missing", why]
          end
        end
      end

      if @list_only
        listing.each { |suite, id, s, r| $stdout.puts "#{suite}\t#{s}\t#{r}\t#{id}" }
      else
        failed.each do |suite, id, status, why|
          $stdout.puts "FAIL [#{suite}] #{id} (#{status})"
          why.to_s.lines.first(4).each { |l| $stdout.puts "    #{l.chomp.scrub}" }
        end
      end
      write_json(runs, failed, passed) if @json
      $stdout.puts "conformance: #{passed} passed, #{failed.size} failed"
      say "a stock run did not complete: results are partial" if bad_run
      return 2 if runs.empty? || runs.any? { |r| r.mode == "socket_rs" && r.problems.grep(/\ANOT socket_rs|stock socket\.so/).any? }
      failed.empty? ? 0 : 1
    end

    def write_json(runs, failed, passed)
      data = {
        ruby: RUBY_VERSION, ruby_path: RUBY, tree: @tree, netns: @netns,
        passed: passed, failed: failed.size,
        regressions: failed.map { |s, id, st, why| { suite: s, id: id, status: st, message: why } },
        runs: runs.map do |r|
          { suite: r.suite, mode: r.mode, command: r.command, exit: r.status.exitstatus,
            seconds: r.seconds.round(1), timed_out: r.timed_out, problems: r.problems,
            meta: r.meta, results: r.results }
        end,
      }
      File.write(@json, JSON.pretty_generate(data))
      say "wrote #{@json}"
    end
  end
end

exit SocketRsConformance::Runner.new(ARGV).main if $PROGRAM_NAME == __FILE__
