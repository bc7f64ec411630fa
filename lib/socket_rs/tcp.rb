# frozen_string_literal: true

require_relative "happy_eyeballs"

# Socket.tcp: a TCP client socket, with Happy Eyeballs v2 by default (Ruby
# 3.4) and Ruby 4.0's open_timeout.
class Socket
  @tcp_fast_fallback = true

  class << self
    # The default of Socket.tcp's and TCPSocket.new's fast_fallback: keyword.
    attr_accessor :tcp_fast_fallback
  end

  def self.tcp(host, port, local_host = nil, local_port = nil, connect_timeout: nil, resolv_timeout: nil,
               open_timeout: nil, fast_fallback: tcp_fast_fallback, &block)
    if open_timeout && (connect_timeout || resolv_timeout)
      raise ArgumentError, "Cannot specify open_timeout along with connect_timeout or resolv_timeout"
    end

    timeouts = { connect_timeout: connect_timeout, resolv_timeout: resolv_timeout, open_timeout: open_timeout }
    sock = if fast_fallback && !(host && SocketRs.ip_address?(host)) && SocketRs.name_to_race?(host)
             tcp_with_fast_fallback(host, port, local_host, local_port, **timeouts)
           else
             tcp_without_fast_fallback(host, port, local_host, local_port, **timeouts)
           end
    SocketRs.with_socket(sock, &block)
  end

  # Ruby 3.4's public entry to Socket.tcp's Happy Eyeballs: a connected Socket.
  def self.tcp_with_fast_fallback(host, port, local_host = nil, local_port = nil, connect_timeout: nil,
                                  resolv_timeout: nil, open_timeout: nil)
    SocketRs::HappyEyeballs.new(host, port, local_host, local_port, connect_timeout: connect_timeout,
                                                                    resolv_timeout: resolv_timeout,
                                                                    open_timeout: open_timeout).connect
  end

  # Ruby 3.3's Socket.tcp: the addresses in resolver order, one at a time.
  def self.tcp_without_fast_fallback(host, port, local_host, local_port, connect_timeout:, resolv_timeout:,
                                     open_timeout: nil)
    SocketRs.tcp_one_by_one(host, port, local_host, local_port, connect_timeout, resolv_timeout, open_timeout)
  end
  private_class_method :tcp_without_fast_fallback
  private_class_method :tcp_with_fast_fallback if SocketRs::TCP_WITH_FAST_FALLBACK_PRIVATE
end

module SocketRs
  module_function

  IPV4_LITERAL = /\A([0-9]{1,3}\.){3}[0-9]{1,3}\z/
  IPV6_GROUP = /\A\h{1,4}\z/

  # Whether Socket.tcp takes `host` for an address rather than a name, as
  # Ruby 3.4 decides it: four dotted decimals, or eight colon-separated hex
  # groups (fewer with one "::"), optionally with a "%zone". Asked with
  # `match?` first, as 3.4 asks (a Symbol is read as its name).
  def ip_address?(host)
    return false unless TCP_HOST_MATCHED || host.is_a?(String)

    host.match?(IPV4_LITERAL) || (host.match?(/:/) && ipv6_literal?(host.to_s))
  end

  # Whether Happy Eyeballs has a name to resolve per family. Before 3.4 a
  # host that is not a String goes where stock's Socket.tcp sends it, to
  # Addrinfo.getaddrinfo (its TypeError, or an Integer as a packed IPv4
  # address).
  def name_to_race?(host)
    TCP_HOST_MATCHED || host.nil? || host.is_a?(String)
  end

  def ipv6_literal?(host)
    address = host.sub(/%.+\z/m, "")
    head, tail, extra = address.split("::", -1)
    return false if extra || address.empty?

    groups = ->(part) { part.empty? ? [] : part.split(":", -1) }
    parts = groups.call(head) + (tail ? groups.call(tail) : [])
    count_ok = tail ? parts.size <= 7 : parts.size == 8
    count_ok && parts.all? { |g| IPV6_GROUP.match?(g) }
  end

  # Ruby 3.3's Socket.tcp: the addresses in resolver order, one at a time;
  # with an open_timeout, one deadline for the lookup and every connect.
  def tcp_one_by_one(host, port, local_host, local_port, connect_timeout, resolv_timeout, open_timeout = nil)
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    # The local lookup under the same timeout, as Ruby 4.0's.
    if local_host || local_port
      locals = Addrinfo.getaddrinfo(local_host, local_port, nil, :STREAM, timeout: open_timeout || resolv_timeout)
    end
    last_error = nil
    begin
      remotes = Addrinfo.getaddrinfo(host, port, nil, :STREAM, nil, 0, timeout: open_timeout || resolv_timeout)
    rescue Socket::ResolutionError
      raise unless open_timeout && Process.clock_gettime(Process::CLOCK_MONOTONIC) - started >= open_timeout

      raise user_specified_timeout("#{host}:#{port}")
    end
    remotes.each do |ai|
      local = nil
      if locals
        local = locals.find { |l| l.afamily == ai.afamily }
        next unless local
      end
      timeout = connect_timeout
      if open_timeout
        timeout = open_timeout - (Process.clock_gettime(Process::CLOCK_MONOTONIC) - started)
        raise user_specified_timeout(address_for_message(ai)) unless timeout.positive?
      end
      begin
        return connect_addrinfo(ai, local, timeout)
      rescue SystemCallError => e
        raise user_specified_timeout(address_for_message(ai)) if open_timeout && e.is_a?(Errno::ETIMEDOUT)

        last_error = e
      end
    end
    raise last_error if last_error

    raise SocketError, "no appropriate local address"
  end
end
