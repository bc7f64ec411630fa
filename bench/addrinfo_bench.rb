# frozen_string_literal: true

# Addrinfo and the sockaddr class methods, socket_rs against the stock
# extension, each in its own process, side by side (ops/s of CPU time, best
# of several rounds; CPU time is steadier than wall time on a shared box).
#
#   ruby bench/addrinfo_bench.rb
require "open3"
require "rbconfig"

CASES = {
  "Socket.sockaddr_in" => 'Socket.sockaddr_in(80, "127.0.0.1")',
  "Socket.unpack_sockaddr_in" => "Socket.unpack_sockaddr_in(SA)",
  "Addrinfo.tcp numeric" => 'Addrinfo.tcp("127.0.0.1", 80)',
  "Addrinfo#inspect" => "AI.inspect",
  "Addrinfo#inspect IPv6" => "AI6.inspect",
  "Addrinfo.getaddrinfo numeric" => 'Addrinfo.getaddrinfo("127.0.0.1", 80)',
  "Addrinfo#ip_unpack" => "AI.ip_unpack",
  "Addrinfo.new(sockaddr)" => "Addrinfo.new(SA)",
  "Addrinfo.unix" => 'Addrinfo.unix("/tmp/x")',
  "Marshal round trip" => "Marshal.load(Marshal.dump(AI))",
  "Socket.getaddrinfo numeric" => 'Socket.getaddrinfo("127.0.0.1", 80)',
  "Socket.getnameinfo numeric" => "Socket.getnameinfo(SA, Socket::NI_NUMERICHOST | Socket::NI_NUMERICSERV)"
}.freeze

RUNNER = <<~'RUBY'
  SA = Socket.sockaddr_in(80, "127.0.0.1")
  AI = Addrinfo.tcp("127.0.0.1", 80)
  AI6 = Addrinfo.tcp("::1", 80)
  n = 50_000
  CASES.each do |name, expr|
    body = eval("proc { #{expr} }") # rubocop:disable Security/Eval
    best = 5.times.map do
      t = Process.clock_gettime(Process::CLOCK_PROCESS_CPUTIME_ID)
      n.times(&body)
      n / (Process.clock_gettime(Process::CLOCK_PROCESS_CPUTIME_ID) - t)
    end.max
    puts "#{name}\t#{best.round}"
  end
RUBY

def run(args)
  code = "CASES = #{CASES.inspect}\n#{RUNNER}"
  out, err, status = Open3.capture3(RbConfig.ruby, *args, "-e", code)
  abort err unless status.success?
  out.lines.to_h { |l| l.chomp.split("\t").then { |k, v| [k, v.to_f] } }
end

lib = File.expand_path("../lib", __dir__)
stock = run(["-rsocket"])
ours = run(["-I", lib, "-rsocket_rs"])
printf("%-32s %12s %12s %7s\n", "", "stock", "socket_rs", "ratio")
CASES.each_key do |name|
  printf("%-32s %12d %12d %6.2fx\n", name, stock[name], ours[name], ours[name] / stock[name])
end
