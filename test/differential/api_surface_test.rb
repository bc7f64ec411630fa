# frozen_string_literal: true

require_relative "differential_helper"

# The drop-in gate: every class has stock's public methods, singleton
# methods and constants, with the same arities. A method stock has that we
# lack (or one we add) is a failure here, not a surprise for a user.
class ApiSurfaceDifferentialTest < Minitest::Test
  include Differential::Sockaddrs

  # Ruby 3.4 API that socket_rs offers on every Ruby (stock 3.1 lacks it).
  RUBY_34_ADDITIONS = /^  \.tcp_(fast_fallback=?|with_fast_fallback)\/-?\d+\n/

  def test_methods_and_arities_match_stock
    assert_same_as_stock(<<~'RUBY', normalize: ->(out) { out.gsub(RUBY_34_ADDITIONS, "") })
      classes = [BasicSocket, IPSocket, TCPSocket, TCPServer, UDPSocket, UNIXSocket, UNIXServer, Socket,
                 Addrinfo, SocketError, Socket::Option, Socket::AncillaryData, Socket::Ifaddr, Socket::UDPSource]
      classes.each do |k|
        puts "#{k} < #{k.superclass}"
        k.public_instance_methods(false).sort.each { |m| puts "  ##{m}/#{k.instance_method(m).arity}" }
        k.singleton_methods(false).sort.each { |m| puts "  .#{m}/#{k.method(m).arity}" }
        k.private_instance_methods(false).grep(/\A__/).sort.each { |m| puts "  private ##{m}" }
        puts "  ancestors: #{k.ancestors.take_while { |a| a != Object }.join(' ')}"
      end
      puts Socket::Constants.constants.size
    RUBY
  end

  def test_method_lists
    same(<<~'RUBY')
      show { (BasicSocket.instance_methods(false) - %i[sendmsg sendmsg_nonblock recvmsg recvmsg_nonblock]).sort }
      show { Socket.instance_methods(false).sort }
      show { Socket::Option.instance_methods(false).sort }
      show { Socket::Option.methods(false).sort }
      show { %i[accept bind listen connect sysaccept recvfrom].map { |m| Socket.instance_method(m).arity } }
      show { %i[getsockopt getsockname getpeername getpeereid shutdown].map { |m| BasicSocket.instance_method(m).arity } }
    RUBY
  end
end
