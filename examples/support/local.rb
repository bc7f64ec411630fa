# frozen_string_literal: true

# Stand-ins the examples use where the reference document names an internet
# host or a fixed port: the examples must never leave the loopback interface
# and must not collide with other programs (or with each other when run in
# parallel).
require "socket"
require "tmpdir"

module ExampleLocal
  module_function

  # A TCP port that is free right now on 127.0.0.1 (and, for :wildcard, on
  # both 0.0.0.0 and [::]), for examples whose code binds a fixed port such
  # as 2000 or 2200.
  def free_port(socktype = :STREAM)
    20.times do
      s = Socket.new(:INET, socktype, 0)
      begin
        s.bind(Socket.sockaddr_in(0, "127.0.0.1"))
        port = s.local_address.ip_port
      ensure
        s.close
      end
      return port if wildcard_free?(port, socktype)
    end
    raise "no free port found"
  end

  def wildcard_free?(port, socktype)
    [[:INET, "0.0.0.0"], [:INET6, "::"]].all? do |family, host|
      s = Socket.new(family, socktype, 0)
      begin
        s.setsockopt(:IPV6, :V6ONLY, 1) if family == :INET6
        s.bind(Socket.sockaddr_in(port, host))
        true
      rescue Errno::EADDRINUSE
        false
      rescue Errno::EAFNOSUPPORT, Errno::EADDRNOTAVAIL
        true # no IPv6 on this machine: nothing to collide with
      ensure
        s.close
      end
    end
  end

  # A tiny HTTP/1.0 responder on 127.0.0.1 standing in for example.com,
  # www.google.com or www.ruby-lang.org. It answers every request with a
  # fixed text that names the Host header it received. Returns its port.
  def http_server
    server = Socket.new(:INET, :STREAM, 0)
    server.bind(Socket.sockaddr_in(0, "127.0.0.1"))
    server.listen(5)
    Thread.new do
      loop do
        client, = server.accept
        Thread.new(client) { |c| answer_http(c) }
      end
    end
    server.local_address.ip_port
  end

  def answer_http(client)
    request = []
    while (line = client.gets) && line != "\r\n"
      request << line.chomp
    end
    return if request.empty? # the example only connected

    host = request.grep(/\AHost:/i).first&.split(":", 2)&.last&.strip || "(no Host header)"
    body = "Hello from the local stand-in server.\nYou asked for #{request.first.split[1]} on #{host}.\n"
    client.write "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n" \
                 "Content-Length: #{body.bytesize}\r\n\r\n#{body}"
  rescue IOError, SystemCallError
    nil
  ensure
    client.close
  end

  # A private directory for examples whose code names a fixed path such as
  # /tmp/sock: removed when the script exits.
  def tmpdir
    @tmpdir ||= Dir.mktmpdir("socket_rs_example").tap do |dir|
      at_exit { FileUtils.rm_rf(dir) }
    end
  end

  # Connects with retries while the server half (started in another thread,
  # standing in for "another script") is not listening yet. Given the server
  # thread, stops waiting (re-raising its exception) as soon as it died.
  def retry_refused(server = nil, tries = 100)
    yield
  rescue Errno::ECONNREFUSED, Errno::ENOENT
    tries -= 1
    raise if tries.zero?
    raise "the server thread ended" if server && server.join(0)

    sleep 0.05
    retry
  end

  # Queue#pop that gives up when the thread that should push died (its
  # exception is re-raised here) instead of hanging until the runner's timeout.
  def await(queue, thread)
    loop do
      return queue.pop unless queue.empty?
      raise "the server thread ended" if thread.join(0.02)
    end
  end
end

require "fileutils"
