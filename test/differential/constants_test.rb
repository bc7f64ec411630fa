# frozen_string_literal: true

require_relative "differential_helper"

# Socket::Constants against the stock extension: every name and value, and
# names looked up by Symbol across categories (Socket.new, Option, shutdown).
class ConstantsDifferentialTest < Minitest::Test
  include Differential::Sockaddrs

  def test_constants_match_both_ways
    assert_same_as_stock(<<~RUBY)
      Socket::Constants.constants.sort.each { |c| puts "\#{c}=\#{Socket::Constants.const_get(c)}" }
      puts (Socket::Constants.constants - Socket.constants).inspect
      puts Socket.include?(Socket::Constants)
    RUBY
  end

  # Constant names are cached per static Symbol and category: repeated and
  # cross-category lookups must give what stock gives every time.
  def test_constant_lookups_repeated_across_categories
    same(<<~'RUBY')
      3.times do |i|
        show(i) { Socket::Option.int(:INET, :SOCKET, :REUSEADDR, 1).inspect }
        show(i) { Socket::Option.int(:INET6, :IPV6, :V6ONLY, 1).inspect }
        show(i) { Socket::Option.int(:INET, :TCP, :NODELAY, 1).inspect }
        show(i) { Socket::Option.int(:UNIX, :SOCKET, :TYPE, 1).inspect }
        show(i) { Socket::Option.int(:UNIX, :TCP, :NODELAY, 1).inspect }
        show(i) { Socket::Option.int(:STREAM, :SOCKET, :REUSEADDR, 1) }
        show(i) { Socket::Option.int(:INET, :REUSEADDR, :SOCKET, 1) }
        show(i) { Socket.new(:INET, :STREAM).close }
        show(i) { Socket.new(:STREAM, :INET) }
        show(i) { Socket.new(:AF_INET6, :SOCK_DGRAM).close }
        show(i) { Socket.new(:PF_UNIX, :DGRAM).close }
        show(i) { Socket.new(("IN" + "ET#{i}").to_sym, :STREAM) }
        show(i) { Socket.new(("IN" + "ET").to_sym, :STREAM).close }
        show(i) { Socket.new(Socket::AF_INET, Socket::SOCK_STREAM).close }
        show(i) { Socket.new(2**40, :STREAM) }
        show(i) { Socket.pair(:UNIX, :STREAM).first.shutdown(:RDWR) }
        show(i) { Socket.pair(:UNIX, :STREAM).first.shutdown(:WR) }
        show(i) { Socket.pair(:UNIX, :STREAM).first.shutdown(:RDWX) }
      end
    RUBY
  end
end
