# frozen_string_literal: true

require_relative "differential_helper"

# Constants, Socket.new/pair, send/recv and for_fd against the stock extension.
class FoundationDifferentialTest < Minitest::Test
  def test_constants_match_both_ways
    assert_same_as_stock(<<~RUBY)
      Socket::Constants.constants.sort.each { |c| puts "\#{c}=\#{Socket::Constants.const_get(c)}" }
      puts (Socket::Constants.constants - Socket.constants).inspect
      puts Socket.include?(Socket::Constants)
    RUBY
  end

  ARGS = [":INET", "'INET'", ":AF_INET", ":PF_INET", "'PF_INET6'", "Socket::AF_UNIX", ":inet",
          ":FOO", "'AF_'", "nil", "1.5", "2**40", "-1", "9999", "'INET\\0X'", "Object.new",
          "[]", ":SOCK_STREAM", "''"].freeze
  TYPES = [":STREAM", "'DGRAM'", ":SOCK_SEQPACKET", "Socket::SOCK_RAW", ":FOO", "nil", "2**40", "0",
           "'stream'"].freeze

  def test_socket_new_argument_table
    code = +""
    ARGS.each do |d|
      TYPES.each do |t|
        code << "show(%q{#{d},#{t}}) { s = Socket.new(#{d}, #{t}); s.class.tap { s.close } }\n"
      end
    end
    ["0", "nil", "9999", ":TCP", "'6'", "6", "-1"].each do |pr|
      code << "show(%q{proto #{pr}}) { s = Socket.new(:INET, :STREAM, #{pr}); s.class.tap { s.close } }\n"
    end
    code << "show('arity0') { Socket.new }\nshow('arity4') { Socket.new(1, 2, 3, 4) }\n"
    assert_same_as_stock(code)
  end

  def test_pair_send_recv_table
    assert_same_as_stock(<<~'RUBY', normalize: ->(s) { s.gsub(/fd \d+/, "fd N") })
      show { Socket.pair(:UNIX, :STREAM).map(&:class) }
      show { Socket.socketpair(:UNIX, :DGRAM, 0).map(&:inspect) }
      show { Socket.pair(:INET, :STREAM) }
      show { Socket.pair(:UNIX, :FOO) }
      show { Socket.pair(:UNIX) }
      show { Socket.pair(:UNIX, :STREAM) { |a, b| [a.class, b.class, 7] } }
      a, b = Socket.pair(:UNIX, :STREAM)
      show { a.send("abc", 0) }
      show { b.recv(2) }
      show { b.recv(5, 0, +"zzzzzzzz") }
      show { a.send("x", Socket::MSG_OOB) }
      show { a.send(:sym, 0) }
      show { a.send("x", nil) }
      show { a.send("x", 0, "not a sockaddr") }
      show { a.send("q", 0); b.recv(0) }
      show { b.recv(-5) }
      show { b.recv(1.9, nil) }
      show { b.recv("1") }
      show { b.recv(1, 0, "f".freeze) }
      show { b.recv(1, 0, nil, 4) }
      show { a.close_write; a.close_write }
      show { b.recv(100) }
      show { [a.closed?, a.close_read, a.closed?] }
      show { a.recv(1) }
      show { [b.sync, b.binmode?, b.close_on_exec?, b.external_encoding, b.do_not_reverse_lookup] }
      show { BasicSocket.for_fd(b.fileno).class.tap { |s| } }
      show { Socket.for_fd("x") }
      show { BasicSocket.for_fd(-1) }
      show { UNIXSocket.for_fd(b.fileno).class }
      show { BasicSocket.new }
    RUBY
  end
end
