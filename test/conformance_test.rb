# frozen_string_literal: true

require "minitest/autorun"
require "open3"
require "rbconfig"
require_relative "support/prerequisite"

# Ruby's own socket suites (test/conformance/run.rb): ruby/spec's
# library/socket and test/socket of the running Ruby's source tree, each
# test under the stock extension and under socket_rs; every test that passes
# on stock must pass on socket_rs. On 3.3 also Ruby 3.4's test/socket, with
# stock 3.4 as the oracle: the Happy Eyeballs and Ruby 3.4 API that socket_rs
# offers on every Ruby; on 3.1 only its Socket.tcp and TCPSocket.new tests
# (the rest test what changed after 3.1, where 3.1 keeps its own behaviour).
class ConformanceTest < Minitest::Test
  RUNNER = File.expand_path("conformance/run.rb", __dir__)
  RUBIES = File.expand_path("../bin/rubies", __dir__)

  def conform(*args)
    out, status = Open3.capture2e(RbConfig.ruby, RUNNER, *args)
    require_prerequisite(!out.include?("no source tree"), "no Ruby source tree here (bin/rubies install makes them)")
    summary = out.lines.grep(/\Aconformance: \d+ passed/).last
    puts "  [conformance] #{RUBY_VERSION} #{args.join(' ')}: #{summary&.delete_prefix('conformance: ')&.strip}"
    assert status.success?, "Ruby's own suites regress on socket_rs:\n#{out}"
  end

  def test_ruby_spec_and_test_socket_of_the_running_ruby
    conform
  end

  # On 3.4 the test above already runs Ruby 3.4's test/socket.
  def test_ruby_34_test_socket
    tree, status = Open3.capture2(RUBIES, "source", "3.4")
    require_prerequisite(status.success? && File.directory?(tree.strip), "no Ruby 3.4 source tree (bin/rubies install)")

    only = RUBY_VERSION < "3.3" ? ["--only", "test_tcp|TCPSocket#test_initialize"] : []
    # Under qemu (bin/cross test) socket_rs runs emulated while this oracle,
    # stock 3.4 of bin/rubies, runs natively: the assert_no_memory_leak
    # cases (100,000 calls each) outlast their 10 s limit there (20,000 take
    # 3 s under qemu, on stock as on socket_rs). They run everywhere else.
    only = ["--only", '\A(?!.*memory_leak)'] if only.empty? && ENV["SOCKET_RS_QEMU_ROOT"]
    conform("--suite", "test", "--cross", "--tree", tree.strip, *only)
  end if RUBY_VERSION < "3.4"
end
