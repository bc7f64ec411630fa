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
    # A platform gem (bin/native): a compiled library for each Ruby it
    # carries (x86_64-linux: 3.1, 3.3, 3.4, and 4.0 where it is installed;
    # aarch64-linux: Debian's arm64 3.1, 3.3 and 3.4), nothing to build at
    # install time; it accepts Rubies up to the newest one it carries.
    spec.platform = Gem::Platform.new(platform)
    spec.files = Dir["lib/**/*.rb", "lib/socket_rs/*/socket_rs.so", "README.md"]
    newest = Dir[File.join(__dir__, "lib/socket_rs/*/socket_rs.so")]
             .map { |f| Gem::Version.new(File.basename(File.dirname(f))) }.max
    major, minor = (newest || Gem::Version.new("3.4")).segments
    spec.required_ruby_version = [">= 3.1", "< #{major}.#{minor + 1}"]
  else
    spec.extensions = ["ext/socket_rs/extconf.rb"]
  end
  spec.require_paths = ["lib"]
end
