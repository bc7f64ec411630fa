# frozen_string_literal: true

require_relative "happy_eyeballs"

# Socket.tcp: a TCP client socket, with Happy Eyeballs v2 by default (Ruby 3.4).
class Socket
  @tcp_fast_fallback = true

  class << self
    # The default of Socket.tcp's fast_fallback: keyword.
    attr_accessor :tcp_fast_fallback
  end

  def self.tcp(host, port, local_host = nil, local_port = nil, connect_timeout: nil, resolv_timeout: nil,
               fast_fallback: tcp_fast_fallback, &block)
    sock = if fast_fallback && !SocketRs.ip_address?(host)
             tcp_with_fast_fallback(host, port, local_host, local_port,
                                    connect_timeout: connect_timeout, resolv_timeout: resolv_timeout)
           else
             tcp_without_fast_fallback(host, port, local_host, local_port,
                                       connect_timeout: connect_timeout, resolv_timeout: resolv_timeout)
           end
    SocketRs.with_socket(sock, &block)
  end

  # Ruby 3.4's public entry to Socket.tcp's Happy Eyeballs: a connected Socket.
  def self.tcp_with_fast_fallback(host, port, local_host = nil, local_port = nil, connect_timeout: nil,
                                  resolv_timeout: nil)
    SocketRs::HappyEyeballs.new(host, port, local_host, local_port,
                                connect_timeout: connect_timeout, resolv_timeout: resolv_timeout).connect
  end

  # Ruby 3.3's Socket.tcp: the addresses in resolver order, one at a time.
  def self.tcp_without_fast_fallback(host, port, local_host, local_port, connect_timeout:, resolv_timeout:)
    SocketRs.tcp_one_by_one(host, port, local_host, local_port, connect_timeout, resolv_timeout)
  end
  private_class_method :tcp_without_fast_fallback
end

module SocketRs
  module_function

  # Whether `host` is a numeric IPv4 or IPv6 address (no resolution needed).
  def ip_address?(host)
    return false unless host.is_a?(String)

    Addrinfo.getaddrinfo(host, nil, nil, :STREAM, nil, Socket::AI_NUMERICHOST)
    true
  rescue SocketError
    false
  end

  # Ruby 3.3's Socket.tcp: the addresses in resolver order, one at a time.
  def tcp_one_by_one(host, port, local_host, local_port, connect_timeout, resolv_timeout)
    locals = (Addrinfo.getaddrinfo(local_host, local_port, nil, :STREAM) if local_host || local_port)
    last_error = nil
    Addrinfo.getaddrinfo(host, port, nil, :STREAM, nil, 0, timeout: resolv_timeout).each do |ai|
      local = nil
      if locals
        local = locals.find { |l| l.afamily == ai.afamily }
        next unless local
      end
      begin
        return connect_addrinfo(ai, local, connect_timeout)
      rescue SystemCallError => e
        last_error = e
      end
    end
    raise last_error if last_error

    raise SocketError, "no appropriate local address"
  end
end
