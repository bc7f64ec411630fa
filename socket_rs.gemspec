# frozen_string_literal: true

require_relative "lib/socket_rs/version"

Gem::Specification.new do |spec|
  spec.name = "socket_rs"
  spec.version = SocketRs::VERSION
  spec.summary = "Ruby's socket library rebuilt in Rust, as a drop-in replacement"
  spec.description = "BasicSocket, Socket, TCPSocket, UDPSocket, UNIXSocket, Addrinfo and " \
                     "friends implemented in Rust (magnus, rb-sys, libc, socket2). " \
                     "require 'socket_rs' and every library that uses sockets runs on it."
  spec.authors = ["socket_rs developers"]
  spec.license = "MIT"
  spec.required_ruby_version = ">= 3.1"
  spec.files = Dir["Cargo.toml", "Cargo.lock", "src/**/*.rs", "ext/**/*.rb",
                   "lib/**/*.rb", "README.md"]
  if (platform = ENV["SOCKET_RS_PLATFORM"])
    # The platform gem (bin/native): compiled libraries for 3.1, 3.3 and 3.4,
    # nothing to build at install time.
    spec.platform = Gem::Platform.new(platform)
    spec.files = Dir["lib/**/*.rb", "lib/socket_rs/*/socket_rs.so", "README.md"]
    spec.required_ruby_version = [">= 3.1", "< 3.5"]
  else
    spec.extensions = ["ext/socket_rs/extconf.rb"]
  end
  spec.require_paths = ["lib"]
end
