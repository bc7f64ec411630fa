# frozen_string_literal: true

require_relative "differential_helper"

# The ways apps reach "localhost" (test/differential/localhost_sweep.rb), in
# each environment apps and their tests run in: a network namespace that is
# loopback only, IPv4 only (IPv6 disabled) or dual stack, each with an
# /etc/hosts that names localhost 127.0.0.1 only or 127.0.0.1 and ::1
# (test/support/netns). Stock runs in a namespace just like socket_rs's, and
# every line must match.
#
# Where the running Ruby's stock has no Happy Eyeballs (before 3.4) and
# socket_rs's differs from its one-by-one connecting, a line may match
# stock 3.4's instead (bin/rubies builds it). Where stock 3.4.5 is wrong, as
# the README's "Happy Eyeballs" says, its line is not followed.
class EnvironmentsDifferentialTest < Minitest::Test
  NETNS = File.expand_path("../support/netns", __dir__)
  SWEEP = File.expand_path("localhost_sweep.rb", __dir__)
  RUBIES = File.expand_path("../../bin/rubies", __dir__)
  NETS = %w[loopback ipv4 dual].freeze
  HOSTS = %w[v4 dual].freeze
  # Stock 3.4.5 passes a local address's family name to getaddrinfo.
  STOCK_BUGS = ["!! SocketError: unknown socket domain: ipv4"].freeze

  def self.netns?
    @netns = system(NETNS, "true") if @netns.nil?
    @netns
  end

  # { label => outcome } of the sweep under `impl` on `ruby`.
  def sweep(ruby, impl, net, hosts)
    lib = impl == :stock ? ["-rsocket"] : ["-I", Differential::LIB, "-rsocket_rs"]
    out, err, status = Dir.mktmpdir("socket_rs_env") do |dir|
      Open3.capture3(NETNS, "--net", net, "--hosts", hosts, "timeout", "120", ruby, *lib, SWEEP, chdir: dir)
    end
    assert status.success?, "#{impl} (#{ruby}) failed in #{net}/#{hosts}: #{err}"
    out.lines(chomp: true).to_h { |line| line.split("\t", 2) }
  end

  # Stock 3.4's Ruby for Rubies whose stock has no Happy Eyeballs, nil when
  # bin/rubies has not built it.
  def happy_eyeballs_oracle
    return nil if RUBY_VERSION >= "3.4"

    bindir = `#{RUBIES} bindir 3.4 2>/dev/null`.strip
    ruby = File.join(bindir, "ruby")
    File.executable?(ruby) ? ruby : nil
  end

  NETS.product(HOSTS).each do |net, hosts|
    define_method("test_localhost_#{net}_network_#{hosts}_hosts") do
      skip "network namespaces need root and unshare" unless self.class.netns?

      stock = sweep(RbConfig.ruby, :stock, net, hosts)
      ours = sweep(RbConfig.ruby, :socket_rs, net, hosts)
      assert_equal stock.keys, ours.keys, "the sweep printed other lines"
      differing = stock.keys.reject { |label| stock[label] == ours[label] }
      oracle = happy_eyeballs_oracle if differing.any?
      newer = oracle && sweep(oracle, :stock, net, hosts)
      unexplained = differing.reject do |label|
        STOCK_BUGS.any? { |bug| stock[label].start_with?(bug) } || (newer && newer[label] == ours[label])
      end
      report = unexplained.map { |l| "#{l}\n  stock:     #{stock[l]}\n  socket_rs: #{ours[l]}" }
      assert_empty report, "in #{net}/#{hosts}:\n#{report.join("\n")}"
      assert_operator stock.size, :>=, 25
    end
  end
end
