# frozen_string_literal: true

# Runs every example of the reference document (examples/*.rb) in a child
# process and compares its standard output with examples/expected/<name>.txt
# (or <name>@X.Y.txt on Ruby X.Y and later, where that Ruby's stock prints
# otherwise than the document).
#
#   ruby examples/run_all.rb               # socket_rs from this checkout (-I lib -rsocket_rs)
#   ruby examples/run_all.rb --installed   # socket_rs as installed by `gem install`
#   ruby examples/run_all.rb --stock       # the stock extension (-rsocket), the oracle
#   ruby examples/run_all.rb --only NAME   # just examples whose name contains NAME (repeatable)
#   ruby examples/run_all.rb --timeout SECONDS
#
# Under socket_rs the library is loaded with -r before the script runs, so the
# script's own `require 'socket'` loads nothing.
#
# Expected files hold one pattern per output line. Text matches literally,
# except for these placeholders:
#   <ANY>   any text          <PORT>  a port number     <FD>   an fd number
#   <NUM>   an integer        <HOST>  a host name       <PATH> a non-blank path
#   <IP4>   an IPv4 address   <IP6>   an IPv6 address (optionally %zone)
#   <IP>    either            <TIME>  a Time#to_s value
#   {{re}}  a raw Ruby regexp fragment
# and these line prefixes:
#   <MANY>  the rest of the line matches one or more consecutive output lines
#   <SOME>  the rest of the line matches zero or more consecutive output lines
#   <OPT>   the rest of the line matches zero or one output line
#   <#>     a comment line, ignored
# If examples/input/<name>.txt exists it is the script's standard input.

require "rbconfig"
require "tmpdir"
require "timeout"

module ExampleRunner
  ROOT = File.expand_path("..", __dir__)
  DIR = File.join(ROOT, "examples")

  PLACEHOLDERS = {
    "<ANY>" => ".*",
    "<PORT>" => "\\d{1,5}",
    "<FD>" => "\\d+",
    "<NUM>" => "-?\\d+",
    "<HOST>" => "[A-Za-z0-9._-]+",
    "<PATH>" => "\\S+",
    "<IP4>" => "\\d{1,3}(?:\\.\\d{1,3}){3}",
    "<IP6>" => "[0-9a-fA-F:.]*:[0-9a-fA-F:.]*(?:%[\\w.-]+)?",
    "<IP>" => "(?:\\d{1,3}(?:\\.\\d{1,3}){3}|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*(?:%[\\w.-]+)?)",
    "<TIME>" => "\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d [+-]\\d{4}"
  }.freeze
  TOKEN = /\{\{(.*?)\}\}|<(?:ANY|PORT|FD|NUM|HOST|PATH|IP4|IP6|IP|TIME)>/

  Pattern = Struct.new(:source, :regexp, :repeat) # repeat: :one, :many, :some, :opt

  module_function

  def compile_line(line)
    repeat = :one
    if line.start_with?("<MANY>")
      repeat = :many
      line = line.delete_prefix("<MANY>")
    elsif line.start_with?("<SOME>")
      repeat = :some
      line = line.delete_prefix("<SOME>")
    elsif line.start_with?("<OPT>")
      repeat = :opt
      line = line.delete_prefix("<OPT>")
    end
    re = +""
    pos = 0
    line.scan(TOKEN) do
      m = Regexp.last_match
      re << Regexp.escape(line[pos...m.begin(0)])
      re << (m[1] ? "(?:#{m[1]})" : PLACEHOLDERS.fetch(m[0]))
      pos = m.end(0)
    end
    re << Regexp.escape(line[pos..])
    Pattern.new(line, Regexp.new("\\A#{re}\\z"), repeat)
  end

  def load_patterns(path)
    File.readlines(path, chomp: true).reject { |l| l.start_with?("<#>") }.map { |l| compile_line(l) }
  end

  # Backtracking match of output lines against patterns; returns nil on
  # success or the index of the furthest output line reached when it fails.
  def match(patterns, lines)
    best = [0]
    ok = match_at(patterns, 0, lines, 0, best)
    ok ? nil : best[0]
  end

  def match_at(patterns, pi, lines, li, best)
    best[0] = li if li > best[0]
    return li == lines.size if pi == patterns.size

    pat = patterns[pi]
    case pat.repeat
    when :one
      li < lines.size && pat.regexp.match?(lines[li]) && match_at(patterns, pi + 1, lines, li + 1, best)
    when :opt
      (li < lines.size && pat.regexp.match?(lines[li]) && match_at(patterns, pi + 1, lines, li + 1, best)) ||
        match_at(patterns, pi + 1, lines, li, best)
    when :many, :some
      j = li
      j += 1 while j < lines.size && pat.regexp.match?(lines[j])
      least = pat.repeat == :many ? li + 1 : li
      j.downto(least).any? { |k| match_at(patterns, pi + 1, lines, k, best) }
    end
  end

  def command(mode, script)
    case mode
    when :stock then [RbConfig.ruby, "-rsocket", script]
    when :installed then [RbConfig.ruby, "-rsocket_rs", script]
    else [RbConfig.ruby, "-I", File.join(ROOT, "lib"), "-rsocket_rs", script]
    end
  end

  # Runs the script in its own process group so a hung example (and anything
  # it spawned) can be stopped as a whole.
  def run_script(mode, script, timeout)
    name = File.basename(script, ".rb")
    input = File.join(DIR, "input", "#{name}.txt")
    Dir.mktmpdir("socket_rs_example") do |tmp|
      out = File.join(tmp, "stdout")
      err = File.join(tmp, "stderr")
      # The installed gem must not be shadowed by the checkout: run elsewhere.
      chdir = mode == :installed ? tmp : ROOT
      env = { "RUBYLIB" => nil, "RUBYOPT" => nil }
      pid = Process.spawn(env, *command(mode, script),
                          in: File.exist?(input) ? input : File::NULL,
                          out: out, err: err, chdir: chdir, pgroup: true)
      status = nil
      deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + timeout
      loop do
        _, status = Process.waitpid2(pid, Process::WNOHANG)
        break if status
        if Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline
          begin
            Process.kill(:KILL, -pid)
          rescue Errno::ESRCH
            nil
          end
          Process.waitpid(pid)
          status = :timeout
          break
        end
        sleep 0.05
      end
      [status, File.read(out), File.read(err)]
    end
  end

  def indent(text, limit = 40)
    lines = text.lines.map(&:chomp)
    shown = lines.first(limit).map { |l| "    | #{l}" }
    shown << "    | ... (#{lines.size - limit} more lines)" if lines.size > limit
    shown.join("\n")
  end

  # The first uncaught exception reported on stderr, for the FAIL line.
  def error_summary(err)
    line = err.lines.find { |l| l =~ /:in [`'].*': .*\([A-Z]\w*(?:::\w+)*\)\s*\z/ }
    line ? ": #{line[/:in [`'][^']*': (.*)/, 1]}" : ""
  end

  def check(mode, script, timeout)
    name = File.basename(script, ".rb")
    expected = File.join(DIR, "expected", "#{name}.txt")
    # Where the running Ruby's stock prints otherwise than the document
    # (recv at end of stream is nil from 3.3): expected/<name>@X.Y.txt for
    # that Ruby and later ones.
    newest = Dir[File.join(DIR, "expected", "#{name}@*.txt")].map { |f| [f[/@(\d+\.\d+)\.txt\z/, 1], f] }
                .select { |v, _| Gem::Version.new(RUBY_VERSION) >= Gem::Version.new(v) }
                .max_by { |v, _| Gem::Version.new(v) }
    expected = newest[1] if newest
    return "no expected output file examples/expected/#{name}.txt" unless File.exist?(expected)

    status, out, err = run_script(mode, script, timeout)
    problems = []
    if status == :timeout
      problems << "timed out after #{timeout} s#{error_summary(err)}"
    elsif !status.success?
      problems << "exited with #{status.exitstatus || "signal #{status.termsig}"}#{error_summary(err)}"
    end
    patterns = load_patterns(expected)
    lines = out.lines.map(&:chomp)
    at = match(patterns, lines)
    if at
      problems << "output differs (first unmatched output line: #{at + 1})"
      problems << "  expected patterns:\n#{indent(patterns.map(&:source).join("\n"))}"
      problems << "  actual output:\n#{indent(out)}"
    end
    problems << "  stderr:\n#{indent(err, 15)}" if !problems.empty? && !err.empty?
    problems.empty? ? nil : problems.join("\n")
  end

  def main(argv)
    mode = :checkout
    only = []
    timeout = 20
    while (arg = argv.shift)
      case arg
      when "--stock" then mode = :stock
      when "--installed" then mode = :installed
      when "--only" then only << (argv.shift or abort("--only needs a NAME"))
      when "--timeout" then timeout = Float(argv.shift)
      when "-h", "--help"
        puts File.read(__FILE__).lines.drop(2).take_while { |l| l.start_with?("#") }.map { |l| l.sub(/^# ?/, "") }
        return 0
      else abort "unknown argument #{arg.inspect} (see --help)"
      end
    end
    scripts = Dir[File.join(DIR, "*.rb")].sort.reject { |f| File.basename(f) == "run_all.rb" }
    scripts.select! { |f| only.any? { |o| File.basename(f, ".rb").include?(o) } } unless only.empty?
    passed = failed = 0
    scripts.each do |script|
      name = File.basename(script, ".rb")
      problem = check(mode, script, timeout)
      if problem
        failed += 1
        puts "FAIL #{name}: #{problem}"
      else
        passed += 1
        puts "ok   #{name}"
      end
      $stdout.flush
    end
    puts "examples: #{passed} passed, #{failed} failed"
    failed.zero? && passed.positive? ? 0 : 1
  end
end

exit ExampleRunner.main(ARGV.dup) if $PROGRAM_NAME == __FILE__
