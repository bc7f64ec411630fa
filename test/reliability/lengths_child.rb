# frozen_string_literal: true

# Child process of lengths_test.rb: every receive method that sizes a buffer
# from a length given by Ruby, called with negative, zero, boundary and huge
# lengths, with and without outbufs of every kind, on a socket with data
# pending. `run FIRST` makes the calls from index FIRST on and prints, for
# each, "begin N" before it and "N CALL => OUTCOME" after it, so that the
# parent can tell which call killed a child (stock aborts on some of them).
#
# OUTCOME is "raise CLASS", "ok CLASS", or "CORRUPT ..." when the call
# returned more bytes than it was asked for: written past the buffer it
# sized (stock 3.1 does that for a negative length with an outbuf).
if ENV["SOCKET_IMPL"] == "stock"
  require "socket"
else
  require "socket_rs"
end

PENDING = "0123456789abcdef" # 16 bytes waiting on every receiver

ALL_LENGTHS = [-2**64, -2**63, -2**62, -17, -1, 0, 1, 15, 16, 17, 2**31 - 1, 2**31, 2**32, 2**62,
               2**63 - 1, 2**63, 2**64, 1.5, -0.5, nil, "8"].freeze
# Under valgrind (rake valgrind, LENGTHS_UNDER_VALGRIND=1) a subset with no
# gigabyte buffer really allocated: memcheck marks each byte of one (minutes),
# and it reports a recv into a block of 2 GiB or more as unaddressable, for
# stock and socket_rs alike (it tracks such blocks approximately).
LENGTHS = if ENV["LENGTHS_UNDER_VALGRIND"]
            [-2**64, -1, 0, 15, 16, 17, 65_536, 2**62, 2**64, nil].freeze
          else
            ALL_LENGTHS
          end

# Outbufs by name; "chilled" is a literal of a file without the frozen
# string magic comment (chilled on 3.4, a plain String before).
OUTBUFS = {
  "none" => nil,
  "empty" => -> { String.new },
  "capacity 4" => -> { String.new("ab", capacity: 4) },
  "100 bytes" => -> { "x" * 100 },
  "frozen" => -> { String.new("abc").freeze },
  "shared" => -> { ("y" * 200)[20, 100] },
  "chilled" => -> { eval('"chilled"') }, # rubocop:disable Security/Eval
  "utf-8" => -> { +"été" },
  "not a string" => -> { 12 },
}.freeze

# name => [receiver maker, call]
def receivers
  {
    "stream" => lambda {
      a, b = UNIXSocket.pair
      a.write(PENDING)
      [b, [a, b]]
    },
    "dgram" => lambda {
      a, b = UNIXSocket.pair(:DGRAM)
      a.send(PENDING, 0)
      [b, [a, b]]
    },
    "udp" => lambda {
      a = UDPSocket.new
      a.bind("127.0.0.1", 0)
      b = UDPSocket.new
      b.bind("127.0.0.1", 0)
      a.send(PENDING, 0, "127.0.0.1", b.addr[1])
      IO.select([b], nil, nil, 5)
      [b, [a, b]]
    },
    "socket" => lambda {
      a, b = Socket.pair(:UNIX, :STREAM)
      a.write(PENDING)
      [b, [a, b]]
    },
  }
end

NONBLOCK = { exception: false }.freeze
BLOCKING = {}.freeze

# [receiver kind, method, positional arguments (len, buf), keywords]
CALLS = [
  ["stream", :recv, ->(len, buf) { [len, 0, *buf] }, BLOCKING],
  ["stream", :recv_nonblock, ->(len, buf) { [len, 0, *buf] }, NONBLOCK],
  ["stream", :recvfrom, ->(len, buf) { [len, 0, *buf] }, BLOCKING],
  ["stream", :read_nonblock, ->(len, buf) { [len, *buf] }, NONBLOCK],
  ["dgram", :recvfrom, ->(len, buf) { [len, 0, *buf] }, BLOCKING],
  ["udp", :recvfrom, ->(len, buf) { [len, 0, *buf] }, BLOCKING],
  ["udp", :recvfrom_nonblock, ->(len, buf) { [len, 0, *buf] }, NONBLOCK],
  ["socket", :recvfrom_nonblock, ->(len, buf) { [len, 0, *buf] }, NONBLOCK],
].freeze

# Every call, in a fixed order: [label, receiver kind, method, args maker,
# keywords, asked length].
def plan
  list = []
  CALLS.each do |kind, meth, build, keywords|
    LENGTHS.each do |len|
      OUTBUFS.each do |buf_name, buf|
        list << ["#{kind} #{meth}(#{len.inspect}, #{buf_name})", kind, meth,
                 -> { build.call(len, buf ? [buf.call] : []) }, keywords, len]
      end
    end
  end
  # recvmsg sizes two buffers: the data and the control.
  { recvmsg: BLOCKING, recvmsg_nonblock: NONBLOCK }.each do |meth, keywords|
    LENGTHS.each do |len|
      [nil, -1, 0, 16, 2**31, 2**62, 2**63, 2**64].each do |ctl|
        list << ["stream #{meth}(#{len.inspect}, 0, #{ctl.inspect})", "stream", meth,
                 -> { [len, 0, ctl] }, keywords, len]
      end
    end
  end
  list
end

def received_string(value)
  case value
  when String then value
  when Array then value.find { |v| v.is_a?(String) }
  end
end

def outcome(value, asked)
  data = received_string(value)
  limit = asked.is_a?(Numeric) ? [asked.to_i, 0].max : Float::INFINITY
  if data && data.bytesize > limit
    return "CORRUPT #{data.bytesize} bytes returned for a length of #{asked.inspect}"
  end

  "ok #{value.class}#{data ? " #{data.bytesize} bytes" : ''}"
end

def run(first)
  makers = receivers
  plan.each_with_index do |(label, kind, meth, args, keywords, asked), idx|
    next if idx < first

    puts "begin #{idx}"
    recv, opened = makers.fetch(kind).call
    result = begin
      outcome(recv.__send__(meth, *args.call, **keywords), asked)
    rescue NoMemoryError, StandardError => e
      "raise #{e.class}"
    ensure
      opened.each { |io| io.close unless io.closed? }
    end
    puts "#{idx} #{label} => #{result}"
  end
  puts "done"
end

$stdout.sync = true
$stderr.sync = true
run(Integer(ARGV.fetch(0, "0")))
