# frozen_string_literal: true

require "test_helper"

class IfaddrTest < Minitest::Test
  def test_loopback_interface
    lo = Socket.getifaddrs.select { |i| i.name == "lo" }
    refute_empty lo
    inet = lo.find { |i| i.addr&.ipv4? }
    assert_equal "127.0.0.1", inet.addr.ip_address
    assert_equal "255.0.0.0", inet.netmask.ip_address
    assert inet.flags.anybits?(Socket::IFF_LOOPBACK)
    assert_kind_of Integer, inet.ifindex
    assert_match(/\A#<Socket::Ifaddr lo UP,LOOPBACK,RUNNING/, inet.inspect)
    assert_includes inet.inspect, "127.0.0.1 netmask=255.0.0.0"
  end

  def test_ip_address_list_matches_getifaddrs
    from_ifaddrs = Socket.getifaddrs.filter_map { |i| i.addr&.ip? ? i.addr.ip_address : nil }
    assert_equal from_ifaddrs.sort, Socket.ip_address_list.map(&:ip_address).sort
  end

  def test_cannot_be_made_directly
    e = assert_raises(TypeError) { Socket::Ifaddr.new }
    assert_equal "allocator undefined for Socket::Ifaddr", e.message
  end
end
