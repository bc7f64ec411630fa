# frozen_string_literal: true

# One benchmark case in one implementation. Started by bench/run.rb as
#   ruby -rsocket bench/child.rb IMPL CASE SAMPLE_SECONDS          (stock)
#   ruby -Ilib -rsocket_rs bench/child.rb IMPL CASE SAMPLE_SECONDS (socket_rs)
# and driven over stdin/stdout, one line each way:
#   child: "ready PORT" | "missing MSG" | "fail MSG" | "error MSG"
#   driver "sample"  -> child: "N SECONDS"   (N operations took SECONDS)
#   driver "memory"  -> child: "HWM_KB BASE_KB COUNT" (kind: :memory)
#   driver "trace N" -> child: "traced N" (N operations between two markers)
#   driver "ctxsw N" -> child: "ctxsw N SWITCHES" (context switches over N operations)
#   driver "quit"
# "missing" means the implementation raised NameError/NoMethodError: the
# feature is not there yet. "fail" means a correctness check failed.

impl, case_name, sample_seconds = ARGV
sample_seconds = Float(sample_seconds)

# The protocol owns the real stdout; anything a case prints goes to stderr.
PROTO = $stdout.dup
PROTO.sync = true
$stdout.reopen($stderr)
Thread.report_on_exception = false

def reply(line)
  PROTO.puts(line.to_s.gsub(/\s+/, " "))
end

def vm_kb(field)
  File.read("/proc/self/status")[/^#{field}:\s+(\d+)/, 1].to_i
end

def ctx_switches
  Dir.glob("/proc/self/task/*/status").sum do |f|
    File.read(f).scan(/^(?:non)?voluntary_ctxt_switches:\s+(\d+)/).sum { |(n)| n.to_i }
  rescue Errno::ENOENT # a thread that just ended
    0
  end
end

require_relative "cases"
(ENV["BENCH_CASES"] || "").split(File::PATH_SEPARATOR).each { |f| load File.expand_path(f) }

kase = Bench::CASES.find { |c| c.name == case_name } or abort "no case #{case_name}"

begin
  loaded_rs = defined?(SocketRs::NATIVE_LOADED) ? "socket_rs" : "stock"
  raise "child for #{impl} is running #{loaded_rs}" unless loaded_rs == impl

  ctx = Object.new
  ctx.extend(Bench::Helpers)
  ctx.define_singleton_method(:__op, &kase.run_block)
  fds = -> { Dir.children("/proc/self/fd").size }
  fds_before = fds.call
  ctx.instance_exec(&kase.setup_block) if kase.setup_block

  # Correctness first: the result of the operation, twice (to catch state
  # carried between calls), and any extra verification.
  2.times do |i|
    result = ctx.__op
    problem =
      if kase.check_block
        ctx.instance_exec(result, &kase.check_block)
      elsif kase.expect_block
        want = ctx.instance_exec(&kase.expect_block)
        ctx.mismatch("result", want, result) unless want == result
      end
    if problem
      reply "fail #{problem}#{" (call #{i + 1})" if i.positive?}"
      exit!(1)
    end
  end
  kase.verify_blocks.each do |v|
    problem = ctx.instance_exec(&v)
    if problem
      reply "fail #{problem}"
      exit!(1)
    end
  end

  if kase[:leak_check]
    base = fds.call
    50.times { ctx.__op }
    GC.start
    leaked = fds.call - base
    if leaked.positive?
      reply "fail #{leaked} descriptors leaked over 50 operations (#{fds_before} before setup)"
      exit!(1)
    end
  end

  # Calibrate the operation count of one sample from a short warm-up.
  per_sample = 1
  if kase[:kind] == :ops
    n = 0
    t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    deadline = t0 + sample_seconds / 4
    while Process.clock_gettime(Process::CLOCK_MONOTONIC) < deadline
      ctx.__op
      n += 1
    end
    elapsed = Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0
    per_sample = [(n * sample_seconds / elapsed).round, 1].max
  end
  reply "ready #{kase[:kind] == :wrk ? ctx.__op : 0}"
rescue NameError => e # NoMethodError included: the feature is not there yet
  reply "missing #{e.class}: #{e.message.lines.first}"
  exit!(3)
rescue Exception => e # rubocop:disable Lint/RescueException
  reply "error #{e.class}: #{e.message.lines.first} at #{e.backtrace&.first}"
  exit!(2)
end

while (cmd = $stdin.gets)
  case cmd.chomp
  when "sample"
    begin
      GC.start
      t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      i = 0
      while i < per_sample
        ctx.__op
        i += 1
      end
      reply "#{per_sample} #{Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0}"
    rescue Exception => e # rubocop:disable Lint/RescueException
      reply "error #{e.class}: #{e.message.lines.first} at #{e.backtrace&.first}"
      exit!(2)
    end
  when "memory"
    base = vm_kb("VmHWM")
    count = ENV["BENCH_QUICK"] == "1" ? kase[:count] / 10 : kase[:count]
    kept = Array.new(count) { ctx.__op }
    reply "#{vm_kb("VmHWM")} #{base} #{kept.size}"
  when /\Atrace (\d+)\z/
    # For BENCH_SYSCALLS: the driver runs this child under strace and counts
    # the system calls between the two marker stat(2) calls.
    n = Regexp.last_match(1).to_i
    File.exist?("/socket_rs_bench_mark_begin")
    n.times { ctx.__op }
    File.exist?("/socket_rs_bench_mark_end")
    reply "traced #{n}"
  when /\Actxsw (\d+)\z/
    # Context switches of all this process's threads over N operations.
    n = Regexp.last_match(1).to_i
    before = ctx_switches
    n.times { ctx.__op }
    reply "ctxsw #{n} #{ctx_switches - before}"
  when "quit"
    break
  end
end
# Server threads may be blocked in accept: leave without joining them.
exit!(0)
