# frozen_string_literal: true

require "socket"
require_relative "local"

module ExampleLocal
  module_function

  # Sends msg to host:port over UDP and prints the reply and who sent it.
  # Retries while the server (in another thread) is not bound yet: a lost
  # datagram just gets no answer, so wait for readability with a timeout.
  # Given the server thread, stops as soon as it died.
  def udp_ask(host, port, msg, server: nil, patience: 10)
    family = host.include?(":") ? Socket::AF_INET6 : Socket::AF_INET
    u = UDPSocket.new(family)
    u.connect(host, port)
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + patience
    while Process.clock_gettime(Process::CLOCK_MONOTONIC) < deadline
      raise "the server thread ended" if server&.join(0) # re-raises its exception
      begin
        u.send(msg, 0)
      rescue Errno::ECONNREFUSED
        sleep 0.05 # an ICMP port unreachable from an earlier try
        next
      end
      next unless u.wait_readable(0.2)

      begin
        reply, from = u.recvfrom(100)
      rescue Errno::ECONNREFUSED
        sleep 0.05
        next
      end
      puts "reply from #{from[3]}: #{reply}"
      return
    end
    puts "no reply from #{host}"
  ensure
    u&.close
  end
end
